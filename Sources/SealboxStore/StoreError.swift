import SealboxCore

/// The one error type of `SealboxStore`.
///
/// Messages name no personal data and no bound SQL value; the SQLite result code is kept as a typed field.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// The store is not initialised, or already is.
        case notInitialised = "not_initialised"
        case alreadyInitialised = "already_initialised"
        /// No such user, case or group.
        case notFound = "not_found"
        /// The passphrase did not open the keyring.
        case wrongPassphrase = "wrong_passphrase"
        /// Too many failed unlocks: try again later.
        case locked
        /// The user is disabled.
        case disabled
        /// The reader holds no key that opens this (the second lock, DESIGN §1.2).
        case noKey = "no_key"
        /// The role policy refuses this (the first lock).
        case notPermitted = "not_permitted"
        /// A workflow rule refused the command.
        case refused
        /// A stored record failed authentication or decoding (tampering or corruption).
        case corrupted
        /// The database is busy: try again.
        case busy
        /// Any other SQLite failure.
        case database
        /// A bad argument.
        case invalidInput = "invalid_input"
    }

    /// The kind.
    public let code: Code
    /// A one-line, PII-free message with what to do.
    public let message: String
    /// The SQLite extended result code, when SQLite failed.
    public let sqliteCode: Int32?
    /// The clause of a workflow refusal.
    public let clause: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, sqliteCode: Int32? = nil, clause: String? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
        self.clause = clause
    }

    public var description: String { message }
}

extension StoreError {
    /// A workflow refusal: a role or scope refusal is `.notPermitted` (exit 77); a state or rule refusal `.refused`.
    init(refusal r: Refusal) {
        switch r.kind {
        case .notPermitted, .outOfScope: self.init(.notPermitted, r.reason, clause: r.clause)
        default: self.init(.refused, r.reason, clause: r.clause)
        }
    }
}
