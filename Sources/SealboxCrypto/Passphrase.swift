#if canImport(Glibc)
    import Glibc
#endif

/// Reads passphrases without ever taking them from an argument (DESIGN §4): from the terminal with echo off, from
/// an inherited file descriptor, or from an environment variable (for scripts and tests).
public enum Passphrase {
    /// The most bytes read for one passphrase.
    public static let maxBytes = 1024

    /// Reads one line from file descriptor `fd` into secure memory (the trailing newline dropped).
    /// - Throws: `CryptoError.io` when the descriptor cannot be read or the passphrase is empty.
    public static func read(fileDescriptor fd: Int32) throws -> SecureBytes {
        let buffer = SecureBytes(count: maxBytes) { (_: UnsafeMutableRawBufferPointer) -> Void in }
        var count = 0
        try buffer.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) throws -> Void in
            var byte: UInt8 = 0
            while count < maxBytes {
                let n = Glibc.read(fd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw CryptoError(.io, "cannot read the passphrase from descriptor \(fd)") }
                if n == 0 || byte == 0x0a { break }
                b[count] = byte
                count += 1
            }
            if count > 0 && b[count - 1] == 0x0d { count -= 1 }
        }
        guard count > 0 else { throw CryptoError(.io, "the passphrase is empty") }
        return buffer.withUnsafeBytes { SecureBytes(copying: $0[0..<count]) }
    }

    /// Reads a passphrase from the controlling terminal with echo turned off.
    /// - Throws: `CryptoError.io` when there is no terminal.
    public static func readFromTerminal(prompt: String) throws -> SecureBytes {
        let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            throw CryptoError(
                .io, "no terminal to ask for the passphrase; use --passphrase-fd or SEALBOX_PASSPHRASE in scripts")
        }
        defer { close(fd) }
        var original = termios()
        let haveAttributes = tcgetattr(fd, &original) == 0
        if haveAttributes {
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(fd, TCSAFLUSH, &silent)
        }
        defer { if haveAttributes { _ = tcsetattr(fd, TCSAFLUSH, &original) } }
        let text = Array(prompt.utf8)
        _ = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let secret = try read(fileDescriptor: fd)
        _ = Glibc.write(fd, "\n", 1)
        return secret
    }

    /// Takes a passphrase from the environment variable `name`, if set (for scripts; the variable stays in the
    /// process environment, which this cannot wipe).
    public static func fromEnvironment(_ name: String) -> SecureBytes? {
        guard let value = getenv(name) else { return nil }
        let count = strlen(value)
        guard count > 0 else { return nil }
        return SecureBytes(copying: UnsafeRawBufferPointer(start: value, count: count))
    }
}
