/// age (age-encryption.org/v1) with X25519 recipients: the format archive payloads are sealed in, so that
/// `age -d -i key.txt` opens them without Sealbox.
///
/// Streaming: both directions hold at most one 64 KiB chunk (and one armor line) whatever the input size.
public enum Age {
    /// Plaintext bytes per STREAM chunk.
    static let chunkSize = 64 * 1024
    static let chunkCount = chunkSize + ChaCha20Poly1305IETF.tagCount

    /// Encrypts `plaintext` to `recipients` in memory (see `AgeEncryptor` for streaming).
    /// - Parameters:
    ///   - plaintext: the bytes.
    ///   - recipients: who can open it.
    ///   - armored: PEM-style armor instead of the binary format.
    ///   - ephemerals: where the stanzas' ephemeral keys come from (one per recipient); nil for fresh ones.
    /// - Returns: the age file.
    /// - Throws: `CryptoError.invalidInput` when `recipients` is empty.
    public static func encrypt(
        _ plaintext: some RawBytes, to recipients: [AgeRecipient], armored: Bool = false,
        ephemerals: EphemeralKeys? = nil
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        let encryptor = try AgeEncryptor(recipients: recipients, armored: armored, ephemerals: ephemerals)
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

// MARK: - File keys

/// An age file key with its payload nonce, kept apart from any header.
///
/// A payload sealed under it chunk by chunk (`sealChunk`) can be stored as it is and later become an age file for
/// any recipients by writing a header (`header(to:)`) before it, with no re-encryption: age requires one file key
/// per payload, not one header. Stored chunks are age's STREAM chunks: 64 KiB of plaintext each (the last shorter,
/// empty only for an empty payload), each bound to its index and last-ness by its nonce.
public struct AgeFileKey: Sendable {
    /// Bytes of `encoded`: the 16-byte file key, then the 16-byte payload nonce.
    public static let encodedCount = 32
    /// Plaintext bytes per chunk.
    public static let chunkSize = Age.chunkSize
    /// Bytes a chunk's tag adds.
    public static let tagCount = ChaCha20Poly1305IETF.tagCount

    let fileKey: SecureBytes
    let nonce: [UInt8]
    let payloadKey: SecureBytes

    /// A fresh file key and nonce, from the system's random source.
    public static func generate() throws(CryptoError) -> AgeFileKey {
        try AgeFileKey(fileKey: SecureBytes.random(count: 16), nonce: SecureRandom.bytes(16))
    }

    /// The file key and nonce from `encoded` (as kept sealed beside a stored payload).
    /// - Throws: `CryptoError.invalidInput` when it is not 32 bytes.
    public init(encoded: SecureBytes) throws(CryptoError) {
        guard encoded.count == Self.encodedCount else {
            throw CryptoError(.invalidInput, "an age file key and nonce are 32 bytes")
        }
        let (key, nonce) = encoded.withUnsafeBytes {
            (SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<16])), [UInt8]($0[16..<32]))
        }
        try self.init(fileKey: key, nonce: nonce)
    }

    init(fileKey: SecureBytes, nonce: [UInt8]) throws(CryptoError) {
        self.fileKey = fileKey
        self.nonce = nonce
        self.payloadKey = try Age.payloadKey(fileKey: fileKey, nonce: nonce)
    }

    /// The file key, then the nonce: a secret, to be kept sealed.
    public var encoded: SecureBytes {
        SecureBytes(count: Self.encodedCount) { (out: UnsafeMutableRawBufferPointer) in
            fileKey.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<16]).copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: out[16..<32]).copyBytes(from: nonce)
        }
    }

    /// The bytes of a sealed payload of `plaintextCount` bytes: the plaintext and one tag per chunk (at least one).
    public static func sealedCount(plaintextCount: Int) -> Int {
        plaintextCount + max(1, (plaintextCount + chunkSize - 1) / chunkSize) * tagCount
    }

    /// An age header wrapping this file key for `recipients` (one stanza each, with a fresh ephemeral key), its
    /// MAC, and the payload nonce: written before the sealed payload, it makes an age file.
    /// - Parameters:
    ///   - recipients: who can open the file.
    ///   - ephemerals: where the stanzas' ephemeral keys come from (one per recipient, each used once); nil for
    ///     fresh ones generated here.
    /// - Returns: the header, its MAC and the payload nonce.
    /// - Throws: `CryptoError.invalidInput` when `recipients` is empty.
    public func header(to recipients: [AgeRecipient], ephemerals: EphemeralKeys? = nil) throws -> [UInt8] {
        guard !recipients.isEmpty else { throw CryptoError(.invalidInput, "age needs at least one recipient") }
        var stanzas: [AgeStanza] = []
        let keys = ephemerals?.take(recipients.count) ?? recipients.map { _ in BoxSecretKey.generate() }
        for (recipient, ephemeral) in zip(recipients, keys) {
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
        return header + nonce
    }

    /// Seals chunk `index` in place: `count` plaintext bytes at the start of `buffer`, which holds at least
    /// `count + 16`; the ciphertext and its tag take their place.
    public func sealChunk(_ buffer: UnsafeMutableRawBufferPointer, count: Int, index: UInt64, last: Bool) {
        precondition(count <= Self.chunkSize && buffer.count >= count + Self.tagCount, "sealChunk: buffer sizes")
        Age.streamNonce(counter: index, last: last).withUnsafeBytes { n in
            payloadKey.withUnsafeBytes { ChaCha20Poly1305IETF.sealInPlace(buffer, count: count, nonce: n, key: $0) }
        }
    }

    /// Whether `count` plaintext bytes are a size age allows for chunk `index`: a whole chunk before the last; the
    /// last no longer, and empty only when it is the only one.
    static func isChunkSize(_ count: Int, index: UInt64, last: Bool) -> Bool {
        last ? (0...chunkSize).contains(count) && (count > 0 || index == 0) : count == chunkSize
    }

    /// Opens stored chunk `index` (ciphertext and tag) into `output`.
    /// - Returns: the plaintext bytes written.
    /// - Throws: `CryptoError.agePayload` when it does not authenticate as chunk `index` with that last-ness, is not
    ///   a size age allows there, or does not fit.
    public func openChunk(
        _ sealed: UnsafeRawBufferPointer, index: UInt64, last: Bool, into output: UnsafeMutableRawBufferPointer
    ) throws(CryptoError) -> Int {
        let count = sealed.count - Self.tagCount
        guard Self.isChunkSize(count, index: index, last: last), count <= output.count else {
            throw CryptoError(.agePayload, "age payload: chunk \(index) has a wrong size")
        }
        let ok = Age.streamNonce(counter: index, last: last).withUnsafeBytes { n in
            payloadKey.withUnsafeBytes {
                ChaCha20Poly1305IETF.open(sealed, count: count, into: output, nonce: n, key: $0)
            }
        }
        guard ok else { throw CryptoError(.agePayload, "age payload: chunk \(index) does not authenticate") }
        return count
    }

    /// Whether stored chunk `index` (ciphertext and tag) authenticates with that last-ness and is a size age allows
    /// there, without decrypting it.
    public func verifyChunk(_ sealed: UnsafeRawBufferPointer, index: UInt64, last: Bool) -> Bool {
        let count = sealed.count - Self.tagCount
        guard Self.isChunkSize(count, index: index, last: last) else { return false }
        return Age.streamNonce(counter: index, last: last).withUnsafeBytes { n in
            payloadKey.withUnsafeBytes { ChaCha20Poly1305IETF.verify(sealed, count: count, nonce: n, key: $0) }
        }
    }
}

