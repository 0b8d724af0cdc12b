/// Streams a binary or armored age file back into plaintext, for X25519 identities.
///
/// Refuses (with a distinct `CryptoError` code) malformed armor, a malformed header, a header no identity
/// opens, a bad header MAC, and any truncated, reordered, extended or modified payload. Plaintext is released
/// chunk by chunk as each chunk authenticates; a caller that needs all-or-nothing must discard the output when
/// `finish` throws.
public final class AgeDecryptor {
    private enum Stage { case detecting, header, payload, done }

    private let identities: [AgeIdentity]
    private var stage = Stage.detecting
    private var armor: AgeArmor.Decoder?
    private var buffer: [UInt8] = []
    private var scanFrom = 0
    private var payloadKey: SecureBytes?
    private var counter: UInt64 = 0

    /// Creates a decryptor that tries each identity in turn.
    public init(identities: [AgeIdentity]) {
        self.identities = identities
    }

    /// Feeds more of the file.
    /// - Throws: `CryptoError` (`.ageArmor`, `.ageHeader`, `.ageNoMatch`, `.ageHeaderMAC`, `.agePayload`).
    public func update(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        if stage == .detecting {
            buffer.append(contentsOf: input)
            let prefix = Array("age-encryption.org/".utf8)
            if buffer.count < prefix.count && prefix.starts(with: buffer) { return }
            stage = .header
            let pending = buffer
            buffer = []
            if !pending.starts(with: prefix) { armor = AgeArmor.Decoder() }
            try pending.withUnsafeBytes { try route($0, output) }
            return
        }
        try route(input, output)
    }

    private func route(_ bytes: UnsafeRawBufferPointer, _ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        if armor != nil {
            try armor?.update(bytes) { try self.consume($0, output) }
        } else {
            try consume(bytes, output)
        }
    }

    /// Finishes the file: the last chunk must be a valid final chunk.
    public func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
        if stage == .detecting {
            stage = .header
            let pending = buffer
            buffer = []
            if !pending.starts(with: Array("age-encryption.org/".utf8)) { armor = AgeArmor.Decoder() }
            try pending.withUnsafeBytes { try route($0, output) }
        }
        try armor?.finish { try self.consume($0, output) }
        switch stage {
        case .detecting, .header:
            throw CryptoError(.ageHeader, "age header: the file ends inside the header")
        case .payload:
            try finalChunk(output)
        case .done:
            break
        }
        stage = .done
    }

    // MARK: - Binary stages

    private func consume(_ bytes: UnsafeRawBufferPointer, _ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !bytes.isEmpty else { return }
        buffer.append(contentsOf: bytes)
        if stage == .header {
            guard let end = AgeHeader.endIndex(in: buffer, scanFrom: &scanFrom) else {
                if buffer.count > AgeHeader.maxBytes { throw CryptoError(.ageHeader, "age header: too large") }
                return
            }
            let header = try AgeHeader(parsing: Array(buffer[0..<end]))
            let fileKey = try unwrap(header)
            guard try Age.headerMAC(fileKey: fileKey, over: header.macInput) == header.mac else {
                throw CryptoError(.ageHeaderMAC, "age header: the MAC does not verify (the header was modified)")
            }
            buffer.removeFirst(end)
            payloadKey = fileKey  // the nonce follows; the payload key is derived once it is here
            stage = .payload
            counter = 0
            scanFrom = -1
        }
        if stage == .payload { try drainChunks(output) }
    }

    private func unwrap(_ header: AgeHeader) throws -> SecureBytes {
        if header.stanzas.contains(where: { $0.type == "scrypt" }) {
            guard header.stanzas.count == 1 else {
                throw CryptoError(.ageHeader, "age header: an scrypt stanza must be alone")
            }
            throw CryptoError(.unsupported, "age: passphrase (scrypt) files are not supported")
        }
        for identity in identities {
            for stanza in header.stanzas where stanza.type == "X25519" {
                guard stanza.arguments.count == 1, let share = Base64.decode(stanza.arguments[0], padded: false),
                    share.count == 32, stanza.body.count == 32
                else { throw CryptoError(.ageHeader, "age header: malformed X25519 stanza") }
                let shared = try X25519.sharedSecret(identity.secretKey.bytes, share)
                let wrapKey = try HKDF.deriveKey(
                    ikm: shared, salt: share + identity.recipient.publicKey.bytes, info: Age.x25519Info, count: 32)
                var body = stanza.body
                let opened = body.withUnsafeMutableBytes { b in
                    Age.zeroNonce.withUnsafeBytes { n in
                        wrapKey.withUnsafeBytes { ChaCha20Poly1305IETF.openInPlace(b, count: 16, nonce: n, key: $0) }
                    }
                }
                if opened {
                    let fileKey = SecureBytes(copying: body[0..<16])
                    SecureBytes.wipe(&body)
                    return fileKey
                }
            }
        }
        throw CryptoError(.ageNoMatch, "age: no identity matches any recipient of this file")
    }

    /// Decrypts every chunk known not to be the last (more bytes follow it).
    private func drainChunks(_ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        if scanFrom == -1 {
            guard buffer.count >= 16, let fileKey = payloadKey else { return }
            payloadKey = try Age.payloadKey(fileKey: fileKey, nonce: Array(buffer[0..<16]))
            buffer.removeFirst(16)
            scanFrom = 0
        }
        var offset = 0
        while buffer.count - offset > Age.chunkCount {
            try openChunk(at: offset, count: Age.chunkCount, last: false, output)
            offset += Age.chunkCount
        }
        if offset > 0 { buffer.removeFirst(offset) }
    }

    private func finalChunk(_ output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard scanFrom != -1 else { throw CryptoError(.ageHeader, "age: the payload nonce is missing or short") }
        let tag = ChaCha20Poly1305IETF.tagCount
        guard buffer.count >= tag else { throw CryptoError(.agePayload, "age payload: truncated (no final chunk)") }
        guard buffer.count > tag || counter == 0 else {
            throw CryptoError(.agePayload, "age payload: empty final chunk after data")
        }
        try openChunk(at: 0, count: buffer.count, last: true, output)
        buffer = []
    }

    private func openChunk(
        at offset: Int, count: Int, last: Bool, _ output: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard let key = payloadKey else { throw CryptoError(.agePayload, "age payload: no key") }
        let nonce = Age.streamNonce(counter: counter, last: last)
        let plain = count - ChaCha20Poly1305IETF.tagCount
        let ok = buffer.withUnsafeMutableBytes { b in
            nonce.withUnsafeBytes { n in
                key.withUnsafeBytes { k in
                    ChaCha20Poly1305IETF.openInPlace(
                        UnsafeMutableRawBufferPointer(rebasing: b[offset..<(offset + count)]), count: plain, nonce: n,
                        key: k)
                }
            }
        }
        guard ok else {
            throw CryptoError(
                .agePayload, "age payload: chunk \(counter) does not authenticate (modified or truncated)")
        }
        try buffer.withUnsafeBytes { b in
            try output(UnsafeRawBufferPointer(rebasing: b[offset..<(offset + plain)]))
        }
        counter += 1
    }
}
