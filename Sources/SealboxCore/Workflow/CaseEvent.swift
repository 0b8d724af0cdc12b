/// What happened to a case: the PII-free record the log turns into a leaf (DESIGN §6).
///
/// `details` hold only workflow metadata (departments, dates, counts, slip numbers, reasons' codes) — never
/// a `Personal` value. A test checks every event of a full run for the personal strings it used.
public struct CaseEvent: Sendable, Equatable, Codable {
    /// The kind, for example `case.assigned`.
    public var kind: String
    /// The case, or `nil` for store-wide events (users, groups).
    public var caseNumber: CaseNumber?
    /// Who acted.
    public var actor: UserID
    /// When.
    public var at: Timestamp
    /// PII-free details, sorted by key when rendered.
    public var details: [String: String]

    /// Creates an event.
    public init(kind: String, caseNumber: CaseNumber?, actor: UserID, at: Timestamp, details: [String: String] = [:]) {
        self.kind = kind
        self.caseNumber = caseNumber
        self.actor = actor
        self.at = at
        self.details = details
    }
}

/// A refused command: what was refused, why, and the clause that says so.
public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why it was refused.
    public enum Kind: String, Sendable {
        /// The actor's roles do not grant the permission (deny by default).
        case notPermitted = "not_permitted"
        /// The actor's scope does not reach this case (another department, not the named handler).
        case outOfScope = "out_of_scope"
        /// The command does not apply in the case's current state.
        case wrongState = "wrong_state"
        /// A rule of the Measures forbids it (missing contributions, extension cap, no notice).
        case ruleViolated = "rule_violated"
        /// An input is missing or malformed.
        case invalidInput = "invalid_input"
    }

    /// The kind.
    public let kind: Kind
    /// A one-line, PII-free reason.
    public let reason: String
    /// The clause enforced, for example `M4.2.2`; `DESIGN§4` for the access policy.
    public let clause: String

    /// Creates a refusal.
    public init(_ kind: Kind, _ reason: String, clause: String) {
        self.kind = kind
        self.reason = reason
        self.clause = clause
    }

    public var description: String { "\(reason) (\(clause))" }
}

/// A successful command: the new case and the events to record.
public struct Transition: Sendable, Equatable {
    /// The case after the command.
    public let letterCase: LetterCase
    /// The events, in order.
    public let events: [CaseEvent]
}
