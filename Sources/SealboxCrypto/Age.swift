/// age (age-encryption.org/v1) with X25519 recipients: the format archive payloads are sealed in, so that
/// `age -d -i key.txt` opens them without Sealbox.
///
/// Streaming: both directions hold at most one 64 KiB chunk (and one armor line) whatever the input size.
public enum Age {
    /// Plaintext bytes per STREAM chunk.
    static let chunkSize = 64 * 1024
    static let chunkCount = chunkSize + ChaCha20Poly1305IETF.tagCount

    /// Encrypts `plaintext` to `recipients` in memory (see `AgeEncryptor` for streaming).
    /// - Throws: `CryptoError.invalidInput` when `recipients` is empty.
    public static func encrypt(
        _ plaintext: some RawBytes, to recipients: [AgeRecipient], armored: Bool = false
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        let encryptor = try AgeEncryptor(recipients: recipients, armored: armored)
        let sink: (UnsafeRawBufferPointer) -> Void = { out.append(contentsOf: $0) }
        try plaintext.withUnsafeBytes { try encryptor.update($0, output: sink) }
        try encryptor.finish(output: sink)
        return out
    }

    /// Decrypts a binary or armored age file in memory into secure memory (see `AgeDecryptor` for streaming).
    /// - Throws: `CryptoError` with an `age…` code saying which part failed.
    public static func decrypt(_ file: some RawBytes, identities: [AgeIdentity]) throws -> SecureBytes {
        var out: [UInt8] = []
        defer { SecureBytes.wipe(&out) }
        let decryptor = AgeDecryptor(identities: identities)
        let sink: (UnsafeRawBufferPointer) -> Void = { out.append(contentsOf: $0) }
        try file.withUnsafeBytes { try decryptor.update($0, output: sink) }
        try decryptor.finish(output: sink)
        return SecureBytes(copying: out)
    }

    /// The 12-byte STREAM nonce: 11-byte big-endian counter ‖ last-chunk flag.
    static func streamNonce(counter: UInt64, last: Bool) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        for i in 0..<8 { nonce[10 - i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
        nonce[11] = last ? 1 : 0
        return nonce
    }

    static func headerMAC(fileKey: SecureBytes, over macInput: [UInt8]) throws(CryptoError) -> [UInt8] {
        let key = try HKDF.deriveKey(ikm: fileKey, salt: [UInt8](), info: Array("header".utf8), count: 32)
        return key.withUnsafeBytes { k in
            var mac = HMACSHA256(key: k)
            mac.update(macInput)
            return mac.finalizePublic()
        }
    }

    static func payloadKey(fileKey: SecureBytes, nonce: [UInt8]) throws(CryptoError) -> SecureBytes {
        try HKDF.deriveKey(ikm: fileKey, salt: nonce, info: Array("payload".utf8), count: 32)
    }

    static let x25519Info = Array("age-encryption.org/v1/X25519".utf8)
    static let zeroNonce = [UInt8](repeating: 0, count: 12)
}

// MARK: - Encryption

/// Streams plaintext into an age file for one or more X25519 recipients.
///
/// Call `update` with plaintext as it comes and `finish` once; every produced byte goes to `output`.
public final class AgeEncryptor {
    private var header: [UInt8]
    private let payloadKey: SecureBytes
    private var armor: AgeArmor.Encoder?
    private var chunk: [UInt8]
    private var filled = 0
    private var counter: UInt64 = 0
    private var finished = false

