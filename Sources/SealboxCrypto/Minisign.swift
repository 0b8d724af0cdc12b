/// minisign signatures ("ED": Ed25519 over the BLAKE2b-512 of the file), in minisign's text formats, so that
/// `minisign -V -p key.pub -m FILE` checks what Sealbox signs and Sealbox checks what `minisign -S` signs.
///
/// Signature file (`.minisig`), four lines:
/// `untrusted comment: …` / base64("ED" ‖ key id (8) ‖ sig) / `trusted comment: …` /
/// base64(Ed25519(sig ‖ trusted comment)). Public key: `untrusted comment: …` / base64("Ed" ‖ key id ‖ pk).
public enum Minisign {
    /// A minisign public key with its 8-byte key id.
    public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
        /// The random 8-byte key id minisign stores with keys and signatures.
        public let keyID: [UInt8]
        /// The Ed25519 public key.
        public let key: SigningPublicKey

        /// Wraps a key and id.
        /// - Throws: `CryptoError.invalidKey` unless the id is 8 bytes.
        public init(keyID: [UInt8], key: SigningPublicKey) throws(CryptoError) {
            guard keyID.count == 8 else { throw CryptoError(.invalidKey, "a minisign key id is 8 bytes") }
            self.keyID = keyID
            self.key = key
        }

        /// Parses a public key file (two lines) or just its base64 line (as `minisign -P` takes).
        /// - Throws: `CryptoError.invalidKey` when malformed.
        public init(parsing text: String) throws(CryptoError) {
            let lines = text.split(whereSeparator: \.isNewline).map(String.init)
            let candidate = lines.first { !$0.hasPrefix("untrusted comment:") } ?? ""
            guard let raw = Base64.decode(candidate.trimmingSpaces), raw.count == 42, raw[0] == 0x45, raw[1] == 0x64
            else { throw CryptoError(.invalidKey, "not a minisign Ed25519 public key") }
            try self.init(keyID: Array(raw[2..<10]), key: SigningPublicKey(Array(raw[10..<42])))
        }

        /// The key id as minisign prints it: hex of the little-endian 64-bit integer, upper case.
        public var keyIDText: String { Hex.encode(keyID.reversed()).uppercased() }

        /// The base64 line alone.
        public var base64: String { Base64.encode([0x45, 0x64] + keyID + key.bytes) }

        /// The two-line public key file.
        public var fileText: String { "untrusted comment: minisign public key \(keyIDText)\n\(base64)\n" }

