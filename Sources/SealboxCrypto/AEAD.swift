internal import CSodium

/// XChaCha20-Poly1305 (IETF) authenticated encryption with associated data.
///
/// Byte layout of a sealed message: `nonce (24) ‖ ciphertext ‖ tag (16)`. Nonces are random per message:
/// 192 bits make collisions negligible for any number of messages one key will see.
public enum XChaCha20Poly1305 {
    /// The nonce length.
    public static let nonceCount = 24
    /// The tag length.
    public static let tagCount = 16

    /// Encrypts `plaintext`, binding `associatedData`, under a fresh random nonce.
    /// - Returns: `nonce ‖ ciphertext ‖ tag`.
    public static func seal(
        _ plaintext: some RawBytes, using key: SymmetricKey, authenticating associatedData: some RawBytes
    ) -> [UInt8] {
        let nonce = SecureRandom.bytes(nonceCount)
        return plaintext.withUnsafeBytes { p in
            var out = [UInt8](repeating: 0, count: nonceCount + p.count + tagCount)
            out.withUnsafeMutableBytes { o in
                UnsafeMutableRawBufferPointer(rebasing: o[0..<nonceCount]).copyBytes(from: nonce)
                associatedData.withUnsafeBytes { ad in
                    key.bytes.withUnsafeBytes { k in
                        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                            o.u8 + nonceCount, nil,
                            p.u8, UInt64(p.count),
                            ad.u8, UInt64(ad.count), nil,
                            nonce, k.u8)
                    }
                }
            }
            return out
        }
    }

    /// Decrypts and authenticates `nonce ‖ ciphertext ‖ tag` into secure memory.
    /// - Throws: `CryptoError.authenticationFailed` for a wrong key, wrong associated data, a flipped or missing
    ///   byte; `CryptoError.invalidInput` when shorter than a nonce and a tag.
    public static func open(
        _ sealed: some RawBytes, using key: SymmetricKey, authenticating associatedData: some RawBytes
    ) throws(CryptoError) -> SecureBytes {
        let length = sealed.withUnsafeBytes { $0.count }
        guard length >= nonceCount + tagCount else {
            throw CryptoError(.invalidInput, "sealed data is too short to hold a nonce and a tag")
        }
        var status: Int32 = 0
        let out = SecureBytes(count: length - nonceCount - tagCount) { (o: UnsafeMutableRawBufferPointer) -> Void in
            status = sealed.withUnsafeBytes { s in
                associatedData.withUnsafeBytes { ad in
                    key.bytes.withUnsafeBytes { k in
                        crypto_aead_xchacha20poly1305_ietf_decrypt(
                            o.u8, nil, nil, s.u8 + nonceCount, UInt64(s.count - nonceCount), ad.u8, UInt64(ad.count),
                            s.u8, k.u8)
                    }
                }
            }
        }
        guard status == 0 else { throw CryptoError.authentication }
        return out
    }

    /// Decrypts and authenticates `nonce ‖ ciphertext ‖ tag` into the start of `buffer`, which is reused across
    /// calls (streaming without a guarded allocation per piece).
    /// - Returns: the number of plaintext bytes written.
    /// - Throws: `CryptoError.authenticationFailed` as `open`; `.invalidInput` when too short or when the
    ///   plaintext would not fit in `buffer`.
    public static func open(
        _ sealed: some RawBytes, using key: SymmetricKey, authenticating associatedData: some RawBytes,
        into buffer: SecureBytes
    ) throws(CryptoError) -> Int {
        let length = sealed.withUnsafeBytes { $0.count }
        guard length >= nonceCount + tagCount else {
            throw CryptoError(.invalidInput, "sealed data is too short to hold a nonce and a tag")
        }
        let count = length - nonceCount - tagCount
        guard count <= buffer.count else { throw CryptoError(.invalidInput, "sealed data larger than its buffer") }
        let status = buffer.withUnsafeMutableBytes { o in
            sealed.withUnsafeBytes { s in
                associatedData.withUnsafeBytes { ad in
                    key.bytes.withUnsafeBytes { k in
                        crypto_aead_xchacha20poly1305_ietf_decrypt(
                            o.u8, nil, nil, s.u8 + nonceCount, UInt64(s.count - nonceCount), ad.u8, UInt64(ad.count),
                            s.u8, k.u8)
                    }
                }
            }
        }
        guard status == 0 else {
            buffer.withUnsafeMutableBytes { o in o.initializeMemory(as: UInt8.self, repeating: 0) }
            throw CryptoError.authentication
        }
        return count
    }
}

/// ChaCha20-Poly1305 (RFC 8439, IETF 96-bit nonce), in place, as age's payload and stanzas use it.
enum ChaCha20Poly1305IETF {
    static let tagCount = 16

