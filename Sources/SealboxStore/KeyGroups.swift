import Foundation
import GRDB
public import SealboxCore
public import SealboxCrypto

/// A key group's secrets: the X25519 key that opens case keys, and for a department its seal (公章) seed.
struct GroupSecret {
    var box: BoxSecretKey
    var seal: SecureBytes?

    var packed: SecureBytes { box.bytes }
}

/// Key groups (DESIGN §3): `root`, `office`, `archive`, `dept:<code>`, `restricted:<case>`.
///
/// A group secret is stored once per holder, sealed (`crypto_box_seal`) to the holder's X25519 key, and once to
/// the recovery key. Rotation makes a new key pair and re-seals every case key of the group.
extension Store {
    /// The group id of a department.
    public static func departmentGroup(_ department: DepartmentID) -> String { "dept:\(department.rawValue)" }

    /// Creates a group with a fresh key pair (and, for departments and root, a seal key).
    ///
    /// Its secret is sealed to `members` and the recovery key. The creator does not keep it unless listed.
    static func createGroup(
        _ db: Database, id: String, kind: String, members: [(UserID, BoxPublicKey)], recovery: AgeRecipient? = nil,
        sealSecret: SecureBytes? = nil, withSeal: Bool = false
    ) throws -> GroupSecret {
        guard try Row.fetchOne(db, sql: "SELECT 1 FROM key_groups WHERE id = ?", arguments: [id]) == nil else {
            throw StoreError(.invalidInput, "key group \(id) already exists")
        }
        let box = BoxSecretKey.generate()
        let seal = sealSecret ?? (withSeal ? SecureBytes.random(count: 32) : nil)
        let sealPublic = try seal.map { try SigningSecretKey(seed: $0).publicKey.bytes }
        try db.execute(
            sql: "INSERT INTO key_groups(id, kind, version, box_public, seal_public) VALUES (?, ?, 1, ?, ?)",
            arguments: [id, kind, Data(box.publicKey.bytes), sealPublic.map { Data($0) }])
        let secret = GroupSecret(box: box, seal: seal)
        let recoveryKey = try recovery?.publicKey ?? BoxPublicKey(requireMeta(db, "recovery_public"))
        try sealGroupSecret(db, id, version: 1, secret, to: Self.recoveryHolder, recoveryKey)
        for (member, key) in members { try sealGroupSecret(db, id, version: 1, secret, to: member.rawValue, key) }
        return secret
    }

    static func requireMeta(_ db: Database, _ key: String) throws -> [UInt8] {
        guard let value = try meta(db, key) else {
            throw StoreError(.notInitialised, "the store is not initialised; run sealbox init")
        }
        return value
    }

    static func sealGroupSecret(
        _ db: Database, _ group: String, version: Int, _ secret: GroupSecret, to holder: String, _ key: BoxPublicKey
    ) throws {
        let sealedSecret = SealedBox.seal(secret.box.bytes, to: key)
        let sealedSeal = secret.seal.map { SealedBox.seal($0, to: key) }
        try db.execute(
            sql: """
                INSERT INTO group_secrets(group_id, holder, version, sealed_secret, sealed_seal_secret)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(group_id, holder) DO UPDATE SET version = excluded.version,
                sealed_secret = excluded.sealed_secret, sealed_seal_secret = excluded.sealed_seal_secret
                """,
            arguments: [group, holder, version, Data(sealedSecret), sealedSeal.map { Data($0) }])
    }

