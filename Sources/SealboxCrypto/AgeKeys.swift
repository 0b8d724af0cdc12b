internal import CSodium

/// An age X25519 recipient (`age1…`): the public key an archive payload is encrypted to.
public struct AgeRecipient: Sendable, Hashable, CustomStringConvertible {
    /// The X25519 public key.
    public let publicKey: BoxPublicKey

    /// Wraps an X25519 public key.
    public init(_ publicKey: BoxPublicKey) { self.publicKey = publicKey }

    /// Parses the Bech32 form `age1…`.
    /// - Throws: `CryptoError.invalidKey` when it is not a valid age X25519 recipient.
    public init(parsing text: String) throws(CryptoError) {
        guard let (hrp, data) = Bech32.decode(text.trimmingSpaces), hrp == "age", data.count == 32,
            text.trimmingSpaces == text.trimmingSpaces.lowercased()
        else { throw CryptoError(.invalidKey, "not an age X25519 recipient (expected age1…)") }
        self.publicKey = try BoxPublicKey(data)
    }

    /// The Bech32 form, `age1…`.
    public var description: String { Bech32.encode(hrp: "age", data: publicKey.bytes) }
}

/// An age X25519 identity (`AGE-SECRET-KEY-1…`): the secret key that opens archive payloads.
public struct AgeIdentity: Sendable, CustomStringConvertible {
    /// The X25519 secret key.
    public let secretKey: BoxSecretKey

    /// Wraps an X25519 secret key.
    public init(_ secretKey: BoxSecretKey) { self.secretKey = secretKey }

    /// A fresh random identity.
    public static func generate() -> AgeIdentity { AgeIdentity(.generate()) }

    /// Parses `AGE-SECRET-KEY-1…` (the text form `age-keygen` writes).
    /// - Throws: `CryptoError.invalidKey` when it is not a valid age X25519 identity.
    public init(parsing text: String) throws(CryptoError) {
        guard let (hrp, data) = Bech32.decode(text.trimmingSpaces), hrp == "age-secret-key-", data.count == 32 else {
            throw CryptoError(.invalidKey, "not an age X25519 identity (expected AGE-SECRET-KEY-1…)")
        }
        let secret = SecureBytes(copying: data)
        self.secretKey = try BoxSecretKey(secret)
    }

    /// The recipient that encrypts to this identity.
    public var recipient: AgeRecipient { AgeRecipient(secretKey.publicKey) }

    /// The `AGE-SECRET-KEY-1…` text, in secure memory, for writing an identity file that `age -d -i` reads.
    ///
    /// The Bech32 encoding passes through an ordinary `String` on the way; that transient copy is not zeroed.
    public func encodedSecret() -> SecureBytes {
        let data = secretKey.bytes.withUnsafeBytes { [UInt8]($0) }
        return SecureBytes(copying: Array(Bech32.encode(hrp: "age-secret-key-", data: data).uppercased().utf8))
    }

    public var description: String { "AgeIdentity(redacted, recipient \(recipient))" }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// X25519 Diffie-Hellman, refusing an all-zero shared secret (low-order points).
enum X25519 {
    static func sharedSecret(_ secret: SecureBytes, _ publicBytes: [UInt8]) throws(CryptoError) -> SecureBytes {
        var status: Int32 = 0
        let shared = SecureBytes(count: 32) { (out: UnsafeMutableRawBufferPointer) -> Void in
            status = secret.withUnsafeBytes { s in
                crypto_scalarmult(
                    out.u8, s.u8,
                    publicBytes)
            }
        }
        // libsodium returns -1 when the result is all zero (a low-order or identity point).
        guard status == 0 else { throw CryptoError(.ageHeader, "age header: X25519 share is a low-order point") }
        return shared
    }
}

extension AgeIdentity {
    /// The identity file `age-keygen` writes (`# public key: age1…` then the secret line), in secure memory.
    public func identityFile() -> SecureBytes {
        var text = Array("# public key: \(recipient)\n".utf8)
        encodedSecret().withUnsafeBytes { text += $0 }
        text.append(0x0a)
        defer { SecureBytes.wipe(&text) }
        return SecureBytes(copying: text)
    }

    /// Parses an identity file: one `AGE-SECRET-KEY-1…` per line, `#` comments and blank lines ignored.
    /// - Throws: `CryptoError.invalidKey` for a line that is not an X25519 identity.
    public static func parseFile(_ file: SecureBytes) throws(CryptoError) -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        var line: [UInt8] = []
        defer { SecureBytes.wipe(&line) }
        func flush() throws(CryptoError) {
            let text = String(decoding: line, as: UTF8.self).trimmingSpaces
            if !text.isEmpty && !text.hasPrefix("#") { identities.append(try AgeIdentity(parsing: text)) }
            SecureBytes.wipe(&line)
            line = []
        }
        for byte in file.withUnsafeBytes({ [UInt8]($0) }) {
            if byte == 0x0a { try flush() } else { line.append(byte) }
        }
        try flush()
        return identities
    }
}
