/// The one error type of `SealboxLog`: malformed notes, checkpoints and proofs, failed signatures.
public struct LogError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    public enum Code: String, Sendable {
        case malformed
        case badSignature = "bad_signature"
        case unknownKey = "unknown_key"
        case proofFailed = "proof_failed"
    }

    /// The kind.
    public let code: Code
    /// A one-line message.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
