/// Supervision (督辦, M5.2): a department that handles poorly, misses a deadline, or returns feedback that
/// fails review is supervised until it has rectified.
public struct Supervision: Sendable, Equatable, Codable {
    /// Why supervision was opened (M5.2.1).
    public enum Reason: String, Sendable, Codable, CaseIterable {
        case overdue
        case returnedFeedback = "returned_feedback"
        case poorHandling = "poor_handling"
        case manual
    }

    /// How (M5.2.2).
    public enum Method: String, Sendable, Codable, CaseIterable {
        case phone
        case written
        case onSite = "on_site"
    }

    /// A dated note by someone (notice, rectification report).
    public struct Note: Sendable, Equatable, Codable {
        /// Who.
        public var by: UserID
        /// When.
        public var at: Timestamp
        /// The text (may name people: sealed).
        public var text: Personal<String>

        /// Creates a record.
        public init(by: UserID, at: Timestamp, text: Personal<String>) {
            self.by = by
            self.at = at
            self.text = text
        }
    }

    /// `DB-<case number>-<n>`.
    public var number: String
    /// The supervised department.
    public var department: DepartmentID
    /// Why.
    public var reason: Reason
    /// How.
    public var method: Method
    /// Who opened it.
    public var openedBy: UserID
    /// When.
    public var openedAt: Timestamp
    /// When the rectification report is due (M5.2.3).
    public var rectificationDue: CivilDate
    /// The supervision notice.
    public var notice: Note?
    /// The department's rectification report (M5.2.3).
    public var rectification: Note?
    /// Who closed it.
    public var closedBy: UserID?
    /// When.
    public var closedAt: Timestamp?

    /// Creates a record.
    public init(
        number: String, department: DepartmentID, reason: Reason, method: Method, openedBy: UserID, openedAt: Timestamp,
        rectificationDue: CivilDate, notice: Note? = nil, rectification: Note? = nil, closedBy: UserID? = nil,
        closedAt: Timestamp? = nil
    ) {
        self.number = number
        self.department = department
        self.reason = reason
        self.method = method
        self.openedBy = openedBy
        self.openedAt = openedAt
        self.rectificationDue = rectificationDue
        self.notice = notice
        self.rectification = rectification
        self.closedBy = closedBy
        self.closedAt = closedAt
    }

    /// Whether it is still open.
    public var isOpen: Bool { closedAt == nil }
}
