internal import SealboxCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// A refusal the CLI reports as one line, `sealbox: error: …`, with a `sysexits.h` exit code.
public struct CLIError: Error, Sendable {
    /// The `sysexits.h` code.
    public struct ExitStatus: Hashable, Sendable {
        /// The numeric exit code.
        public let rawValue: Int32
        /// 64: bad command-line usage.
        public static let usage = ExitStatus(rawValue: 64)
        /// 65: bad input data.
        public static let dataError = ExitStatus(rawValue: 65)
        /// 66: an input file is missing.
        public static let noInput = ExitStatus(rawValue: 66)
        /// 70: an internal software error.
        public static let software = ExitStatus(rawValue: 70)
        /// 73: an output cannot be created.
        public static let cannotCreate = ExitStatus(rawValue: 73)
        /// 69: a service is unavailable.
        public static let unavailable = ExitStatus(rawValue: 69)
        /// 74: an I/O error.
        public static let ioError = ExitStatus(rawValue: 74)
        /// 75: a temporary failure; try again.
        public static let tryAgain = ExitStatus(rawValue: 75)
        /// 77: permission denied.
        public static let noPermission = ExitStatus(rawValue: 77)
    }

    /// The exit code.
    public let status: ExitStatus
    /// The one-line message, free of personal data.
    public let message: String
    /// What to do about it, when there is something to say.
    public let hint: String?

    /// Creates a refusal.
    public init(_ status: ExitStatus, _ message: String, hint: String? = nil) {
        self.status = status
        self.message = message
        self.hint = hint
    }

    /// Maps any error to a refusal; crypto errors keep their vague, PII-free message.
    static func from(_ error: any Error) -> CLIError {
        if let cli = error as? CLIError { return cli }
        if let crypto = error as? CryptoError {
            switch crypto.code {
            case .io: return CLIError(.ioError, crypto.message)
            case .authenticationFailed, .ageNoMatch:
                return CLIError(.noPermission, crypto.message, hint: "check that you hold the right key")
            case .unsupported: return CLIError(.dataError, crypto.message)
            default: return CLIError(.dataError, crypto.message)
            }
        }
        return CLIError(.software, "unexpected failure (\(type(of: error)))")
    }
}
