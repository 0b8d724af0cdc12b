/// The assignment slip (交辦單, M3.1.2): the matter, the requirements and the deadline, from the office to
/// the lead department (and co-departments for joint handling, M3.2.1).
public struct AssignmentSlip: Sendable, Equatable, Codable {
    /// The slip number: `JB-<case number>-<n>`.
    public var number: String
    /// The lead department.
    public var lead: DepartmentID
    /// Co-departments for joint handling (M3.2.1).
    public var coDepartments: [DepartmentID]
    /// The matter to handle.
    public var matter: Personal<String>
    /// What the department must do.
    public var requirements: Personal<String>
    /// The clerk who issued it.
    public var issuedBy: UserID
    /// When.
    public var issuedAt: Timestamp
    /// The handling deadline (M4.2.1 / M4.2.3).
    public var deadline: CivilDate
    /// The deadline's explanation (working days, holidays skipped).
    public var deadlineExplanation: String
    /// Sign-for due date (M3.1.3).
    public var signForDue: CivilDate
    /// The priority at issue.
    public var priority: Priority
    /// `false` once superseded by a reassignment (history is kept).
    public var isActive: Bool

    /// Every department on the slip, lead first.
    public var departments: [DepartmentID] { [lead] + coDepartments }
}

/// A department's sign-for (簽收, M3.1.3) with its named handler.
public struct SignFor: Sendable, Equatable, Codable {
    /// The department that signed.
    public var department: DepartmentID
    /// The dedicated handler it named.
    public var handler: UserID
    /// Who signed.
    public var signedBy: UserID
    /// When.
    public var at: Timestamp
    /// The slip signed for.
    public var slipNumber: String
}

/// A progress report (M3.2.2, M4.1.3).
public struct ProgressReport: Sendable, Equatable, Codable {
    /// Who reported.
    public var by: UserID
    /// When.
    public var at: Timestamp
    /// The report.
    public var note: Personal<String>
    /// The expected completion date told to the sender (M4.1.3).
    public var expectedCompletion: CivilDate?
}

/// A contact with the sender (M4.1.2).
public struct ContactRecord: Sendable, Equatable, Codable {
    /// How.
    public enum Method: String, Sendable, Codable, CaseIterable { case phone, sms, email, letter, visit }
    /// Who made contact.
    public var by: UserID
    /// When.
    public var at: Timestamp
    /// How.
    public var method: Method
    /// What was said.
    public var summary: Personal<String>
}

/// An extension request and its decision (M4.2.2).
public struct ExtensionRequest: Sendable, Equatable, Codable {
    /// The decision on a request.
    public struct Decision: Sendable, Equatable, Codable {
        /// Approved or refused.
        public var approved: Bool
        /// Who decided.
        public var by: UserID
        /// When.
        public var at: Timestamp
        /// The deadline after an approval.
        public var newDeadline: CivilDate?
        /// What the sender is told, and why (M4.2.2 requires telling the sender).
        public var senderNotice: Personal<String>?
    }

    /// Who asked.
    public var requestedBy: UserID
    /// When.
    public var at: Timestamp
    /// Extra working days asked for.
    public var workingDays: Int
    /// Why (complex matter, several departments).
    public var reason: Personal<String>
    /// The decision, once made.
    public var decision: Decision?

    /// Creates a record.
    public init(
        requestedBy: UserID, at: Timestamp, workingDays: Int, reason: Personal<String>, decision: Decision? = nil
    ) {
        self.requestedBy = requestedBy
        self.at = at
        self.workingDays = workingDays
        self.reason = reason
        self.decision = decision
    }
}

/// A co-department's contribution to a joint matter (M3.2.1).
public struct Contribution: Sendable, Equatable, Codable {
    /// The co-department.
    public var department: DepartmentID
    /// Who wrote it.
    public var by: UserID
    /// When.
    public var at: Timestamp
    /// Its findings and opinion.
    public var text: Personal<String>
}

/// How satisfied the sender is (M4.3.2, M7.1.2).
public enum Satisfaction: String, Sendable, Codable, CaseIterable {
    case verySatisfied = "very_satisfied"
    case satisfied
    case basicallySatisfied = "basically_satisfied"
    case dissatisfied
    /// The sender could not be reached; not counted in the score.
    case unreachable

    /// The score used by assessment: 100, 80, 60, 0; `nil` for unreachable.
    public var score: Int? {
        switch self {
        case .verySatisfied: 100
        case .satisfied: 80
        case .basicallySatisfied: 60
        case .dissatisfied: 0
        case .unreachable: nil
        }
    }
}

/// The department's seal on feedback (公章, M4.3.1).
///
/// An Ed25519 signature by the department's seal key over the feedback digest. Core records it; the store
/// verifies it against the department's certified key.
public struct DepartmentSeal: Sendable, Equatable, Codable {
    /// The sealing department.
    public var department: DepartmentID
    /// The department head who applied it.
    public var sealedBy: UserID
    /// When.
    public var at: Timestamp
    /// The seal key's id.
    public var keyID: String
    /// The hex digest of the canonical feedback that was signed.
    public var digest: String
    /// The signature, base64.
    public var signature: String
}

/// The department's written feedback (M4.3.1, M4.3.2).
public struct Feedback: Sendable, Equatable, Codable {
    /// What was investigated and found.
    public var investigation: Personal<String>
    /// The handling opinion.
    public var opinion: Personal<String>
    /// The result.
    public var result: Personal<String>
    /// The sender's satisfaction as the department recorded it.
    public var senderSatisfaction: Satisfaction?
    /// Who drafted it (the named handler).
    public var draftedBy: UserID
    /// When.
    public var draftedAt: Timestamp
    /// The seal, once applied; feedback counts as submitted only when sealed.
    public var seal: DepartmentSeal?

    /// Creates a record.
    public init(
        investigation: Personal<String>, opinion: Personal<String>, result: Personal<String>,
        senderSatisfaction: Satisfaction?, draftedBy: UserID, draftedAt: Timestamp, seal: DepartmentSeal? = nil
    ) {
        self.investigation = investigation
        self.opinion = opinion
        self.result = result
        self.senderSatisfaction = senderSatisfaction
        self.draftedBy = draftedBy
        self.draftedAt = draftedAt
        self.seal = seal
    }
}

/// The office's review of sealed feedback (M4.3.3).
public struct Review: Sendable, Equatable, Codable {
    /// Approve, or return for rework with reasons.
    public var approved: Bool
    /// Why it was returned.
    public var reasons: Personal<String>?
    /// Who reviewed.
    public var by: UserID
    /// When.
    public var at: Timestamp
}

/// The reply to the sender (M4.3.3, or M4.1.3 on the spot).
public struct Reply: Sendable, Equatable, Codable {
    /// How it was sent.
    public enum Method: String, Sendable, Codable, CaseIterable {
        case phone, sms, email, letter, website, inPerson = "in_person"
    }
    /// Who replied.
    public var by: UserID
    /// When.
    public var at: Timestamp
    /// The text.
    public var text: Personal<String>
    /// How.
    public var method: Method
    /// Answered on the spot (M4.1.3).
    public var onTheSpot: Bool
}

/// A reminder sent to a department (M5.1.2).
public struct Reminder: Sendable, Equatable, Codable {
    /// Who sent it.
    public var by: UserID
    /// When.
    public var at: Timestamp
    /// To which department.
    public var department: DepartmentID
    /// Why: due soon, overdue, progress overdue, sign-for overdue.
    public var reason: String
}
