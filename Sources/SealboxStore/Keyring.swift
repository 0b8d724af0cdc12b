import Foundation
import GRDB
public import SealboxCore
public import SealboxCrypto

/// A user whose keyring is open: their X25519 key (to receive group secrets) and Ed25519 key (to sign).
public struct UnlockedUser: Sendable {
    /// The login name.
    public let id: UserID
    /// The certified roles.
    public let roles: Set<Role>
    /// The department, for department staff.
    public let department: DepartmentID?
    /// The X25519 secret key.
    public let boxKey: BoxSecretKey
    /// The Ed25519 signing key.
    public let signingKey: SigningSecretKey

    /// The actor the workflow engine sees.
    public var actor: Actor { Actor(id: id, roles: roles, department: department) }
}

/// What `Store.initialise` hands back once: the recovery identity, to be printed and kept offline.
public struct Initialisation: Sendable {
    /// The recovery key: every group secret is also sealed to it.
    public let recovery: AgeIdentity
    /// The root public key, for auditors' trust files.
    public let rootPublicKey: SigningPublicKey
}

/// A user's public record as stored.
struct UserRecord {
    var id: UserID
    var roles: Set<Role>
    var department: DepartmentID?
    var boxPublic: BoxPublicKey
    var signPublic: SigningPublicKey
    var kdf: Argon2idParameters
    var sealedSecrets: [UInt8]
    var certificate: [UInt8]
    var disabled: Bool
    var failedUnlocks: Int
    var lockedUntil: Int64?

    init(row: Row) throws {
        id = UserID(row["id"])
        let roleText: String = row["roles"]
        roles = Set(roleText.split(separator: ",").compactMap { Role(rawValue: String($0)) })
        department = (row["department"] as String?).map { DepartmentID($0) }
        boxPublic = try BoxPublicKey(Array(row["box_public"] as Data))
        signPublic = try SigningPublicKey(Array(row["sign_public"] as Data))
        kdf = try Argon2idParameters(parsing: row["kdf"])
        sealedSecrets = Array(row["sealed_secrets"] as Data)
        certificate = Array(row["certificate"] as Data)
        disabled = row["disabled"]
        failedUnlocks = row["failed_unlocks"]
        lockedUntil = row["locked_until"]
    }

    /// The bytes the root key signs to certify a user's keys and roles.
    static func certified(
        _ id: UserID, _ roles: Set<Role>, _ department: DepartmentID?, _ box: BoxPublicKey, _ sign: SigningPublicKey
    ) -> [UInt8] {
        let text = [
            "sealbox-user-certificate-v1", id.rawValue, roles.map(\.rawValue).sorted().joined(separator: ","),
            department?.rawValue ?? "", Hex.encode(box.bytes), Hex.encode(sign.bytes),
        ].joined(separator: "\n")
        return Array(text.utf8)
    }
}

extension Store {
    static let keyringAD = "sealbox/keyring/v1"
    static let recoveryHolder = "#recovery"

