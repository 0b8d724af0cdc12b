internal import CSodium

// MARK: - SHA-256 / SHA-512

/// Streaming SHA-256 (libsodium `crypto_hash_sha256`).
public struct SHA256: Sendable {
    /// The digest length in bytes.
    public static let byteCount = 32
    private var state = crypto_hash_sha256_state()

    /// Starts a new digest.
    public init() {
        Sodium.ensure()
        crypto_hash_sha256_init(&state)
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        crypto_hash_sha256_update(&state, bytes.u8, UInt64(bytes.count))
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: some RawBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest; the hasher must not be used again.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        crypto_hash_sha256_final(&state, &out)
        return out
    }

    /// One-shot SHA-256 of `bytes` (OpenSSL's, `OpenSSLSHA256`: the same bytes, about three times as fast here).
    public static func hash(_ bytes: some RawBytes) -> [UInt8] {
        bytes.withUnsafeBytes { OpenSSLSHA256.hash($0) }
    }
}

/// Streaming SHA-512 (libsodium `crypto_hash_sha512`).
public struct SHA512: Sendable {
    /// The digest length in bytes.
    public static let byteCount = 64
    private var state = crypto_hash_sha512_state()

    /// Starts a new digest.
    public init() {
        Sodium.ensure()
        crypto_hash_sha512_init(&state)
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        crypto_hash_sha512_update(&state, bytes.u8, UInt64(bytes.count))
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: some RawBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest; the hasher must not be used again.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        crypto_hash_sha512_final(&state, &out)
        return out
    }

    /// One-shot SHA-512 of `bytes`.
    public static func hash(_ bytes: some RawBytes) -> [UInt8] {
        var hasher = SHA512()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

// MARK: - BLAKE2b

/// Streaming BLAKE2b (libsodium `crypto_generichash`), plain or keyed, 16 to 64 bytes of output.
///
/// Keyed BLAKE2b is the blind-index MAC; the key is lent from `SecureBytes` and not kept. A class because
/// libsodium's state needs 64-byte alignment, which Swift cannot import: the state is a raw aligned buffer.
public final class BLAKE2b: @unchecked Sendable {
    // Invariant for `@unchecked Sendable`: one owner uses a hasher at a time (like any streaming hasher).
    private let state: UnsafeMutableRawPointer
    private let stateBytes: Int
    /// The output length in bytes.
    public let outputCount: Int

    /// Starts a plain or keyed digest.
    /// - Parameters:
    ///   - outputCount: 16...64 bytes.
    ///   - key: an optional key of 16...64 bytes.
    /// - Throws: `CryptoError.invalidKey` for a key or output length out of range.
    public init(outputCount: Int = 32, key: SecureBytes? = nil) throws(CryptoError) {
        Sodium.ensure()
        stateBytes = crypto_generichash_statebytes()
        state = UnsafeMutableRawPointer.allocate(byteCount: stateBytes, alignment: 64)
        self.outputCount = outputCount
        guard (Int(crypto_generichash_BYTES_MIN)...Int(crypto_generichash_BYTES_MAX)).contains(outputCount) else {
            throw CryptoError(.invalidKey, "BLAKE2b output length must be 16 to 64 bytes")
        }
        var status: Int32 = 0
        if let key {
            guard (Int(crypto_generichash_KEYBYTES_MIN)...Int(crypto_generichash_KEYBYTES_MAX)).contains(key.count)
            else { throw CryptoError(.invalidKey, "BLAKE2b key must be 16 to 64 bytes") }
            status = key.withUnsafeBytes { k in
                crypto_generichash_init(
                    OpaquePointer(state), k.u8, k.count, outputCount)
            }
        } else {
            status = crypto_generichash_init(OpaquePointer(state), nil, 0, outputCount)
        }
        try Sodium.check(status, "BLAKE2b initialisation")
    }

    deinit {
        // The state of a keyed hash holds key material.
        sodium_memzero(state, stateBytes)
        state.deallocate()
    }

    /// Absorbs `bytes`.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        crypto_generichash_update(
            OpaquePointer(state), bytes.u8, UInt64(bytes.count))
    }

