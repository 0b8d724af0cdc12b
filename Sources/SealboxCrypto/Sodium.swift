internal import CSodium

/// libsodium's one-time initialisation, done before the first use of any primitive.
enum Sodium {
    /// `true` once `sodium_init` has succeeded; a failure stops the process (nothing is safe without it).
    static let ready: Bool = {
        let status = sodium_init()
        // sodium_init returns 0 on first success, 1 when already initialised, -1 on failure.
        precondition(status >= 0, "libsodium failed to initialise")
        return true
    }()

    /// Makes sure libsodium is initialised.
    @inline(__always) static func ensure() {
        _ = ready
    }

    /// Maps a libsodium status to `CryptoError.libraryFailure` when non-zero.
    static func check(_ status: Int32, _ what: String) throws(CryptoError) {
        if status != 0 {
            throw CryptoError(.libraryFailure, "\(what) failed inside libsodium", status: status)
        }
    }
}

/// Cryptographically secure random bytes from the operating system, via libsodium.
public enum SecureRandom {
    /// Returns `count` random bytes (for public values: nonces, salts, identifiers).
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensure()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
        return out
    }

    /// Returns a uniformly random integer in `0 ..< upperBound`.
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        Sodium.ensure()
        return randombytes_uniform(upperBound)
    }
}