    /// Opens `group`'s current secret with `user`'s key (the second lock).
    ///
    /// A user who was never granted the group (or was removed and the group rotated) holds nothing that opens it.
    static func openGroupSecret(_ db: Database, _ group: String, for user: UnlockedUser) throws -> GroupSecret {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT s.sealed_secret, s.sealed_seal_secret, s.version, g.version AS current, g.box_public
                    FROM group_secrets s JOIN key_groups g ON g.id = s.group_id
                    WHERE s.group_id = ? AND s.holder = ?
                    """, arguments: [group, user.id.rawValue]),
            (row["version"] as Int) == (row["current"] as Int)
        else { throw StoreError(.noKey, "\(user.id) holds no key for \(group)") }
        let box = try BoxSecretKey(SealedBox.open(Array(row["sealed_secret"] as Data), with: user.boxKey))
        guard box.publicKey.bytes == Array(row["box_public"] as Data) else {
            throw StoreError(.corrupted, "the sealed secret of \(group) does not match its public key")
        }
        let seal = try (row["sealed_seal_secret"] as Data?).map { try SealedBox.open(Array($0), with: user.boxKey) }
        return GroupSecret(box: box, seal: seal)
    }

    /// Creates a department's key group, sealed to its initial members; the department's seal key (公章) is sealed
    /// only to the members listed in `sealHolders`.
    /// - Throws: `StoreError.notPermitted` unless `admin` manages users.
    public func createDepartment(
        _ department: DepartmentID, members: [UserID], sealHolders: [UserID], by admin: UnlockedUser, at now: Timestamp
    ) throws {
        guard policies.scope(of: admin.actor, for: .manageUsers) != nil else {
            throw StoreError(.notPermitted, "\(admin.id) may not manage departments")
        }
        try write { db in
            let group = Self.departmentGroup(department)
            let secret = try Self.createGroup(db, id: group, kind: "department", members: [], withSeal: true)
            for member in Set(members + sealHolders) {
                let record = try Self.user(db, member)
                var copy = secret
                if !sealHolders.contains(member) { copy.seal = nil }
                try Self.sealGroupSecret(db, group, version: 1, copy, to: member.rawValue, record.boxPublic)
            }
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "group.created", caseNumber: nil, actor: admin.id, at: now,
                    details: ["group": group, "members": "\(Set(members + sealHolders).count)"]))
            try Self.signCheckpoint(db, by: admin)
        }
    }

    /// Grants `group` to `member`; only a holder of the group's secret can (DESIGN §3).
    ///
    /// `withSeal` passes the department seal too (the granter must hold it).
    /// - Throws: `StoreError.noKey` when `granter` does not hold the group.
    public func grant(
        _ group: String, to member: UserID, withSeal: Bool = false, by granter: UnlockedUser, at now: Timestamp
    ) throws {
        try write { db in
            try Self.grantInTransaction(
                db, group, to: member, withSeal: withSeal, from: granter, kind: "group.granted", at: now)
            try Self.signCheckpoint(db, by: granter)
        }
    }

    /// Seals the group secret `holder` opens to `member` (and the seal too when asked and held).
    static func grantInTransaction(
        _ db: Database, _ group: String, to member: UserID, withSeal: Bool, from holder: UnlockedUser, kind: String,
        at now: Timestamp
    ) throws {
        var secret = try openGroupSecret(db, group, for: holder)
        if !withSeal { secret.seal = nil }
        guard !withSeal || secret.seal != nil else {
            throw StoreError(.noKey, "\(holder.id) does not hold the seal of \(group)")
        }
        let record = try user(db, member)
        let version = try Int.fetchOne(db, sql: "SELECT version FROM key_groups WHERE id = ?", arguments: [group]) ?? 1
        try sealGroupSecret(db, group, version: version, secret, to: member.rawValue, record.boxPublic)
        try appendEvent(
            db,
            CaseEvent(
                kind: kind, caseNumber: nil, actor: holder.id, at: now,
                details: ["group": group, "member": member.rawValue, "seal": "\(withSeal)"]))
    }

    /// Grants `group` to `member` with the recovery key: the set-up ceremony for the first holders of `office` and
    /// `archive` (which nobody holds at `init`), and the way back when every holder is gone.
    /// - Throws: `StoreError.noKey` when `recovery` is not this store's recovery key.
    public func grant(
        _ group: String, to member: UserID, withSeal: Bool = false, usingRecovery recovery: AgeIdentity,
        at now: Timestamp
    ) throws {
        try write { db in
            guard try Self.requireMeta(db, "recovery_public") == recovery.recipient.publicKey.bytes else {
                throw StoreError(.noKey, "that is not this store's recovery key")
            }
            let holder = UnlockedUser(
                id: UserID(Self.recoveryHolder), roles: [], department: nil, boxKey: recovery.secretKey,
                signingKey: .generate())
            try Self.grantInTransaction(
                db, group, to: member, withSeal: withSeal, from: holder, kind: "group.granted_by_recovery", at: now)
        }
    }

    /// Removes `member` from `group` and rotates the group.
    ///
    /// A new key pair, every case key of the group re-sealed, every remaining holder (and the recovery key)
    /// given the new secret. The removed member's copy is deleted
    /// and would not open the new key anyway.
    /// - Throws: `StoreError.noKey` when `remover` does not hold the group.
    public func removeMember(_ member: UserID, from group: String, by remover: UnlockedUser, at now: Timestamp) throws {
        try write { db in
            let old = try Self.openGroupSecret(db, group, for: remover)
            try db.execute(
                sql: "DELETE FROM group_secrets WHERE group_id = ? AND holder = ?", arguments: [group, member.rawValue])
            let version =
                (try Int.fetchOne(db, sql: "SELECT version FROM key_groups WHERE id = ?", arguments: [group]) ?? 1) + 1
            let fresh = GroupSecret(box: BoxSecretKey.generate(), seal: old.seal)
            try db.execute(
                sql: "UPDATE key_groups SET version = ?, box_public = ? WHERE id = ?",
                arguments: [version, Data(fresh.box.publicKey.bytes), group])
            // Re-seal every case key of the group to the new public key.
            // Every case key of the group, wrapped or not, becomes a sealed box to the new key; the batch
            // envelopes, which only the old secret opens, go.
            let rows = try Row.fetchAll(
                db, sql: "SELECT case_number, group_id, sealed_key, envelope_id FROM case_keys WHERE group_id = ?",
                arguments: [group])
            for row in rows {
                let number = try CaseNumber(parsing: row["case_number"] as String)
                let key = try Self.unsealCaseKey(db, number, StoredCaseKey(row: row), with: old.box)
                try db.execute(
                    sql: """
                        UPDATE case_keys SET sealed_key = ?, group_version = ?, envelope_id = NULL
                        WHERE case_number = ? AND group_id = ?
                        """,
                    arguments: [
                        Data(SealedBox.seal(key.bytes, to: fresh.box.publicKey)), version, number.description, group,
                    ])
            }
            try db.execute(sql: "DELETE FROM key_envelopes WHERE group_id = ?", arguments: [group])
            // Every remaining holder gets the new secret (the seal seed carries over to those who held it).
            let holders = try Row.fetchAll(
                db,
                sql: "SELECT holder, sealed_seal_secret IS NOT NULL AS has_seal FROM group_secrets WHERE group_id = ?",
                arguments: [group])
            for holder in holders {
                let name: String = holder["holder"]
                let key: BoxPublicKey =
                    name == Self.recoveryHolder
                    ? try BoxPublicKey(Self.requireMeta(db, "recovery_public"))
                    : try Self.user(db, UserID(name)).boxPublic
                var copy = fresh
                if !(holder["has_seal"] as Bool) { copy.seal = nil }
                try Self.sealGroupSecret(db, group, version: version, copy, to: name, key)
            }
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "group.rotated", caseNumber: nil, actor: remover.id, at: now,
                    details: [
                        "group": group, "removed": member.rawValue, "version": "\(version)",
                        "case_keys": "\(rows.count)",
                    ]))
            try Self.signCheckpoint(db, by: remover)
        }
    }

    /// The public half of a group (for intake hosts, which hold no secret).
    public func groupPublicKey(_ group: String) throws -> BoxPublicKey {
        try read { db in
            guard
                let data = try Data.fetchOne(
                    db, sql: "SELECT box_public FROM key_groups WHERE id = ?", arguments: [group])
            else { throw StoreError(.notFound, "no key group \(group)") }
            return try BoxPublicKey(Array(data))
        }
    }

    /// A department's seal public key (to verify the 公章 on feedback).
    public func sealPublicKey(_ department: DepartmentID) throws -> SigningPublicKey {
        try read { db in
            guard
                let data = try Data.fetchOne(
                    db.cachedStatement(sql: "SELECT seal_public FROM key_groups WHERE id = ?"),
                    arguments: [Self.departmentGroup(department)])
            else { throw StoreError(.notFound, "no seal key for \(department)") }
            return try SigningPublicKey(Array(data))
        }
    }
}