    /// Seals a user's two secret keys under a key from Argon2id of the passphrase.
    static func sealKeyring(
        _ user: UserID, box: BoxSecretKey, signing: SigningSecretKey, passphrase: SecureBytes, kdf: Argon2idParameters
    ) throws -> [UInt8] {
        let wrap = try PasswordKDF.deriveKey(from: passphrase, parameters: kdf)
        let secrets = SecureBytes(count: 64) { (out: UnsafeMutableRawBufferPointer) -> Void in
            box.bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[0..<32]).copyMemory(from: $0) }
            signing.seed.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[32..<64]).copyMemory(from: $0) }
        }
        return XChaCha20Poly1305.seal(secrets, using: wrap, authenticating: Array("\(keyringAD)|\(user)".utf8))
    }

    /// Creates the store's root of trust, recovery key, `office` and `archive` groups, and the first administrator.
    ///
    /// - Parameters:
    ///   - admin: the first administrator's login.
    ///   - passphrase: their passphrase.
    ///   - kdf: Argon2id costs for their keyring.
    ///   - now: the time.
    /// - Returns: the recovery identity (shown once) and the root public key.
    /// - Throws: `StoreError.alreadyInitialised`.
    public func initialise(
        admin: UserID, passphrase: SecureBytes, kdf: Argon2idParameters = .interactive(), at now: Timestamp
    ) throws -> Initialisation {
        let recovery = AgeIdentity.generate()
        let root = SigningSecretKey.generate()
        try write { db in
            guard try Self.meta(db, "root_public") == nil else {
                throw StoreError(.alreadyInitialised, "the store is already initialised")
            }
            try Self.setMeta(db, "root_public", root.publicKey.bytes)
            try Self.setMeta(db, "recovery_public", recovery.recipient.publicKey.bytes)
            try Self.setMeta(db, "format", Array("1".utf8))
            try Self.setMeta(db, "log_origin", Array("sealbox/\(Hex.encode(SecureRandom.bytes(8)))".utf8))
            let adminUser = try Self.insertUser(
                db, admin, roles: [.administrator], department: nil, passphrase: passphrase, kdf: kdf, root: root)
            // The root key is a group of its own: held by administrators and the recovery key.
            _ = try Self.createGroup(
                db, id: "root", kind: "root", members: [adminUser], recovery: recovery.recipient,
                sealSecret: root.seed)
            _ = try Self.createGroup(db, id: "office", kind: "office", members: [], recovery: recovery.recipient)
            // The archive group's seal is the archive signing key (minisign); its X25519 key is an age recipient.
            _ = try Self.createGroup(
                db, id: "archive", kind: "archive", members: [], recovery: recovery.recipient, withSeal: true)
            try Self.appendEvent(
                db, CaseEvent(kind: "store.initialised", caseNumber: nil, actor: admin, at: now, details: [:]))
        }
        return Initialisation(recovery: recovery, rootPublicKey: root.publicKey)
    }

    static func insertUser(
        _ db: Database, _ id: UserID, roles: Set<Role>, department: DepartmentID?, passphrase: SecureBytes,
        kdf: Argon2idParameters, root: SigningSecretKey
    ) throws -> (UserID, BoxPublicKey) {
        guard try Row.fetchOne(db, sql: "SELECT 1 FROM users WHERE id = ?", arguments: [id.rawValue]) == nil else {
            throw StoreError(.invalidInput, "user \(id) already exists")
        }
        let box = BoxSecretKey.generate()
        let signing = SigningSecretKey.generate()
        let sealed = try sealKeyring(id, box: box, signing: signing, passphrase: passphrase, kdf: kdf)
        let certificate = root.signature(
            for: UserRecord.certified(id, roles, department, box.publicKey, signing.publicKey))
        try db.execute(
            sql: """
                INSERT INTO users(id, roles, department, box_public, sign_public, kdf, sealed_secrets, certificate)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id.rawValue, roles.map(\.rawValue).sorted().joined(separator: ","), department?.rawValue,
                Data(box.publicKey.bytes), Data(signing.publicKey.bytes), kdf.description, Data(sealed),
                Data(certificate),
            ])
        return (id, box.publicKey)
    }

    static func user(_ db: Database, _ id: UserID) throws -> UserRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id.rawValue]) else {
            throw StoreError(.notFound, "no user \(id)")
        }
        return try UserRecord(row: row)
    }

    /// Adds a user, certified by the root key (held by `admin`).
    /// - Throws: `StoreError.notPermitted` unless `admin` is an administrator holding the root key.
    public func addUser(
        _ id: UserID, roles: Set<Role>, department: DepartmentID?, passphrase: SecureBytes,
        kdf: Argon2idParameters = .interactive(), by admin: UnlockedUser, at now: Timestamp
    ) throws {
        guard policies.scope(of: admin.actor, for: .manageUsers) != nil else {
            throw StoreError(.notPermitted, "\(admin.id) may not manage users")
        }
        try write { db in
            let rootSeed = try Self.openGroupSecret(db, "root", for: admin).seal
            guard let rootSeed else { throw StoreError(.noKey, "\(admin.id) does not hold the root key") }
            let root = try SigningSecretKey(seed: rootSeed)
            _ = try Self.insertUser(
                db, id, roles: roles, department: department, passphrase: passphrase, kdf: kdf, root: root)
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "user.added", caseNumber: nil, actor: admin.id, at: now,
                    details: ["user": id.rawValue, "roles": roles.map(\.rawValue).sorted().joined(separator: ",")]))
            try Self.signCheckpoint(db, by: admin)
        }
    }

    /// Opens a user's keyring with their passphrase, counting failures and locking the account after five.
    ///
    /// Re-seals the keyring under the policy's Argon2id costs when the stored ones are weaker.
    /// - Throws: `StoreError.wrongPassphrase`, `.locked`, `.disabled`, `.notFound`, `.corrupted` (certificate).
    public func unlock(
        _ id: UserID, passphrase: SecureBytes, at now: Timestamp, upgradeTo kdf: Argon2idParameters? = nil
    ) throws -> UnlockedUser {
        let record = try read { db in try Self.user(db, id) }
        guard !record.disabled else { throw StoreError(.disabled, "user \(id) is disabled") }
        if let until = record.lockedUntil, until > now.secondsSinceEpoch {
            throw StoreError(.locked, "user \(id) is locked after repeated failed unlocks; try again later")
        }
        let root = try rootPublicKey()
        let certified = UserRecord.certified(id, record.roles, record.department, record.boxPublic, record.signPublic)
        guard root.isValidSignature(record.certificate, for: certified) else {
            throw StoreError(.corrupted, "user \(id)'s keys or roles are not certified by the root key")
        }
        let secrets: SecureBytes
        do {
            let wrap = try PasswordKDF.deriveKey(from: passphrase, parameters: record.kdf)
            secrets = try XChaCha20Poly1305.open(
                record.sealedSecrets, using: wrap, authenticating: Array("\(Self.keyringAD)|\(id)".utf8))
        } catch {
            try write { db in
                let failures = record.failedUnlocks + 1
                let lock: Int64? =
                    failures >= policies.maxFailedUnlocks
                    ? now.secondsSinceEpoch + Int64(policies.lockMinutes) * 60 : nil
                try db.execute(
                    sql: "UPDATE users SET failed_unlocks = ?, locked_until = ? WHERE id = ?",
                    arguments: [lock == nil ? failures : 0, lock, id.rawValue])
                try Self.appendEvent(
                    db,
                    CaseEvent(
                        kind: lock == nil ? "user.unlock_failed" : "user.locked", caseNumber: nil, actor: id, at: now,
                        details: ["failures": "\(failures)"]))
            }
            throw StoreError(.wrongPassphrase, "wrong passphrase for \(id)")
        }
        let box = try BoxSecretKey(SecureBytes(copying: secrets.withUnsafeBytes { Array($0[0..<32]) }))
        let signing = try SigningSecretKey(seed: SecureBytes(copying: secrets.withUnsafeBytes { Array($0[32..<64]) }))
        guard box.publicKey == record.boxPublic, signing.publicKey == record.signPublic else {
            throw StoreError(.corrupted, "user \(id)'s keyring does not match their certified keys")
        }
        try write { db in
            var sealed: [UInt8]?
            if let kdf, record.kdf.isWeaker(than: kdf) {
                sealed = try Self.sealKeyring(id, box: box, signing: signing, passphrase: passphrase, kdf: kdf)
            }
            try db.execute(
                sql: """
                    UPDATE users SET failed_unlocks = 0, locked_until = NULL,
                    kdf = COALESCE(?, kdf), sealed_secrets = COALESCE(?, sealed_secrets) WHERE id = ?
                    """,
                arguments: [sealed == nil ? nil : kdf?.description, sealed.map { Data($0) }, id.rawValue])
        }
        return UnlockedUser(
            id: id, roles: record.roles, department: record.department, boxKey: box, signingKey: signing)
    }

    /// Changes a user's passphrase: re-seals only their keyring.
    /// - Throws: `StoreError` as `unlock`.
    public func changePassphrase(
        _ id: UserID, from old: SecureBytes, to new: SecureBytes, kdf: Argon2idParameters = .interactive(),
        at now: Timestamp
    ) throws {
        let user = try unlock(id, passphrase: old, at: now)
        let sealed = try Self.sealKeyring(id, box: user.boxKey, signing: user.signingKey, passphrase: new, kdf: kdf)
        try write { db in
            try db.execute(
                sql: "UPDATE users SET kdf = ?, sealed_secrets = ? WHERE id = ?",
                arguments: [kdf.description, Data(sealed), id.rawValue])
            try Self.appendEvent(db, CaseEvent(kind: "user.passphrase_changed", caseNumber: nil, actor: id, at: now))
        }
    }
}

extension Store {
    /// Disables a user and deletes their sealed copies of every group secret.
    ///
    /// They can no longer unlock. Their groups should then be rotated by a holder (`removeMember`), in case a
    /// copy was taken before.
    /// - Returns: the groups the user held, to rotate.
    /// - Throws: `StoreError.notPermitted` unless `admin` manages users.
    @discardableResult
    public func disableUser(_ id: UserID, by admin: UnlockedUser, at now: Timestamp) throws -> [String] {
        guard policies.scope(of: admin.actor, for: .manageUsers) != nil else {
            throw StoreError(.notPermitted, "\(admin.id) may not manage users")
        }
        guard id != admin.id else { throw StoreError(.invalidInput, "an administrator cannot disable themselves") }
        return try write { db in
            _ = try Self.user(db, id)
            let groups = try String.fetchAll(
                db, sql: "SELECT group_id FROM group_secrets WHERE holder = ? ORDER BY group_id",
                arguments: [id.rawValue])
            try db.execute(sql: "DELETE FROM group_secrets WHERE holder = ?", arguments: [id.rawValue])
            try db.execute(sql: "UPDATE users SET disabled = 1 WHERE id = ?", arguments: [id.rawValue])
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "user.disabled", caseNumber: nil, actor: admin.id, at: now,
                    details: ["user": id.rawValue, "groups": groups.joined(separator: ",")]))
            try Self.signCheckpoint(db, by: admin)
            return groups
        }
    }
}
