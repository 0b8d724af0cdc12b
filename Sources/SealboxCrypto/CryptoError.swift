/// The one error type of `SealboxCrypto`.
///
/// Messages say what failed and what to do; they never carry key bytes, plaintext or personal data.
/// Authentication failures are deliberately vague: a wrong key, a wrong associated data and a flipped
/// byte all give the same `.authenticationFailed`.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A ciphertext, signature or MAC did not verify.
        public static let authenticationFailed = Code(name: "authenticationFailed")
        /// A key, nonce, salt or tag has the wrong length or form.
        public static let invalidKey = Code(name: "invalidKey")
        /// An input is too short, too long or malformed.
        public static let invalidInput = Code(name: "invalidInput")
        /// The input uses a feature this implementation does not offer.
        public static let unsupported = Code(name: "unsupported")
        /// An age file's ASCII armor is malformed.
        public static let ageArmor = Code(name: "ageArmor")
        /// An age file's header is malformed.
        public static let ageHeader = Code(name: "ageHeader")
        /// An age header's MAC did not verify.
        public static let ageHeaderMAC = Code(name: "ageHeaderMAC")
        /// No identity could open any recipient stanza of an age file.
        public static let ageNoMatch = Code(name: "ageNoMatch")
        /// An age payload is truncated, reordered, extended or was modified.
        public static let agePayload = Code(name: "agePayload")
        /// libsodium reported an internal failure (out of memory, failed initialisation).
        public static let libraryFailure = Code(name: "libraryFailure")
        /// Reading or writing a stream failed.
        public static let io = Code(name: "io")

        public var description: String { name }
    }

    /// The kind of failure.
    public let code: Code
    /// A one-line, PII-free explanation with what to do.
    public let message: String
    /// The C status returned by libsodium, when there was one.
    public let status: Int32?

    /// Creates an error.
    public init(_ code: Code, _ message: String, status: Int32? = nil) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { message }

    static let authentication = CryptoError(
        .authenticationFailed, "authentication failed: wrong key, or the data was modified")
}
