/// The one error type of `SealboxCore` for everything that is not a workflow refusal: a bad policy file,
/// a missing calendar year, a malformed value.
public struct CoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable {
        /// A policy file is malformed or holds an unknown key or a bad value.
        case invalidPolicy
        /// A date falls in a year for which no calendar is loaded.
        case calendarYearMissing
        /// A value (a case number, a date) is malformed.
        case invalidValue
    }

    /// The kind of failure.
    public let code: Code
    /// A one-line explanation naming the file and key where there is one, and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