        public var description: String { fileText }
    }

    /// A minisign secret key: an Ed25519 key and its key id.
    public struct SecretKey: Sendable {
        /// The random key id.
        public let keyID: [UInt8]
        /// The Ed25519 secret key.
        public let key: SigningSecretKey

        /// Wraps an Ed25519 key under a key id (random when not given).
        public init(key: SigningSecretKey, keyID: [UInt8] = SecureRandom.bytes(8)) {
            self.key = key
            self.keyID = keyID.count == 8 ? keyID : SecureRandom.bytes(8)
        }

        /// The public half.
        public var publicKey: PublicKey {
            // The id is 8 bytes by construction.
            PublicKey(unchecked: keyID, key: key.publicKey)
        }
    }

    /// A parsed `.minisig` file.
    public struct Signature: Sendable, Hashable {
        /// `ED` (prehashed, what minisign makes by default) or legacy `Ed` (the whole file signed).
        public let algorithm: [UInt8]
        /// The signing key's id.
        public let keyID: [UInt8]
        /// The Ed25519 signature of the file (or of its BLAKE2b-512 for `ED`).
        public let signature: [UInt8]
        /// The untrusted comment (not signed).
        public let untrustedComment: String
        /// The trusted comment (covered by the global signature).
        public let trustedComment: String
        /// Ed25519 of `signature ‖ trustedComment`.
        public let globalSignature: [UInt8]

        /// Parses the four-line text.
        /// - Throws: `CryptoError.invalidInput` when malformed.
        public init(parsing text: String) throws(CryptoError) {
            let bad = CryptoError(.invalidInput, "not a minisign signature file")
            let lines = text.split(byte: 0x0A, omittingEmptySubsequences: false).map {
                $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
            }
            guard lines.count >= 4, lines[0].hasPrefix("untrusted comment: "),
                lines[2].hasPrefix("trusted comment: "),
                lines.dropFirst(4).allSatisfy(\.isEmpty),
                let sig = Base64.decode(lines[1]), sig.count == 74,
                let global = Base64.decode(lines[3]), global.count == 64
            else { throw bad }
            let alg = Array(sig[0..<2])
            guard alg == [0x45, 0x44] || alg == [0x45, 0x64] else { throw bad }
            algorithm = alg
            keyID = Array(sig[2..<10])
            signature = Array(sig[10..<74])
            untrustedComment = String(lines[0].dropFirst("untrusted comment: ".count))
            trustedComment = String(lines[2].dropFirst("trusted comment: ".count))
            globalSignature = global
        }

        init(
            algorithm: [UInt8], keyID: [UInt8], signature: [UInt8], untrustedComment: String, trustedComment: String,
            globalSignature: [UInt8]
        ) {
            self.algorithm = algorithm
            self.keyID = keyID
            self.signature = signature
            self.untrustedComment = untrustedComment
            self.trustedComment = trustedComment
            self.globalSignature = globalSignature
        }

        /// The `.minisig` text.
        public var fileText: String {
            """
            untrusted comment: \(untrustedComment)
            \(Base64.encode(algorithm + keyID + signature))
            trusted comment: \(trustedComment)
            \(Base64.encode(globalSignature))

            """
        }
    }

    /// A streaming BLAKE2b-512 of the signed content (minisign's prehash).
    public struct Prehash: Sendable {
        fileprivate var hasher: BLAKE2b

        /// Starts a prehash.
        public init() {
            // 64 bytes of output, no key: always valid.
            do { hasher = try BLAKE2b(outputCount: 64) } catch { fatalError("BLAKE2b-512: \(error)") }
        }

        /// Absorbs more of the file.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bytes) }

        /// Absorbs more of the file.
        public mutating func update(_ bytes: some RawBytes) { hasher.update(bytes) }

        /// The 64-byte digest.
        public mutating func finalize() -> [UInt8] { hasher.finalize() }
    }

    /// Signs a file given its prehash, with the trusted comment minisign would write by default.
    /// - Parameters:
    ///   - prehash: the finished `Prehash` of the file.
    ///   - key: the secret key.
    ///   - trustedComment: one line, signed; no newline allowed.
    ///   - untrustedComment: one line, not signed.
    /// - Returns: the signature, ready to write as a `.minisig` file.
    /// - Throws: `CryptoError.invalidInput` when a comment holds a line break.
    public static func sign(
        prehash: [UInt8], with key: SecretKey, trustedComment: String,
        untrustedComment: String = "signature from Sealbox secret key"
    ) throws(CryptoError) -> Signature {
        guard !trustedComment.contains(where: \.isNewline), !untrustedComment.contains(where: \.isNewline) else {
            throw CryptoError(.invalidInput, "minisign comments must be one line")
        }
        let sig = key.key.signature(for: prehash)
        let global = key.key.signature(for: sig + Array(trustedComment.utf8))
        return Signature(
            algorithm: [0x45, 0x44], keyID: key.keyID, signature: sig, untrustedComment: untrustedComment,
            trustedComment: trustedComment, globalSignature: global)
    }

    /// Signs in-memory content.
    public static func sign(
        _ content: some RawBytes, with key: SecretKey, trustedComment: String
    ) throws(CryptoError) -> Signature {
        var hash = Prehash()
        hash.update(content)
        return try sign(prehash: hash.finalize(), with: key, trustedComment: trustedComment)
    }

    /// Verifies a signature over a file's prehash (or, for legacy `Ed`, the whole content).
    /// - Parameters:
    ///   - signature: the parsed signature.
    ///   - prehash: BLAKE2b-512 of the content (used for `ED`).
    ///   - content: the whole content, needed only for legacy `Ed` signatures; `nil` refuses those.
    ///   - key: the trusted public key.
    /// - Throws: `CryptoError.invalidKey` when the key ids differ; `.authenticationFailed` when either
    ///   signature fails (a flipped byte in the file, the signature or the trusted comment).
    public static func verify(
        _ signature: Signature, prehash: [UInt8], content: [UInt8]? = nil, with key: PublicKey
    ) throws(CryptoError) {
        guard signature.keyID == key.keyID else {
            throw CryptoError(.invalidKey, "signature was made by another key (key id differs)")
        }
        let message: [UInt8]
        if signature.algorithm == [0x45, 0x44] {
            message = prehash
        } else if let content {
            message = content
        } else {
            throw CryptoError(.unsupported, "legacy (non-prehashed) minisign signatures need the whole content")
        }
        try key.key.verify(signature.signature, for: message)
        try key.key.verify(signature.globalSignature, for: signature.signature + Array(signature.trustedComment.utf8))
    }

    /// Verifies a signature over in-memory content.
    public static func verify(_ signature: Signature, content: [UInt8], with key: PublicKey) throws(CryptoError) {
        var hash = Prehash()
        hash.update(content)
        try verify(signature, prehash: hash.finalize(), content: content, with: key)
    }
}

