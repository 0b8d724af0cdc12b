internal import CCrypto

/// Streaming SHA-512 by OpenSSL's libcrypto: what the archive export digests its packages with.
///
/// OpenSSL's SHA-512 runs about 1.6 times libsodium's on this hardware (its AVX2 code; 847 against 534 MB/s), and an
/// export hashes every byte it writes. Sealbox writes digests with this one and checks them with `SHA512`
/// (libsodium): two independent implementations, so a fault in either cannot both write and pass a wrong digest
/// (and `sha512sum`, a third, checks them in the interop tests). A class: OpenSSL allocates the context, `deinit`
/// frees it.
public final class OpenSSLSHA512 {
    /// SHA-512 as OpenSSL's default provider implements it, fetched once (an implicit fetch at every start costs a
    /// lookup under a lock); `nil` only if the provider cannot be loaded, when `EVP_sha512()` stands in.
    private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA512", nil)
    private static var digest: OpaquePointer { algorithm ?? EVP_sha512() }
    private let context: OpaquePointer

    /// Starts a new digest.
    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL cannot allocate a digest context") }
        guard EVP_DigestInit_ex2(context, Self.digest, nil) == 1 else {
            fatalError("OpenSSL cannot start a SHA-512 digest")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Absorbs `bytes`.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        // Fails only for a context that was never started, which `init` rules out.
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else { fatalError("OpenSSL refused SHA-512 input") }
    }

    /// Absorbs `bytes`.
    public func update(_ bytes: some RawBytes) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest; the hasher must not be used again.
    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SHA512.byteCount)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &out, &length) == 1, length == UInt32(SHA512.byteCount) else {
            fatalError("OpenSSL could not finish a SHA-512 digest")
        }
        return out
    }

    /// One-shot SHA-512 of `bytes`.
    public static func hash(_ bytes: some RawBytes) -> [UInt8] {
        let hasher = OpenSSLSHA512()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// One-shot SHA-256 and HMAC-SHA-256 by OpenSSL's libcrypto: `SHA256.hash` and `HMACSHA256` run on these.
///
/// OpenSSL uses the processor's SHA extensions where it has them (as here: 0.12 against 0.39 µs for a 64-byte
/// SHA-256, 0.28 against 0.86 µs for an HMAC, measured), and an export computes about forty HMACs (age's HKDF and
/// header MACs) and eighty SHA-256 hashes (the log's nodes and leaves) a package. Results are the same bytes; the
/// known-answer tests (FIPS 180, RFC 4231, RFC 5869), the age test vectors and the real `age` tool check them.
enum OpenSSLSHA256 {
    /// SHA-256 as OpenSSL's default provider implements it, fetched once; `nil` only if the provider cannot be
    /// loaded, when `EVP_sha256()` stands in.
    private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)
    static var digest: OpaquePointer { algorithm ?? EVP_sha256() }

    /// SHA-256 of `bytes`.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var count: UInt32 = 0
        var empty: UInt8 = 0
        let done = EVP_Digest(bytes.baseAddress ?? UnsafeRawPointer(&empty), bytes.count, &out, &count, digest, nil)
        guard done == 1, count == 32 else { fatalError("OpenSSL cannot compute a SHA-256 digest") }
        return out
    }
}

/// HMAC-SHA-256 (RFC 2104) on two OpenSSL digest contexts, one started with the key's inner pad and one with its
/// outer pad; OpenSSL wipes both when they are freed, and the padded key lives only on the stack of `init`, wiped.
final class OpenSSLHMACSHA256: @unchecked Sendable {
    // Unchecked: a MAC is used by one thread at a time, start to finish (the contexts are never shared otherwise).
    private let inner: OpaquePointer
    private let outer: OpaquePointer

    /// Starts a MAC under `key` (any length; a key over 64 bytes is hashed first).
    init(key: UnsafeRawBufferPointer) {
        guard let inner = EVP_MD_CTX_new(), let outer = EVP_MD_CTX_new() else {
            fatalError("OpenSSL cannot allocate a digest context")
        }
        (self.inner, self.outer) = (inner, outer)
        var block = [UInt8](repeating: 0, count: 64)
        defer { SecureBytes.wipe(&block) }
        if key.count > 64 {
            var hashed = OpenSSLSHA256.hash(key)
            block.withUnsafeMutableBytes { $0.copyBytes(from: hashed) }
            SecureBytes.wipe(&hashed)
        } else if !key.isEmpty {
            block.withUnsafeMutableBytes {
                UnsafeMutableRawBufferPointer(rebasing: $0[0..<key.count]).copyMemory(from: key)
            }
        }
        for i in 0..<64 { block[i] ^= 0x36 }
        Self.start(inner, with: block)
        for i in 0..<64 { block[i] ^= 0x36 ^ 0x5C }
        Self.start(outer, with: block)
    }

    deinit {
        EVP_MD_CTX_free(inner)
        EVP_MD_CTX_free(outer)
    }

    private static func start(_ context: OpaquePointer, with block: [UInt8]) {
        guard EVP_DigestInit_ex2(context, OpenSSLSHA256.digest, nil) == 1,
            EVP_DigestUpdate(context, block, block.count) == 1
        else { fatalError("OpenSSL cannot start an HMAC-SHA-256") }
    }

    /// Absorbs `bytes`.
    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard EVP_DigestUpdate(inner, base, bytes.count) == 1 else { fatalError("OpenSSL refused HMAC input") }
    }

    /// Writes the 32-byte tag into `out`; the MAC must not be used again.
    func finalize(into out: UnsafeMutablePointer<UInt8>) {
        var digest = [UInt8](repeating: 0, count: 32)
        defer { SecureBytes.wipe(&digest) }
        var count: UInt32 = 0
        guard EVP_DigestFinal_ex(inner, &digest, &count) == 1, EVP_DigestUpdate(outer, digest, 32) == 1,
            EVP_DigestFinal_ex(outer, out, &count) == 1
        else { fatalError("OpenSSL cannot finish an HMAC-SHA-256") }
    }
}

/// Poly1305 by OpenSSL's libcrypto: what checks the tag of each stored attachment chunk an export copies.
///
/// Its AVX-512 code here takes 5.2 against libsodium's 17.3 µs for 64 KiB (measured), and
/// `ChaCha20Poly1305IETF.verify` runs on it. OpenSSL wipes the one-time key when the context is freed.
enum OpenSSLPoly1305 {
    private nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_MAC_fetch(nil, "POLY1305", nil)

    /// The 16-byte tag of `parts`, in order, under the 32-byte one-time `key`.
    static func tag(key: UnsafeRawBufferPointer, _ parts: [UnsafeRawBufferPointer]) -> [UInt8] {
        guard let algorithm, let context = EVP_MAC_CTX_new(algorithm) else {
            fatalError("OpenSSL cannot start a Poly1305 MAC")
        }
        defer { EVP_MAC_CTX_free(context) }
        guard key.count == 32, EVP_MAC_init(context, key.u8, 32, nil) == 1 else {
            fatalError("OpenSSL refused a Poly1305 key")
        }
        for part in parts where !part.isEmpty {
            guard EVP_MAC_update(context, part.u8, part.count) == 1 else {
                fatalError("OpenSSL refused Poly1305 input")
            }
        }
        var tag = [UInt8](repeating: 0, count: 16)
        var count = 0
        guard EVP_MAC_final(context, &tag, &count, 16) == 1, count == 16 else {
            fatalError("OpenSSL cannot finish a Poly1305 MAC")
        }
        return tag
    }
}
