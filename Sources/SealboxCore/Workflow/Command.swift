/// What the office or a department asks the engine to do to a case (registration is `Workflow.register`).
public enum Command: Sendable, Equatable {
    /// The order behind an assignment slip (M3.1.2).
    public struct Assignment: Sendable, Equatable {
        /// The lead department.
        public var lead: DepartmentID
        /// Co-departments (joint handling, M3.2.1).
        public var coDepartments: [DepartmentID]
        /// The matter.
        public var matter: Personal<String>
        /// The requirements.
        public var requirements: Personal<String>
        /// Urgent or major (M3.2.2); `nil` keeps the case's priority.
        public var priority: Priority?

        /// Creates an assignment order.
        public init(
            lead: DepartmentID, coDepartments: [DepartmentID] = [], matter: Personal<String>,
            requirements: Personal<String>, priority: Priority? = nil
        ) {
            self.lead = lead
            self.coDepartments = coDepartments
            self.matter = matter
            self.requirements = requirements
            self.priority = priority
        }
    }

    /// The seal the department head applies (computed by the caller with the department's seal key).
    public struct SealInput: Sendable, Equatable {
        /// The seal key id.
        public var keyID: String
        /// The digest of the canonical feedback.
        public var digest: String
        /// The signature, base64.
        public var signature: String

        /// Creates a seal input.
        public init(keyID: String, digest: String, signature: String) {
            self.keyID = keyID
            self.digest = digest
            self.signature = signature
        }
    }

    case answerOnSpot(text: Personal<String>, method: Reply.Method)
    case assign(Assignment)
    case reassign(Assignment, reason: Personal<String>)
    case signFor(handler: UserID)
    case startHandling
    case recordContact(method: ContactRecord.Method, summary: Personal<String>)
    case reportProgress(note: Personal<String>, expectedCompletion: CivilDate?)
    case requestExtension(workingDays: Int, reason: Personal<String>)
    case decideExtension(approve: Bool, senderNotice: Personal<String>?)
    case contribute(text: Personal<String>)
    case draftFeedback(
        investigation: Personal<String>, opinion: Personal<String>, result: Personal<String>,
        senderSatisfaction: Satisfaction?)
    case sealFeedback(SealInput)
    case review(approve: Bool, reasons: Personal<String>?)
    case reply(text: Personal<String>, method: Reply.Method)
    case recordSatisfaction(Satisfaction)
    case close
    case restrict
    case remind(reason: String)
    case openSupervision(reason: Supervision.Reason, method: Supervision.Method)
    case issueSupervisionNotice(text: Personal<String>)
    case reportRectification(text: Personal<String>)
    case closeSupervision
    case archive(package: String)

    /// The permission the command needs.
    public var permission: Permission {
        switch self {
        case .answerOnSpot: .answerOnSpot
        case .assign: .assign
        case .reassign: .reassign
        case .signFor: .signFor
        case .startHandling: .startHandling
        case .recordContact: .recordContact
        case .reportProgress: .reportProgress
        case .requestExtension: .requestExtension
        case .decideExtension: .decideExtension
        case .contribute: .contribute
        case .draftFeedback: .draftFeedback
        case .sealFeedback: .sealFeedback
        case .review: .review
        case .reply: .reply
        case .recordSatisfaction: .recordSatisfaction
        case .close: .close
        case .restrict: .restrict
        case .remind: .remind
        case .openSupervision, .issueSupervisionNotice, .closeSupervision: .supervise
        case .reportRectification: .rectify
        case .archive: .archive
        }
    }

    /// The states in which the command applies.
    public var allowedStates: Set<CaseStatus> {
        let handling: Set<CaseStatus> = [.accepted, .inProgress, .returned]
        let supervised: Set<CaseStatus> = [.assigned, .accepted, .inProgress, .feedbackSubmitted, .approved, .returned]
        switch self {
        case .answerOnSpot, .assign: return [.registered]
        case .reassign: return [.assigned, .accepted, .inProgress, .returned]
        case .signFor: return [.assigned, .accepted, .inProgress, .returned]
        case .startHandling: return [.accepted]
        case .recordContact, .reportProgress, .requestExtension, .decideExtension: return handling
        case .contribute: return handling.union([.assigned])
        case .draftFeedback, .sealFeedback: return [.inProgress, .returned]
        case .review: return [.feedbackSubmitted]
        case .reply: return [.approved]
        case .recordSatisfaction: return [.replied, .closed]
        case .close: return [.replied]
        case .restrict: return Set(CaseStatus.allCases).subtracting([.archived])
        case .remind: return [.assigned, .accepted, .inProgress, .returned]
        case .openSupervision, .issueSupervisionNotice, .reportRectification, .closeSupervision: return supervised
        case .archive: return [.closed]
        }
    }

    /// A short PII-free name, for example `sign_for`.
    public var name: String {
        switch self {
        case .answerOnSpot: "answer_on_spot"
        case .assign: "assign"
        case .reassign: "reassign"
        case .signFor: "sign_for"
        case .startHandling: "start"
        case .recordContact: "contact"
        case .reportProgress: "progress"
        case .requestExtension: "extension_request"
        case .decideExtension: "extension_decide"
        case .contribute: "contribute"
        case .draftFeedback: "feedback_draft"
        case .sealFeedback: "feedback_seal"
        case .review: "review"
        case .reply: "reply"
        case .recordSatisfaction: "satisfaction"
        case .close: "close"
        case .restrict: "restrict"
        case .remind: "remind"
        case .openSupervision: "supervision_open"
        case .issueSupervisionNotice: "supervision_notice"
        case .reportRectification: "supervision_rectification"
        case .closeSupervision: "supervision_close"
        case .archive: "archive"
        }
    }
}