    /// Prepares a new file: a fresh file key, one stanza per recipient, the header MAC and payload nonce.
    /// - Throws: `CryptoError.invalidInput` when `recipients` is empty.
    public init(recipients: [AgeRecipient], armored: Bool = false) throws {
        guard !recipients.isEmpty else { throw CryptoError(.invalidInput, "age needs at least one recipient") }
        let fileKey = SecureBytes.random(count: 16)
        var stanzas: [AgeStanza] = []
        for recipient in recipients {
            let ephemeral = BoxSecretKey.generate()
            let share = ephemeral.publicKey.bytes
            let shared = try X25519.sharedSecret(ephemeral.bytes, recipient.publicKey.bytes)
            let wrapKey = try HKDF.deriveKey(
                ikm: shared, salt: share + recipient.publicKey.bytes, info: Age.x25519Info, count: 32)
            var body = fileKey.withUnsafeBytes { [UInt8]($0) } + [UInt8](repeating: 0, count: 16)
            body.withUnsafeMutableBytes { b in
                Age.zeroNonce.withUnsafeBytes { n in
                    wrapKey.withUnsafeBytes { ChaCha20Poly1305IETF.sealInPlace(b, count: 16, nonce: n, key: $0) }
                }
            }
            stanzas.append(AgeStanza(type: "X25519", arguments: [Base64.encode(share, padded: false)], body: body))
        }
        var header = AgeHeader.encode(stanzas)
        let mac = try Age.headerMAC(fileKey: fileKey, over: header)
        header += Array(" \(Base64.encode(mac, padded: false))\n".utf8)
        let nonce = SecureRandom.bytes(16)
        header += nonce
        self.header = header
        self.payloadKey = try Age.payloadKey(fileKey: fileKey, nonce: nonce)
        self.armor = armored ? AgeArmor.Encoder() : nil
        self.chunk = [UInt8](repeating: 0, count: Age.chunkCount)
    }

    /// The size of the binary file this encryptor makes from `plaintextCount` bytes (header, then one 16-byte tag
    /// per 64 KiB chunk, at least one chunk): what a tar header must announce before the bytes stream.
    /// - Precondition: not armored, and nothing emitted yet.
    public func encryptedCount(plaintextCount: Int) -> Int {
        precondition(armor == nil && !header.isEmpty, "encryptedCount is for a fresh binary encryptor")
        let chunks = max(1, (plaintextCount + Age.chunkSize - 1) / Age.chunkSize)
        return header.count + plaintextCount + chunks * ChaCha20Poly1305IETF.tagCount
    }

    private func emit(_ bytes: UnsafeRawBufferPointer, _ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        if armor != nil {
            try armor?.update(bytes, output: output)
        } else {
            try output(bytes)
        }
    }

    private func emitHeaderIfNeeded(_ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !header.isEmpty else { return }
        let h = header
        header = []
        try h.withUnsafeBytes { try emit($0, output) }
    }

    private func sealChunk(last: Bool, _ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        let nonce = Age.streamNonce(counter: counter, last: last)
        let count = filled
        try chunk.withUnsafeMutableBytes { c in
            nonce.withUnsafeBytes { n in
                payloadKey.withUnsafeBytes { ChaCha20Poly1305IETF.sealInPlace(c, count: count, nonce: n, key: $0) }
            }
            try emit(UnsafeRawBufferPointer(rebasing: c[0..<(count + ChaCha20Poly1305IETF.tagCount)]), output)
        }
        counter += 1
        filled = 0
    }

    /// Encrypts more plaintext, holding a full chunk back until the next byte shows it is not the last.
    public func update(_ plaintext: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeEncryptor used after finish")
        try emitHeaderIfNeeded(output)
        var offset = 0
        while offset < plaintext.count {
            if filled == Age.chunkSize { try sealChunk(last: false, output) }
            let take = min(Age.chunkSize - filled, plaintext.count - offset)
            chunk.withUnsafeMutableBytes { c in
                UnsafeMutableRawBufferPointer(rebasing: c[filled..<(filled + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: plaintext[offset..<(offset + take)]))
            }
            filled += take
            offset += take
        }
    }

    /// Seals the final chunk (empty only when the whole payload is empty) and flushes the armor.
    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeEncryptor finished twice")
        try emitHeaderIfNeeded(output)
        try sealChunk(last: true, output)
        try armor?.finish(output: output)
        finished = true
        SecureBytes.wipe(&chunk)
    }
}