    /// Absorbs `bytes`.
    public func update(_ bytes: some RawBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest; the hasher must not be used again.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputCount)
        crypto_generichash_final(OpaquePointer(state), &out, outputCount)
        return out
    }

    /// One-shot plain or keyed BLAKE2b.
    public static func hash(
        _ bytes: some RawBytes, outputCount: Int = 32, key: SecureBytes? = nil
    ) throws(CryptoError) -> [UInt8] {
        let hasher = try BLAKE2b(outputCount: outputCount, key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }
}

// MARK: - HMAC-SHA-256 and HKDF

/// HMAC-SHA-256 (RFC 2104), any key length, on OpenSSL's SHA-256 (`OpenSSLHMACSHA256`: about three times as fast
/// here as libsodium's `crypto_auth_hmacsha256`, the same bytes).
///
/// A MAC in progress is not to be copied: copies share one state.
public struct HMACSHA256: Sendable {
    private let mac: OpenSSLHMACSHA256

    /// Starts a MAC under `key` (any length; RFC 2104 hashes keys over 64 bytes).
    public init(key: UnsafeRawBufferPointer) {
        mac = OpenSSLHMACSHA256(key: key)
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        mac.update(bytes)
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: some RawBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the 32-byte tag into secure memory.
    public mutating func finalize() -> SecureBytes {
        SecureBytes(count: 32) { (out: UnsafeMutableRawBufferPointer) -> Void in mac.finalize(into: out.u8) }
    }

    /// Writes the 32-byte tag into `out` (32 bytes), for callers that wipe it themselves.
    mutating func finalize(into out: inout [UInt8]) {
        precondition(out.count == 32, "an HMAC-SHA-256 tag is 32 bytes")
        mac.finalize(into: &out)
    }

    /// Returns the 32-byte tag as public bytes (for MACs that are published, like age's header MAC).
    public mutating func finalizePublic() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        mac.finalize(into: &out)
        return out
    }
}

/// HKDF-SHA-256 (RFC 5869), built on HMAC-SHA-256 because libsodium 1.0.18 has no HKDF API.
public enum HKDF {
    /// Extract-then-expand: derives `count` bytes (at most 255 × 32) into secure memory.
    /// - Parameters:
    ///   - ikm: the input keying material.
    ///   - salt: the salt; empty means 32 zero bytes as RFC 5869 says (HMAC pads an empty key the same way).
    ///   - info: the context string.
    ///   - count: the output length.
    /// - Returns: the output keying material, in secure memory.
    /// - Throws: `CryptoError.invalidInput` when `count` exceeds 8160.
    public static func deriveKey(
        ikm: SecureBytes, salt: some RawBytes, info: some RawBytes, count: Int
    ) throws(CryptoError) -> SecureBytes {
        guard count > 0, count <= 255 * 32 else {
            throw CryptoError(.invalidInput, "HKDF output length must be 1 to 8160 bytes")
        }
        // The pseudorandom key and each block live in two short heap buffers, wiped before return: one guarded
        // allocation (the output) per derivation instead of one per block (`sodium_malloc` costs ~25 µs here).
        var prk = [UInt8](repeating: 0, count: 32)
        var block = [UInt8](repeating: 0, count: 32)
        defer {
            SecureBytes.wipe(&prk)
            SecureBytes.wipe(&block)
        }
        salt.withUnsafeBytes { s in
            var mac = HMACSHA256(key: s)
            ikm.withUnsafeBytes { mac.update($0) }
            mac.finalize(into: &prk)
        }
        let infoBytes = info.withUnsafeBytes { [UInt8]($0) }
        return SecureBytes(count: count) { (out: UnsafeMutableRawBufferPointer) -> Void in
            var offset = 0
            var counter: UInt8 = 1
            while offset < count {
                prk.withUnsafeBytes { k in
                    var mac = HMACSHA256(key: k)
                    if offset > 0 { block.withUnsafeBytes { mac.update($0) } }
                    mac.update(infoBytes)
                    mac.update([counter])
                    mac.finalize(into: &block)
                }
                let take = min(32, count - offset)
                block.withUnsafeBytes { b in
                    UnsafeMutableRawBufferPointer(rebasing: out[offset..<offset + take])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: b[0..<take]))
                }
                offset += take
                counter &+= 1
            }
        }
    }
}
