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
    private let context: OpaquePointer

    /// Starts a new digest.
    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL cannot allocate a digest context") }
        let started =
            if let algorithm = Self.algorithm {
                EVP_DigestInit_ex2(context, algorithm, nil)
            } else {
                EVP_DigestInit_ex(context, EVP_sha512(), nil)
            }
        guard started == 1 else { fatalError("OpenSSL cannot start a SHA-512 digest") }
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
