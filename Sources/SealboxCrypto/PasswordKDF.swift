internal import CSodium

/// Argon2id parameters, stored beside the salt so that costs can be raised later (DESIGN §3).
///
/// Text form: `argon2id$v=19$m=<KiB>,t=<ops>,p=1$<base64 salt>` — the PHC string layout without the hash.
public struct Argon2idParameters: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Passes over memory (`crypto_pwhash` opslimit).
    public var opsLimit: UInt64
    /// Memory in bytes (`crypto_pwhash` memlimit).
    public var memoryBytes: UInt64
    /// A 16-byte random salt.
    public var salt: [UInt8]

    /// libsodium's INTERACTIVE costs (2 passes, 64 MiB), with a fresh salt.
    public static func interactive() -> Argon2idParameters {
        Argon2idParameters(opsLimit: 2, memoryBytes: 64 << 20, salt: SecureRandom.bytes(16))
    }

    /// libsodium's MODERATE costs (3 passes, 256 MiB), with a fresh salt.
    public static func moderate() -> Argon2idParameters {
        Argon2idParameters(opsLimit: 3, memoryBytes: 256 << 20, salt: SecureRandom.bytes(16))
    }

    /// Creates parameters.
    public init(opsLimit: UInt64, memoryBytes: UInt64, salt: [UInt8]) {
        self.opsLimit = opsLimit
        self.memoryBytes = memoryBytes
        self.salt = salt
    }

    /// Whether these costs are below `other`'s (then the key should be re-derived at the next unlock).
    public func isWeaker(than other: Argon2idParameters) -> Bool {
        opsLimit < other.opsLimit || memoryBytes < other.memoryBytes
    }

    public var description: String {
        "argon2id$v=19$m=\(memoryBytes / 1024),t=\(opsLimit),p=1$\(Base64.encode(salt, padded: false))"
    }

    /// Parses the text form.
    /// - Throws: `CryptoError.invalidInput` when malformed.
    public init(parsing text: String) throws(CryptoError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        let bad = CryptoError(
            .invalidInput, "Argon2id parameters are malformed; expected argon2id$v=19$m=…,t=…,p=1$salt")
        guard parts.count == 4, parts[0] == "argon2id", parts[1] == "v=19" else { throw bad }
        var memory: UInt64?
        var ops: UInt64?
        for field in parts[2].split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let value = UInt64(kv[1]) else { throw bad }
            switch kv[0] {
            case "m": memory = value * 1024
            case "t": ops = value
            case "p": guard value == 1 else { throw bad }
            default: throw bad
            }
        }
        guard let memory, let ops, let salt = Base64.decode(String(parts[3]), padded: false), salt.count == 16 else {
            throw bad
        }
        self.init(opsLimit: ops, memoryBytes: memory, salt: salt)
    }
}

/// Argon2id password hashing into a 32-byte key (`crypto_pwhash`, ALG_ARGON2ID13).
public enum PasswordKDF {
    /// Derives a symmetric key from `passphrase`.
    /// - Parameters:
    ///   - passphrase: the passphrase bytes, in secure memory.
    ///   - parameters: costs and salt.
    /// - Returns: the derived key.
    /// - Throws: `CryptoError.invalidInput` when the costs are outside libsodium's limits or the salt is not
    ///   16 bytes; `.libraryFailure` when the memory cannot be had.
    public static func deriveKey(
        from passphrase: SecureBytes, parameters: Argon2idParameters
    ) throws(CryptoError) -> SymmetricKey {
        Sodium.ensure()
        guard parameters.salt.count == Int(crypto_pwhash_SALTBYTES),
            parameters.opsLimit >= UInt64(crypto_pwhash_argon2id_OPSLIMIT_MIN),
            parameters.memoryBytes >= UInt64(crypto_pwhash_argon2id_MEMLIMIT_MIN),
            parameters.memoryBytes <= 1 << 34
        else { throw CryptoError(.invalidInput, "Argon2id parameters are out of range") }
        var status: Int32 = 0
        let key = SecureBytes(count: SymmetricKey.byteCount) { (out: UnsafeMutableRawBufferPointer) -> Void in
            status = passphrase.withUnsafeBytes { p in
                crypto_pwhash(
                    out.u8, UInt64(out.count),
                    UnsafeRawPointer(p.u8).assumingMemoryBound(to: CChar.self), UInt64(p.count), parameters.salt,
                    parameters.opsLimit, Int(parameters.memoryBytes), crypto_pwhash_ALG_ARGON2ID13)
            }
        }
        try Sodium.check(status, "Argon2id (out of memory?)")
        return SymmetricKey(unchecked: key)
    }
}

/// Sub-key derivation from a master key (`crypto_kdf_derive_from_key`, BLAKE2b based).
public enum SubkeyKDF {
    /// Derives sub-key number `id` in the 8-character `context` from a 32-byte master key.
    /// - Throws: `CryptoError.invalidKey` for a master key that is not 32 bytes, a context that is not 8 ASCII
    ///   bytes, or a sub-key length outside 16...64.
    public static func deriveKey(
        from master: SecureBytes, id: UInt64, context: String, count: Int = 32
    ) throws(CryptoError) -> SecureBytes {
        Sodium.ensure()
        let ctx = Array(context.utf8)
        guard master.count == 32, ctx.count == 8, (16...64).contains(count) else {
            throw CryptoError(
                .invalidKey, "sub-key derivation needs a 32-byte key, an 8-byte context, 16 to 64 bytes out")
        }
        return SecureBytes(count: count) { (out: UnsafeMutableRawBufferPointer) -> Void in
            ctx.withUnsafeBytes { c in
                master.withUnsafeBytes { m in
                    _ = crypto_kdf_derive_from_key(
                        out.u8, count, id, UnsafeRawPointer(c.u8).assumingMemoryBound(to: CChar.self), m.u8)
                }
            }
        }
    }
}
