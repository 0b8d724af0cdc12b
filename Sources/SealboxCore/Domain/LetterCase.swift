/// Where a case is in the workflow (DESIGN §5).
public enum CaseStatus: String, Sendable, Codable, CaseIterable {
    case registered
    case assigned
    /// Signed for, handler named (M3.1.3).
    case accepted
    case inProgress = "in_progress"
    /// Sealed feedback submitted to the office (M4.3.1).
    case feedbackSubmitted = "feedback_submitted"
    case approved
    /// Feedback returned for rework (M4.3.3).
    case returned
    case replied
    case closed
    case archived

    /// Whether the department still owes its result (the handling deadline runs).
    public var isWithDepartment: Bool { [.assigned, .accepted, .inProgress, .returned].contains(self) }

    /// Whether the case is finished from the department's side.
    public var isDone: Bool { [.feedbackSubmitted, .approved, .replied, .closed, .archived].contains(self) }
}

/// A retention class from `Policies/retention.toml`, for example `standard` (30 years).
public struct RetentionClass: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The class name.
    public let name: String
    /// Wraps a class name.
    public init(_ name: String) { self.name = name }
    public init(from decoder: any Decoder) throws { name = try decoder.singleValueContainer().decode(String.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
    public var description: String { name }
}

/// One letter and everything done about it: the unit the store keeps, the log records and the archive files.
public struct LetterCase: Sendable, Equatable, Codable {
    /// The number (M2.2.3).
    public var number: CaseNumber
    /// The letter as received.
    public var letter: Letter
    /// Who registered it.
    public var registeredBy: UserID
    /// When it was registered.
    public var registeredAt: Timestamp
    /// A category from the office's list, for example `transport`.
    public var category: String?
    /// The priority.
    public var priority: Priority
    /// Restricted readers (M6.2.2): state, trade secrets or privacy.
    public var isRestricted: Bool
    /// The workflow state.
    public var status: CaseStatus
    /// The retention class.
    public var retention: RetentionClass
    /// Every slip issued, the active one last; reassignment keeps the old ones (inactive).
    public var slips: [AssignmentSlip] = []
    /// Sign-fors, per department and slip.
    public var signFors: [SignFor] = []
    /// Progress reports.
    public var progress: [ProgressReport] = []
    /// Contacts with the sender.
    public var contacts: [ContactRecord] = []
    /// Extension requests.
    public var extensions: [ExtensionRequest] = []
    /// Co-department contributions.
    public var contributions: [Contribution] = []
    /// The current feedback draft or sealed feedback.
    public var feedback: Feedback?
    /// Feedback returned earlier, kept for the record.
    public var feedbackHistory: [Feedback] = []
    /// Reviews, in order.
    public var reviews: [Review] = []
    /// The reply to the sender.
    public var reply: Reply?
    /// The sender's satisfaction from the office's survey (M4.3.2).
    public var satisfaction: Satisfaction?
    /// Reminders sent (M5.1.2).
    public var reminders: [Reminder] = []
    /// Supervisions (M5.2).
    public var supervisions: [Supervision] = []
    /// When it was closed.
    public var closedAt: Timestamp?
    /// When it was archived (M6.1.3), and in which package.
    public var archivedAt: Timestamp?
    /// The archive package reference (its sequence or digest).
    public var archivePackage: String?

    /// Creates a newly registered case.
    public init(
        number: CaseNumber, letter: Letter, registeredBy: UserID, registeredAt: Timestamp, category: String?,
        priority: Priority, isRestricted: Bool, retention: RetentionClass
    ) {
        self.number = number
        self.letter = letter
        self.registeredBy = registeredBy
        self.registeredAt = registeredAt
        self.category = category
        self.priority = priority
        self.isRestricted = isRestricted
        self.status = .registered
        self.retention = retention
    }

    /// The active slip, if assigned.
    public var activeSlip: AssignmentSlip? { slips.last(where: \.isActive) }

    /// The current handling deadline (the active slip's, extended by approved extensions).
    public var deadline: CivilDate? { activeSlip?.deadline }

    /// The lead department of the active slip.
    public var leadDepartment: DepartmentID? { activeSlip?.lead }

    /// The named handler of the lead department on the active slip.
    public var handler: UserID? {
        guard let slip = activeSlip else { return nil }
        return signFors.last { $0.slipNumber == slip.number && $0.department == slip.lead }?.handler
    }

    /// Whether `department` has signed for the active slip.
    public func hasSignedFor(_ department: DepartmentID) -> Bool {
        guard let slip = activeSlip else { return false }
        return signFors.contains { $0.slipNumber == slip.number && $0.department == department }
    }

    /// The extension request awaiting a decision.
    public var pendingExtension: ExtensionRequest? { extensions.last { $0.decision == nil } }

    /// The supervisions still open.
    public var openSupervisions: [Supervision] { supervisions.filter(\.isOpen) }

    /// When the department's result reached the office (the seal on the feedback that was finally approved, or
    /// the latest seal).
    public var completedAt: Timestamp? {
        guard status.isDone else { return nil }
        if reply?.onTheSpot == true { return reply?.at }
        return feedback?.seal?.at
    }
}
