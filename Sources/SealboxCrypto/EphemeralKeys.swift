internal import CCrypto
import CSodium

extension BoxSecretKey {
    /// `count` fresh random key pairs, their public keys worked out together: each takes about 60 % of the time
    /// `generate()` takes.
    ///
    /// For age's ephemeral keys, a new one for every stanza of every file (an archive package needs six or more).
    /// The secrets are 32 random bytes each, as with `generate()`, and the public keys the same bytes X25519's
    /// base-point multiplication gives; only the way there differs. X25519's public key is the Montgomery u of
    /// [s]B, and the Edwards curve Ed25519 is birationally the same curve, with u = (1 + y) / (1 − y) mod 2²⁵⁵ − 19
    /// (RFC 7748, section 4.1). libsodium's fixed-base Ed25519 multiplication (a precomputed table; it clamps the
    /// scalar as X25519 does) gives [s]B about twice as fast as X25519's ladder on this hardware; the divisions of a
    /// batch share one modular inversion (Montgomery's trick), done with OpenSSL's BIGNUM. Only public values — the
    /// points' coordinates — go through BIGNUM; the secrets stay in guarded memory and go only to libsodium. A
    /// scalar libsodium's Ed25519 side refuses (all zero: probability 2⁻²⁵⁶) falls back to `generate()`'s way. Tests
    /// compare every key with X25519's own base-point multiplication.
    /// - Parameter count: how many key pairs; at least 0.
    /// - Returns: the key pairs, each secret fresh from the system's random source.
    public static func generate(count: Int) -> [BoxSecretKey] {
        guard count > 0 else { return [] }
        Sodium.ensure()
        let secrets = (0..<count).map { _ in SecureBytes.random(count: byteCount) }
        let publicKeys = MontgomeryBatch.basePointMultiples(of: secrets)
        return zip(secrets, publicKeys).map { BoxSecretKey(secret: $0, publicKey: $1) }
    }
}

/// X25519 base-point multiples by way of Ed25519's fixed-base table (`BoxSecretKey.generate(count:)`).
enum MontgomeryBatch {
    /// The field's prime 2²⁵⁵ − 19, little-endian.
    static let prime: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    /// The X25519 public key of each secret: what `crypto_scalarmult_base` gives, byte for byte.
    static func basePointMultiples(of secrets: [SecureBytes]) -> [BoxPublicKey] {
        // Each Edwards point's y, or nil where libsodium refused the scalar (all zero).
        let ys: [[UInt8]?] = secrets.map { secret in
            var point = [UInt8](repeating: 0, count: 32)
            let status = secret.withUnsafeBytes { crypto_scalarmult_ed25519_base(&point, $0.u8) }
            guard status == 0 else { return nil }
            point[31] &= 0x7F  // the sign of x; y is the rest, canonical (below the prime)
            return point
        }
        var us = BigNumbers.montgomeryU(ofEdwardsY: ys.compactMap { $0 })[...]
        return zip(secrets, ys).map { secret, y in
            if y != nil, let u = us.popFirst(), let key = try? BoxPublicKey(u) { return key }
            return BoxSecretKey.slowPublicKey(of: secret)
        }
    }
}

/// The modular arithmetic of `MontgomeryBatch`, on OpenSSL's BIGNUM (public values only: it is not constant-time).
enum BigNumbers {
    /// u = (1 + y) / (1 − y) mod p for each y (none may be 1: the identity, which libsodium never returns), with one
    /// inversion for all of them: the running products of the (1 − y), one inverse of the last, then back down.
    static func montgomeryU(ofEdwardsY ys: [[UInt8]]) -> [[UInt8]] {
        guard !ys.isEmpty else { return [] }
        guard let context = BN_CTX_new() else { fatalError("OpenSSL cannot allocate a BIGNUM context") }
        defer { BN_CTX_free(context) }
        // Every number from the context's own pool (no allocation of its own), released together at the end.
        BN_CTX_start(context)
        defer { BN_CTX_end(context) }
        func number() -> OpaquePointer {
            guard let made = BN_CTX_get(context) else { fatalError("OpenSSL cannot allocate a BIGNUM") }
            return made
        }
        func check(_ status: Int32) {
            guard status == 1 else { fatalError("OpenSSL BIGNUM arithmetic failed") }
        }
        func load(_ bytes: [UInt8], into n: OpaquePointer) {
            guard BN_lebin2bn(bytes, Int32(bytes.count), n) != nil else { fatalError("OpenSSL cannot load a BIGNUM") }
        }
        let (p, one, y) = (number(), number(), number())
        load(MontgomeryBatch.prime, into: p)
        check(BN_set_word(one, 1))
        // numerators[k] = 1 + y, denominators[k] = 1 − y, products[k] = d₀ ⋯ dₖ.
        let numerators = ys.map { _ in number() }
        let denominators = ys.map { _ in number() }
        let products = ys.map { _ in number() }
        for k in ys.indices {
            load(ys[k], into: y)
            check(BN_mod_add(numerators[k], one, y, p, context))
            check(BN_mod_sub(denominators[k], one, y, p, context))
            if k > 0 {
                check(BN_mod_mul(products[k], products[k - 1], denominators[k], p, context))
            } else {
                guard BN_copy(products[k], denominators[k]) != nil else { fatalError("OpenSSL cannot copy a BIGNUM") }
            }
        }
        // 1 / (d₀ ⋯ dₖ); then for each k from the last: 1 / dₖ = (d₀ ⋯ dₖ₋₁) / (d₀ ⋯ dₖ), and the running inverse
        // times dₖ is 1 / (d₀ ⋯ dₖ₋₁).
        let (inverse, reciprocal, u) = (number(), number(), number())
        guard let last = products.last, BN_mod_inverse(inverse, last, p, context) != nil else {
            fatalError("OpenSSL: 1 − y has no inverse (y = 1 is the identity, which libsodium never returns)")
        }
        var result = [[UInt8]](repeating: [], count: ys.count)
        for k in ys.indices.reversed() {
            if k > 0 {
                check(BN_mod_mul(reciprocal, inverse, products[k - 1], p, context))
                check(BN_mod_mul(inverse, inverse, denominators[k], p, context))
            } else {
                guard BN_copy(reciprocal, inverse) != nil else { fatalError("OpenSSL cannot copy a BIGNUM") }
            }
            check(BN_mod_mul(u, numerators[k], reciprocal, p, context))
            var bytes = [UInt8](repeating: 0, count: 32)
            guard BN_bn2lebinpad(u, &bytes, 32) == 32 else { fatalError("OpenSSL: u does not fit 32 bytes") }
            result[k] = bytes
        }
        return result
    }
}

/// A supply of fresh ephemeral X25519 key pairs for the age files of one job, worked out together
/// (`BoxSecretKey.generate(count:)`), each handed out once.
///
/// age requires a new ephemeral secret for every stanza of every file; a key taken from here is gone from it, so none
/// is used twice. When the supply runs short, further keys are generated one by one. Not for sharing between
/// threads: one supply per job.
public final class EphemeralKeys {
    private var keys: ArraySlice<BoxSecretKey>

    /// Generates `count` key pairs at once.
    public init(count: Int) {
        keys = BoxSecretKey.generate(count: count)[...]
    }

    /// How many keys are left.
    public var remaining: Int { keys.count }

    /// The next `count` key pairs, each handed out once.
    public func take(_ count: Int) -> [BoxSecretKey] {
        (0..<count).map { _ in keys.popFirst() ?? BoxSecretKey.generate() }
    }
}