extension Minisign.PublicKey {
    init(unchecked keyID: [UInt8], key: SigningPublicKey) {
        self.keyID = keyID
        self.key = key
    }
}

// MARK: - Unencrypted secret key files (`minisign -G -W`)

extension Minisign.SecretKey {
    private static let fileBytes = 158

    /// Parses an unencrypted minisign secret key file (made with `minisign -G -W`).
    /// - Throws: `CryptoError.unsupported` for a passphrase-protected (scrypt) key; `.invalidKey` when malformed
    ///   or its checksum fails.
    public init(parsing text: SecureBytes) throws(CryptoError) {
        let lines = text.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }.split(whereSeparator: \.isNewline)
        guard lines.count >= 2, var raw = Base64.decode(String(lines[1]).trimmingSpaces), raw.count == Self.fileBytes
        else { throw CryptoError(.invalidKey, "not a minisign secret key file") }
        defer { SecureBytes.wipe(&raw) }
        guard raw[0] == 0x45, raw[1] == 0x64, raw[4] == 0x42, raw[5] == 0x32 else {
            throw CryptoError(.invalidKey, "not a minisign Ed25519 secret key")
        }
        guard raw[2] == 0, raw[3] == 0 else {
            throw CryptoError(.unsupported, "passphrase-protected minisign keys are not supported; use minisign -W")
        }
        let keyID = Array(raw[54..<62])
        let secret = SecureBytes(copying: raw[62..<126])
        let check = try BLAKE2b(outputCount: 32)
        check.update(Array(raw[0..<2]) + keyID)
        secret.withUnsafeBytes { check.update($0) }
        // `minisign -G -W` (0.11) leaves the checksum of an unencrypted key all zero; any other value must match.
        let stored = Array(raw[126..<158])
        guard stored.allSatisfy({ $0 == 0 }) || check.finalize() == stored else {
            throw CryptoError(.invalidKey, "minisign secret key checksum failed (damaged file)")
        }
        let seed = SecureBytes(copying: raw[62..<94])
        let key = try SigningSecretKey(seed: seed)
        // The secret key embeds its public half: a mismatch means a damaged file.
        guard key.publicKey.bytes == Array(raw[94..<126]) else {
            throw CryptoError(.invalidKey, "minisign secret key is damaged (public half does not match)")
        }
        self.init(key: key, keyID: keyID)
    }

    /// The unencrypted secret key file text, readable by `minisign -S -s FILE` (as a `-W` key), in secure memory.
    public func fileText() -> SecureBytes {
        var raw: [UInt8] = [0x45, 0x64, 0, 0, 0x42, 0x32] + [UInt8](repeating: 0, count: 48) + keyID
        key.bytes.withUnsafeBytes { raw += $0 }
        let check: BLAKE2b
        do { check = try BLAKE2b(outputCount: 32) } catch { fatalError("BLAKE2b-256: \(error)") }
        check.update(Array(raw[0..<2]) + keyID)
        key.bytes.withUnsafeBytes { check.update($0) }
        raw += check.finalize()
        defer { SecureBytes.wipe(&raw) }
        return SecureBytes(
            copying: Array("untrusted comment: minisign secret key (unencrypted)\n\(Base64.encode(raw))\n".utf8))
    }
}
