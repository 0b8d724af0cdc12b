internal import CSodium

// MARK: - Symmetric keys

/// A 32-byte XChaCha20-Poly1305 key (a case data key, a keyring wrapping key, a group's secret box key).
public struct SymmetricKey: Sendable, Equatable, CustomStringConvertible {
    /// The key length in bytes.
    public static let byteCount = 32
    /// The secret, in guarded memory.
    public let bytes: SecureBytes

    /// Wraps existing secret bytes.
    /// - Throws: `CryptoError.invalidKey` unless exactly 32 bytes.
    public init(_ bytes: SecureBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else { throw CryptoError(.invalidKey, "a symmetric key is 32 bytes") }
        self.bytes = bytes
    }

    /// A fresh random key.
    public static func generate() -> SymmetricKey {
        // The length is right by construction.
        SymmetricKey(unchecked: .random(count: byteCount))
    }

    init(unchecked bytes: SecureBytes) { self.bytes = bytes }

    public var description: String { "SymmetricKey(redacted)" }
}

// MARK: - X25519

/// The public half of an X25519 key pair: where sealed boxes and age files are addressed.
public struct BoxPublicKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The key length in bytes.
    public static let byteCount = 32
    /// The 32 public bytes.
    public let bytes: [UInt8]

    /// Wraps 32 public bytes.
    /// - Throws: `CryptoError.invalidKey` unless exactly 32 bytes.
    public init(_ bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else { throw CryptoError(.invalidKey, "an X25519 public key is 32 bytes") }
        self.bytes = bytes
    }

    public var description: String { "BoxPublicKey(\(Hex.encode(bytes.prefix(4)))…)" }
}

/// An X25519 secret key, in guarded memory.
public struct BoxSecretKey: Sendable, CustomStringConvertible {
    /// The key length in bytes.
    public static let byteCount = 32
    /// The secret scalar.
    public let bytes: SecureBytes
    /// The matching public key, computed once.
    public let publicKey: BoxPublicKey

    /// Wraps an existing secret and computes its public key.
    /// - Throws: `CryptoError.invalidKey` unless exactly 32 bytes.
    public init(_ bytes: SecureBytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else { throw CryptoError(.invalidKey, "an X25519 secret key is 32 bytes") }
        Sodium.ensure()
        var pub = [UInt8](repeating: 0, count: 32)
        let status = bytes.withUnsafeBytes { s in
            crypto_scalarmult_base(&pub, s.u8)
        }
        try Sodium.check(status, "X25519 public key computation")
        self.bytes = bytes
        self.publicKey = try BoxPublicKey(pub)
    }

    /// A secret and the public key already worked out for it (`generate(count:)`).
    init(secret: SecureBytes, publicKey: BoxPublicKey) {
        (self.bytes, self.publicKey) = (secret, publicKey)
    }

    /// The public key of a 32-byte secret by X25519's base-point multiplication, as `init` works it out.
    static func slowPublicKey(of secret: SecureBytes) -> BoxPublicKey {
        do { return try BoxSecretKey(secret).publicKey } catch { fatalError("X25519 public key: \(error)") }
    }

    /// A fresh random key pair.
    public static func generate() -> BoxSecretKey {
        // 32 random bytes always form a valid X25519 scalar (clamping happens inside X25519).
        do { return try BoxSecretKey(.random(count: byteCount)) } catch {
            fatalError("X25519 key generation: \(error)")
        }
    }

    public var description: String { "BoxSecretKey(redacted, public \(publicKey))" }
}

// MARK: - Ed25519

/// An Ed25519 public key: verifies signatures.
public struct SigningPublicKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The key length in bytes.
    public static let byteCount = 32
    /// The 32 public bytes.
    public let bytes: [UInt8]

    /// Wraps 32 public bytes.
    /// - Throws: `CryptoError.invalidKey` unless exactly 32 bytes.
    public init(_ bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == Self.byteCount else { throw CryptoError(.invalidKey, "an Ed25519 public key is 32 bytes") }
        self.bytes = bytes
    }

    public var description: String { "SigningPublicKey(\(Hex.encode(bytes.prefix(4)))…)" }
}

/// An Ed25519 secret key (libsodium's 64-byte form, seed ‖ public key), in guarded memory.
public struct SigningSecretKey: Sendable, CustomStringConvertible {
    /// The 64-byte secret key.
    public let bytes: SecureBytes
    /// The matching public key.
    public let publicKey: SigningPublicKey

    /// Derives the key pair from a 32-byte seed.
    /// - Throws: `CryptoError.invalidKey` unless the seed is exactly 32 bytes.
    public init(seed: SecureBytes) throws(CryptoError) {
        guard seed.count == 32 else { throw CryptoError(.invalidKey, "an Ed25519 seed is 32 bytes") }
        Sodium.ensure()
        var pub = [UInt8](repeating: 0, count: 32)
        let secret = SecureBytes(count: 64) { (sk: UnsafeMutableRawBufferPointer) -> Void in
            seed.withUnsafeBytes { s in
                _ = crypto_sign_seed_keypair(
                    &pub, sk.u8,
                    s.u8)
            }
        }
        self.bytes = secret
        self.publicKey = try SigningPublicKey(pub)
    }

    /// The 32-byte seed the key was made from (the first half of libsodium's secret key).
    public var seed: SecureBytes {
        SecureBytes(count: 32) { (out: UnsafeMutableRawBufferPointer) -> Void in
            bytes.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<32])) }
        }
    }

    /// A fresh random key pair.
    public static func generate() -> SigningSecretKey {
        // A 32-byte random seed is always valid.
        do { return try SigningSecretKey(seed: .random(count: 32)) } catch {
            fatalError("Ed25519 key generation: \(error)")
        }
    }

    /// Signs `message` (detached, 64 bytes).
    public func signature(for message: some RawBytes) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 64)
        message.withUnsafeBytes { m in
            bytes.withUnsafeBytes { sk in
                _ = crypto_sign_detached(
                    &sig, nil, m.u8, UInt64(m.count),
                    sk.u8)
            }
        }
        return sig
    }

    public var description: String { "SigningSecretKey(redacted, public \(publicKey))" }
}

extension SigningPublicKey {
    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: some RawBytes, for message: some RawBytes) -> Bool {
        Sodium.ensure()
        return signature.withUnsafeBytes { s in
            guard s.count == 64 else { return false }
            return message.withUnsafeBytes { m in
                crypto_sign_verify_detached(
                    s.u8, m.u8,
                    UInt64(m.count), bytes) == 0
            }
        }
    }

    /// Verifies `signature`, throwing on failure.
    /// - Throws: `CryptoError.authenticationFailed`.
    public func verify(_ signature: some RawBytes, for message: some RawBytes) throws(CryptoError) {
        guard isValidSignature(signature, for: message) else { throw CryptoError.authentication }
    }
}
