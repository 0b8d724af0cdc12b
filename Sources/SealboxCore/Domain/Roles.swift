/// The people who act on a case (DESIGN §4).
///
/// Deny by default: a role can do only what `Policies/roles.toml` grants it.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    /// Mailbox office clerk: registers, assigns, replies, closes.
    case clerk
    /// Office reviewer: reviews feedback, approves extensions, supervises.
    case reviewer
    /// A department's named handler (承辦人): investigates and drafts feedback.
    case handler
    /// A department head: signs for slips and applies the department seal (公章) to feedback.
    case departmentHead = "department_head"
    /// Archivist: exports closed cases.
    case archivist
    /// Auditor: reads metadata and the log, never personal data.
    case auditor
    /// Administrator: manages users and departments, never reads personal data.
    case administrator

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where a role's permissions apply.
public enum Scope: String, Sendable, Codable {
    /// Every case.
    case office
    /// Cases assigned to the actor's own department (as lead or co-department).
    case department
    /// Only cases where the actor is the named handler (or, before sign-for, assigned to their department).
    case handler
    /// No case at all (administration, audit).
    case none
}

/// What an actor may do; each workflow command needs one permission.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case register = "case.register"
    case answerOnSpot = "case.answer_on_spot"
    case assign = "case.assign"
    case reassign = "case.reassign"
    case signFor = "case.sign_for"
    case startHandling = "case.start"
    case recordContact = "case.contact"
    case reportProgress = "case.progress"
    case requestExtension = "case.extension_request"
    case decideExtension = "case.extension_decide"
    case contribute = "case.contribute"
    case draftFeedback = "case.feedback_draft"
    case sealFeedback = "case.feedback_seal"
    case review = "case.review"
    case reply = "case.reply"
    case recordSatisfaction = "case.satisfaction"
    case close = "case.close"
    case restrict = "case.restrict"
    case remind = "case.remind"
    case supervise = "case.supervise"
    case rectify = "case.rectify"
    case archive = "case.archive"
    case readPersonal = "case.read_personal"
    case readMetadata = "case.read_metadata"
    case readLog = "log.read"
    case manageUsers = "admin.users"
}

/// Who is acting: a user with roles and, for department staff, a department.
public struct Actor: Sendable, Hashable, Codable {
    /// The login name.
    public let id: UserID
    /// The roles held.
    public let roles: Set<Role>
    /// The department, for handlers and department heads.
    public let department: DepartmentID?

    /// Creates an actor.
    public init(id: UserID, roles: Set<Role>, department: DepartmentID? = nil) {
        self.id = id
        self.roles = roles
        self.department = department
    }
}