    /// Encrypts `count` bytes in place and writes the tag after them (`buffer` holds `count + 16` bytes).
    static func sealInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, count: Int, nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer
    ) {
        let base = buffer.u8
        _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            base, base + count, nil, base, UInt64(count), nil, 0, nil,
            nonce.u8, key.u8)
    }

    /// Decrypts `count` ciphertext bytes followed by their tag from `sealed` into `output`, which holds at least
    /// `count` bytes; `false` when the tag fails (the tag is checked first: no plaintext is written, libsodium
    /// zeroes the output).
    static func open(
        _ sealed: UnsafeRawBufferPointer, count: Int, into output: UnsafeMutableRawBufferPointer,
        nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer
    ) -> Bool {
        precondition(sealed.count == count + tagCount && output.count >= count, "open: buffer sizes")
        return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            output.u8, nil, sealed.u8, UInt64(count), sealed.u8 + count, nil, 0, nonce.u8, key.u8) == 0
    }

    /// Whether `count` ciphertext bytes and the tag after them authenticate, without decrypting them: what a
    /// copy that passes sealed bytes on has to check, at Poly1305's cost alone (a third of decrypting).
    ///
    /// RFC 8439 §2.8 with no associated data: the one-time key is ChaCha20's block 0 under the key and nonce; the
    /// MAC covers the ciphertext, zero padding to 16 bytes, then the associated data's length (0) and the
    /// ciphertext's, as 64-bit little-endian numbers. Checked against libsodium's decryption in the tests.
    static func verify(
        _ sealed: UnsafeRawBufferPointer, count: Int, nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer
    ) -> Bool {
        precondition(sealed.count == count + tagCount, "verify: buffer size")
        var oneTime = [UInt8](repeating: 0, count: 32)
        defer { SecureBytes.wipe(&oneTime) }
        _ = crypto_stream_chacha20_ietf(&oneTime, 32, nonce.u8, key.u8)
        var trailer = [UInt8](repeating: 0, count: (16 - count % 16) % 16 + 16)
        let length = UInt64(count)
        for i in 0..<8 { trailer[trailer.count - 8 + i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
        // The MAC itself by OpenSSL (`OpenSSLPoly1305`: three times libsodium's speed here, the same tag).
        let tag = oneTime.withUnsafeBytes { k in
            trailer.withUnsafeBytes { t in
                OpenSSLPoly1305.tag(key: k, [UnsafeRawBufferPointer(rebasing: sealed[0..<count]), t])
            }
        }
        return crypto_verify_16(tag, sealed.u8 + count) == 0
    }

    /// Decrypts `count` ciphertext bytes followed by their tag, in place; `false` when the tag fails.
    static func openInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, count: Int, nonce: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer
    ) -> Bool {
        let base = buffer.u8
        return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            base, nil, base, UInt64(count), base + count, nil, 0,
            nonce.u8, key.u8)
            == 0
    }
}

/// Anonymous sealed boxes (`crypto_box_seal`): anyone with the public key seals, only the secret key opens.
///
/// Layout: `ephemeral public key (32) ‖ ciphertext ‖ tag (16)`, 48 bytes of overhead.
public enum SealedBox {
    /// The bytes a sealed box adds to its plaintext.
    public static let overhead = 48

    /// Seals `plaintext` to `recipient`.
    public static func seal(_ plaintext: some RawBytes, to recipient: BoxPublicKey) -> [UInt8] {
        Sodium.ensure()
        return plaintext.withUnsafeBytes { p in
            var out = [UInt8](repeating: 0, count: p.count + overhead)
            _ = crypto_box_seal(&out, p.u8, UInt64(p.count), recipient.bytes)
            return out
        }
    }

    /// Opens a sealed box into secure memory.
    /// - Throws: `CryptoError.authenticationFailed` for a wrong key or modified box; `.invalidInput` when too short.
    public static func open(_ sealed: some RawBytes, with secretKey: BoxSecretKey) throws(CryptoError) -> SecureBytes {
        Sodium.ensure()
        let length = sealed.withUnsafeBytes { $0.count }
        guard length >= overhead else { throw CryptoError(.invalidInput, "sealed box is too short") }
        var status: Int32 = 0
        let out = SecureBytes(count: length - overhead) { (o: UnsafeMutableRawBufferPointer) -> Void in
            status = sealed.withUnsafeBytes { s in
                secretKey.bytes.withUnsafeBytes { sk in
                    crypto_box_seal_open(o.u8, s.u8, UInt64(s.count), secretKey.publicKey.bytes, sk.u8)
                }
            }
        }
        guard status == 0 else { throw CryptoError.authentication }
        return out
    }
}