// MARK: - Encryption

/// Streams plaintext into an age file for one or more X25519 recipients.
///
/// Call `update` with plaintext as it comes and `finish` once; every produced byte goes to `output`.
public final class AgeEncryptor {
    private var header: [UInt8]
    private let key: AgeFileKey
    private var armor: AgeArmor.Encoder?
    /// The chunk being filled, grown as plaintext comes (a small file never holds a whole 64 KiB chunk).
    private var chunk: [UInt8] = []
    private var filled = 0
    private var counter: UInt64 = 0
    private var finished = false

    /// Prepares a new file: a fresh file key, one stanza per recipient, the header MAC and payload nonce.
    /// - Parameters:
    ///   - recipients: who can open the file.
    ///   - armored: PEM-style armor instead of the binary format.
    ///   - ephemerals: where the stanzas' ephemeral keys come from (one per recipient); nil for fresh ones.
    /// - Throws: `CryptoError.invalidInput` when `recipients` is empty.
    public init(recipients: [AgeRecipient], armored: Bool = false, ephemerals: EphemeralKeys? = nil) throws {
        key = try AgeFileKey.generate()
        header = try key.header(to: recipients, ephemerals: ephemerals)
        armor = armored ? AgeArmor.Encoder() : nil
    }

    /// The size of the binary file this encryptor makes from `plaintextCount` bytes (header, then one 16-byte tag
    /// per 64 KiB chunk, at least one chunk): what a tar header must announce before the bytes stream.
    /// - Precondition: not armored, and nothing emitted yet.
    public func encryptedCount(plaintextCount: Int) -> Int {
        precondition(armor == nil && !header.isEmpty, "encryptedCount is for a fresh binary encryptor")
        return header.count + AgeFileKey.sealedCount(plaintextCount: plaintextCount)
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
        let count = filled
        if chunk.count < count + ChaCha20Poly1305IETF.tagCount { grow(to: count + ChaCha20Poly1305IETF.tagCount) }
        try chunk.withUnsafeMutableBytes { c in
            key.sealChunk(c, count: count, index: counter, last: last)
            try emit(UnsafeRawBufferPointer(rebasing: c[0..<(count + ChaCha20Poly1305IETF.tagCount)]), output)
        }
        counter += 1
        filled = 0
    }

    /// Grows the chunk buffer to at least `needed` bytes (doubling, up to a whole chunk and its tag), wiping the
    /// buffer it leaves.
    private func grow(to needed: Int) {
        var larger = [UInt8](repeating: 0, count: min(Age.chunkCount, max(needed, 2 * chunk.count)))
        larger.withUnsafeMutableBytes { l in
            chunk.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: l[0..<$0.count]).copyMemory(from: $0) }
        }
        SecureBytes.wipe(&chunk)
        chunk = larger
    }

    /// Encrypts more plaintext, holding a full chunk back until the next byte shows it is not the last.
    public func update(_ plaintext: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(!finished, "AgeEncryptor used after finish")
        try emitHeaderIfNeeded(output)
        var offset = 0
        while offset < plaintext.count {
            if filled == Age.chunkSize { try sealChunk(last: false, output) }
            let take = min(Age.chunkSize - filled, plaintext.count - offset)
            if chunk.count < filled + take + ChaCha20Poly1305IETF.tagCount {
                grow(to: filled + take + ChaCha20Poly1305IETF.tagCount)
            }
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
