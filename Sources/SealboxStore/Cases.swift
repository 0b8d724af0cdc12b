import Foundation
import GRDB
public import SealboxCore
import SealboxCrypto
import SealboxLog

/// A file that arrives with a letter (a mail attachment, a web upload), sealed at registration.
public struct IncomingAttachment: Sendable {
    /// The name the sender gave it.
    public var fileName: Personal<String>
    /// Its media type.
    public var mediaType: String
    /// Its bytes.
    public var bytes: [UInt8]

    /// Creates an attachment.
    public init(fileName: Personal<String>, mediaType: String, bytes: [UInt8]) {
        self.fileName = fileName
        self.mediaType = mediaType
        self.bytes = bytes
    }
}

/// A case's clear metadata: what anyone with `case.read_metadata` sees, with no key (DESIGN §1.1).
public struct CaseSummary: Sendable, Equatable {
    public var number: CaseNumber
    public var channel: Channel
    public var status: CaseStatus
    public var priority: Priority
    public var category: String?
    public var restricted: Bool
    public var leadDepartment: DepartmentID?
    public var deadline: CivilDate?
    public var receivedAt: Timestamp
    public var retention: String
}

extension Store {
    static func documentAD(_ number: CaseNumber) -> [UInt8] { Array("sealbox/case/v1|\(number)|document".utf8) }

    static func sealDocument(_ c: LetterCase, key: SymmetricKey) throws -> [UInt8] {
        var json = try CompactJSON.encode(c)
        defer { SecureBytes.wipe(&json) }
        return XChaCha20Poly1305.seal(json, using: key, authenticating: documentAD(c.number))
    }

    static func openDocument(_ sealed: [UInt8], number: CaseNumber, key: SymmetricKey) throws -> LetterCase {
        // Decrypted into a pooled guarded buffer when it fits (most documents): a `sodium_malloc` of its own per
        // case opened costs more than the decryption.
        // Decoded in place (no copy of the plaintext outside guarded memory).
        let decode = { (plain: UnsafeRawBufferPointer) -> LetterCase in
            guard let base = plain.baseAddress else {
                throw StoreError(.corrupted, "case \(number) has an empty document")
            }
            return try JSONDecoder().decode(
                LetterCase.self,
                from: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: plain.count, deallocator: .none)
            )
        }
        let c: LetterCase
        if sealed.count - XChaCha20Poly1305.nonceCount - XChaCha20Poly1305.tagCount <= chunkBuffers.count {
            c = try chunkBuffers.withBuffer { buffer in
                let count = try XChaCha20Poly1305.open(
                    sealed, using: key, authenticating: documentAD(number), into: buffer)
                return try buffer.withUnsafeBytes { try decode(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        } else {
            let plain = try XChaCha20Poly1305.open(sealed, using: key, authenticating: documentAD(number))
            c = try plain.withUnsafeBytes { try decode($0) }
        }
        guard c.number == number else { throw StoreError(.corrupted, "case \(number) holds another case's document") }
        return c
    }

    static func sealCaseKey(_ db: Database, _ number: CaseNumber, _ key: SymmetricKey, to group: String) throws {
        let (version, recipient) = try groupPublic(db, group)
        try db.execute(
            sql: """
                INSERT INTO case_keys(case_number, group_id, group_version, sealed_key, envelope_id)
                VALUES (?, ?, ?, ?, NULL)
                ON CONFLICT(case_number, group_id) DO UPDATE SET group_version = excluded.group_version,
                sealed_key = excluded.sealed_key, envelope_id = NULL
                """,
            arguments: [number.description, group, version, Data(SealedBox.seal(key.bytes, to: recipient))])
    }

    /// A group's current version and public key.
    static func groupPublic(_ db: Database, _ group: String) throws -> (Int, BoxPublicKey) {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT version, box_public FROM key_groups WHERE id = ?", arguments: [group])
        else { throw StoreError(.notFound, "no key group \(group); create it first") }
        return (row["version"], try BoxPublicKey(Array(row["box_public"] as Data)))
    }

    /// A wrap key for one batch, sealed to `group` in a new envelope: each case key of the batch is then wrapped
    /// under it by `wrapCaseKey` (DESIGN §3, case keys; docs/storage.md, bulk registration).
    /// - Returns: the envelope's id and the wrap key.
    static func newEnvelope(_ db: Database, to group: String) throws -> (Int64, SymmetricKey) {
        let (version, recipient) = try groupPublic(db, group)
        let wrap = SymmetricKey.generate()
        try db.execute(
            sql: "INSERT INTO key_envelopes(group_id, group_version, sealed_wrap_key) VALUES (?, ?, ?)",
            arguments: [group, version, Data(SealedBox.seal(wrap.bytes, to: recipient))])
        return (db.lastInsertedRowID, wrap)
    }

    /// Associated data of a wrapped case key: case, group and envelope, so a wrapped key moved to another row
    /// does not open.
    static func wrapAD(_ number: CaseNumber, _ group: String, _ envelope: Int64) -> [UInt8] {
        Array("sealbox/case-key/v1|\(number)|\(group)|\(envelope)".utf8)
    }

    /// Stores `key` for `number`, wrapped under an envelope's wrap key.
    static func wrapCaseKey(
        _ db: Database, _ number: CaseNumber, _ key: SymmetricKey, envelope: Int64, wrap: SymmetricKey, group: String
    ) throws {
        let wrapped = XChaCha20Poly1305.seal(key.bytes, using: wrap, authenticating: wrapAD(number, group, envelope))
        try db.cachedStatement(
            sql: """
                INSERT INTO case_keys(case_number, group_id, group_version, sealed_key, envelope_id)
                SELECT ?, group_id, group_version, ?, id FROM key_envelopes WHERE id = ?
                """
        ).execute(arguments: [number.description, Data(wrapped), envelope])
    }

    /// A case key as stored for one group (`case_keys`): a sealed box to the group, or wrapped under a key envelope
    /// (v6).
    struct StoredCaseKey {
        var group: String
        var sealed: [UInt8]
        var envelope: Int64?

        init(group: String, sealed: [UInt8], envelope: Int64?) {
            (self.group, self.sealed, self.envelope) = (group, sealed, envelope)
        }

        /// From a row with `group_id`, `sealed_key` and `envelope_id`.
        init(row: Row) {
            self.init(group: row["group_id"], sealed: Array(row["sealed_key"] as Data), envelope: row["envelope_id"])
        }
    }

    /// Opens one stored case key with the group's secret: a sealed box, or a key wrapped under an envelope.
    static func unsealCaseKey(_ db: Database, _ number: CaseNumber, _ stored: StoredCaseKey, with secret: BoxSecretKey)
        throws -> SymmetricKey
    {
        let wrapBox = try stored.envelope.flatMap { envelope in
            try Data.fetchOne(db, sql: "SELECT sealed_wrap_key FROM key_envelopes WHERE id = ?", arguments: [envelope])
        }
        return try unsealCaseKey(number, stored, wrapBox: wrapBox.map { Array($0) }, with: secret)
    }

    /// Opens one stored case key with the group's secret, given its envelope's sealed wrap key if it names one (read
    /// beforehand): no database, so that an export opens keys on every core.
    /// - Throws: `StoreError.corrupted` when the key names an envelope and `wrapBox` is nil; `CryptoError` when it
    ///   does not open.
    static func unsealCaseKey(
        _ number: CaseNumber, _ stored: StoredCaseKey, wrapBox: [UInt8]?, with secret: BoxSecretKey
    )
        throws -> SymmetricKey
    {
        guard let envelope = stored.envelope else {
            return try SymmetricKey(SealedBox.open(stored.sealed, with: secret))
        }
        guard let wrapBox else { throw StoreError(.corrupted, "case \(number) names a missing key envelope") }
        let wrap = try SymmetricKey(SealedBox.open(wrapBox, with: secret))
        return try SymmetricKey(
            XChaCha20Poly1305.open(stored.sealed, using: wrap, authenticating: wrapAD(number, stored.group, envelope)))
    }

    /// Opens the case key with any group `user` holds among those the case is sealed to.
    static func openCaseKey(_ db: Database, _ number: CaseNumber, for user: UnlockedUser) throws -> (
        SymmetricKey, String
    ) {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT group_id, sealed_key, envelope_id FROM case_keys WHERE case_number = ? ORDER BY group_id",
            arguments: [number.description])
        for row in rows {
            let group: String = row["group_id"]
            guard let secret = try? openGroupSecret(db, group, for: user) else { continue }
            return (try unsealCaseKey(db, number, StoredCaseKey(row: row), with: secret.box), group)
        }
        if let disposed = try disposal(of: number, db) {
            throw StoreError(
                .notFound,
                "case \(number) was disposed of on \(disposed.civilDate(offsetSeconds: 0)) (UTC) after its retention "
                    + "ended: only its clear metadata and its events remain")
        }
        throw StoreError(.noKey, "\(user.id) holds no key that opens case \(number)")
    }

    static func nextNumber(_ db: Database, year: Int) throws -> CaseNumber {
        let serial = try Int.fetchOne(
            db,
            sql: """
                INSERT INTO counters(year, last) VALUES (?, 1)
                ON CONFLICT(year) DO UPDATE SET last = last + 1 RETURNING last
                """, arguments: [year])
        return try CaseNumber(year: year, serial: serial ?? 0)
    }

    static func writeMetadata(
        _ db: Database, _ c: LetterCase, sealed: [UInt8], indexPending: Bool, insert: Bool, policies: Policies
    ) throws {
        let tracking = Tracking.Inputs(c, policies: policies)
        let args: StatementArguments = [
            tracking?.signForDue.description, tracking?.leadSignedFor ?? false, tracking?.lastProgress.description,
            tracking?.isSupervised ?? false,
            c.letter.channel.rawValue, c.letter.receivedAt.secondsSinceEpoch, c.registeredAt.secondsSinceEpoch,
            c.category, c.priority.rawValue, c.status.rawValue, c.isRestricted, c.leadDepartment?.rawValue,
            c.deadline?.description, c.retention.name, indexPending, Data(sealed), c.number.description,
        ]
        if insert {
            try db.cachedStatement(
                sql: """
                    INSERT INTO cases(sign_for_due, lead_signed_for, last_progress, supervised,
                    channel, received_at, registered_at, category, priority, status, restricted,
                    lead_department, deadline, retention, index_pending, sealed_document, number, year, serial,
                    facts_version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
                    """
            ).execute(arguments: args + [c.number.year, c.number.serial])
        } else {
            try db.cachedStatement(
                sql: """
                    UPDATE cases SET sign_for_due = ?, lead_signed_for = ?, last_progress = ?, supervised = ?,
                    channel = ?, received_at = ?, registered_at = ?, category = ?, priority = ?,
                    status = ?, restricted = ?, lead_department = ?, deadline = ?, retention = ?, index_pending = ?,
                    sealed_document = ? WHERE number = ?
                    """
            ).execute(arguments: args)
        }
        // A new, unassigned case has no facts yet: the insert marks them current.
        if !insert || !c.slips.isEmpty { try writeReportFacts(db, c, policies: policies) }
        if !insert {
            try db.cachedStatement(sql: "DELETE FROM case_departments WHERE case_number = ?").execute(arguments: [
                c.number.description
            ])
        }
        for department in c.activeSlip?.departments ?? [] {
            try db.cachedStatement(sql: "INSERT INTO case_departments(case_number, department) VALUES (?, ?)").execute(
                arguments: [c.number.description, department.rawValue])
        }
    }

    /// The assessment facts of `c` in clear (M7; no personal data), refreshed at every write.
    static func writeReportFacts(_ db: Database, _ c: LetterCase, policies: Policies) throws {
        let f = Assessment.Facts(c, policies: policies)
        let supervisions = f.map { facts in
            Supervision.Method.allCases.map { "\($0.rawValue)=\(facts.supervisions[$0] ?? 0)" }.joined(separator: ",")
        }
        try db.cachedStatement(
            sql: """
                UPDATE cases SET facts_version = 1, facts_department = ?, facts_assigned_on = ?,
                facts_first_assigned_on = ?, facts_deadline = ?, facts_completed_on = ?, facts_first_review = ?,
                facts_returns = ?, facts_supervisions = ?, facts_satisfaction = ? WHERE number = ?
                """
        ).execute(arguments: [
            f?.department.rawValue, f?.assignedOn.description, f?.firstAssignedOn.description,
            f?.deadline.description, f?.completedOn?.description, f?.firstReviewApproved, f?.returns, supervisions,
            f?.satisfaction?.rawValue, c.number.description,
        ])
    }

    // MARK: - Registration

    /// Registers a letter (M2.2): allocates the next gapless number, seals the letter under a fresh case key, and
    /// seals that key to `office` — or, for a restricted letter, to a new restricted group of `restrictedReaders`.
    ///
    /// Needs only public keys: an intake host can register what it cannot read. When `indexer` (a holder of the
    /// office key) is given, the blind indexes are written at once; otherwise the case is marked for indexing.
    /// - Returns: the number and the events recorded.
    /// - Throws: `StoreError.refused` (with the clause) when the engine refuses; `.busy` when locked too long.
    public func register(
        _ letter: Letter, category: String? = nil, priority: Priority = .general, restrictedReaders: [UserID]? = nil,
        by actor: Actor, indexer: UnlockedUser? = nil, at now: Timestamp
    ) throws -> (CaseNumber, [CaseEvent]) {
        try write { db in
            try registerInTransaction(
                db, letter, category: category, priority: priority, restrictedReaders: restrictedReaders, by: actor,
                indexer: indexer, at: now)
        }
    }

    /// Registers many letters in one transaction (bulk intake): all or none.
    ///
    /// The numbers are taken in one step; one wrap key, sealed to `office` in one envelope, wraps every case key of
    /// the batch (one X25519 operation per batch instead of one per letter); the log frontier is read and written
    /// once. Each letter is otherwise registered as `register` does, and the blind indexes are left pending.
    /// - Returns: the numbers, in order.
    public func registerBatch(_ letters: [Letter], by actor: Actor, at now: Timestamp) throws -> [CaseNumber] {
        guard !letters.isEmpty else { return [] }
        return try write { db in
            let year = policies.localDate(now).year
            let last =
                try Int.fetchOne(
                    db,
                    sql: """
                        INSERT INTO counters(year, last) VALUES (?, ?)
                        ON CONFLICT(year) DO UPDATE SET last = last + excluded.last RETURNING last
                        """, arguments: [year, letters.count]) ?? 0
            let (envelope, wrap) = try Self.newEnvelope(db, to: "office")
            var frontier = try Self.frontier(db)
            // One guarded buffer for every case key of the batch, refilled per letter: each key is used and
            // wrapped before the next one overwrites it.
            let key = SymmetricKey.generate()
            var numbers: [CaseNumber] = []
            numbers.reserveCapacity(letters.count)
            for (offset, letter) in letters.enumerated() {
                let number = try CaseNumber(year: year, serial: last - letters.count + 1 + offset)
                let transition: Transition
                switch Workflow.register(
                    number: number, letter: letter, category: nil, priority: .general, restricted: false, by: actor,
                    at: now, policies: policies)
                {
                case .success(let t): transition = t
                case .failure(let r): throw StoreError(refusal: r)
                }
                key.bytes.refillRandom()
                try Self.writeMetadata(
                    db, transition.letterCase, sealed: try Self.sealDocument(transition.letterCase, key: key),
                    indexPending: true, insert: true, policies: policies)
                try Self.wrapCaseKey(db, number, key, envelope: envelope, wrap: wrap, group: "office")
                for event in transition.events { try Self.appendEvent(db, event, to: &frontier) }
                numbers.append(number)
            }
            try Self.setMeta(db, "log_frontier", frontier.encoded)
            return numbers
        }
    }

    func registerInTransaction(
        _ db: Database, _ letter: Letter, attachments: [IncomingAttachment] = [], category: String? = nil,
        priority: Priority = .general, restrictedReaders: [UserID]? = nil, by actor: Actor,
        indexer: UnlockedUser? = nil, at now: Timestamp
    ) throws -> (CaseNumber, [CaseEvent]) {
        let number = try Self.nextNumber(db, year: policies.localDate(now).year)
        var letter = letter
        for attachment in attachments {
            letter.attachments.append(
                AttachmentInfo(
                    fileName: attachment.fileName, mediaType: attachment.mediaType, byteCount: attachment.bytes.count,
                    sha256: Hex.encode(SHA256.hash(attachment.bytes))))
        }
        let transition: Transition
        switch Workflow.register(
            number: number, letter: letter, category: category, priority: priority,
            restricted: restrictedReaders != nil, by: actor, at: now, policies: policies)
        {
        case .success(let t): transition = t
        case .failure(let r): throw StoreError(refusal: r)
        }
        let key = SymmetricKey.generate()
        let office = try indexer.map { try Self.openGroupSecret(db, "office", for: $0) }
        try Self.writeMetadata(
            db, transition.letterCase, sealed: try Self.sealDocument(transition.letterCase, key: key),
            indexPending: office == nil, insert: true, policies: policies)
        if let office { try Self.writeIndex(db, number, letter.sender, office: office.box) }
        // Attachments that came with the letter, sealed under the new case key: intake needs no secret for them.
        for (position, attachment) in attachments.enumerated() {
            _ = try Self.storeAttachment(db, number, position: position, key: key) { emit in
                try attachment.bytes.withUnsafeBytes { try emit($0) }
            }
        }
        if let readers = restrictedReaders {
            let members = try readers.map { ($0, try Self.user(db, $0).boxPublic) }
            let group = "restricted:\(number)"
            _ = try Self.createGroup(db, id: group, kind: "restricted", members: members)
            try Self.sealCaseKey(db, number, key, to: group)
        } else {
            try Self.sealCaseKey(db, number, key, to: "office")
        }
        for event in transition.events { try Self.appendEvent(db, event) }
        try Self.signCheckpoint(db, by: indexer)
        return (number, transition.events)
    }

    static func writeIndex(_ db: Database, _ number: CaseNumber, _ sender: Sender, office: BoxSecretKey) throws {
        let key = try BlindIndex.key(fromOffice: office)
        for (kind, tag) in try BlindIndex.tags(for: sender, key: key) {
            try db.execute(
                sql: "INSERT OR IGNORE INTO blind_index(case_number, kind, tag) VALUES (?, ?, ?)",
                arguments: [number.description, kind.rawValue, Data(tag)])
        }
    }

    /// Fills the blind indexes of cases registered without the office key (web and mail intake), and signs a
    /// checkpoint over the log as it stands (keyless intake signs none).
    /// - Returns: how many cases were indexed.
    public func indexPending(by user: UnlockedUser) throws -> Int {
        try write { db in
            let office = try Self.openGroupSecret(db, "office", for: user)
            let numbers = try String.fetchAll(db, sql: "SELECT number FROM cases WHERE index_pending = 1")
            var done = 0
            for text in numbers {
                let number = try CaseNumber(parsing: text)
                guard let (key, _) = try? Self.openCaseKey(db, number, for: user) else { continue }
                let sealed = try Data.fetchOne(
                    db, sql: "SELECT sealed_document FROM cases WHERE number = ?", arguments: [text])
                let c = try Self.openDocument(Array(sealed ?? Data()), number: number, key: key)
                try Self.writeIndex(db, number, c.letter.sender, office: office.box)
                try db.execute(sql: "UPDATE cases SET index_pending = 0 WHERE number = ?", arguments: [text])
                done += 1
            }
            // The office holder's checkpoint also covers what keyless intake appended to the log.
            try Self.signCheckpoint(db, by: user)
            return done
        }
    }

    /// Finds the cases of a repeat writer by phone, e-mail, ID number or IP, without decrypting (office only).
    /// - Returns: the case numbers, oldest first.
    public func repeatWriters(_ value: String, kind: BlindIndex.Kind, by user: UnlockedUser) throws -> [CaseNumber] {
        guard policies.scope(of: user.actor, for: .readPersonal) == .office else {
            throw StoreError(.notPermitted, "\(user.id) may not search writers")
        }
        guard let normalised = BlindIndex.normalise(value, as: kind) else {
            throw StoreError(.invalidInput, "not a valid \(kind.rawValue)")
        }
        return try read { db in
            let office = try Self.openGroupSecret(db, "office", for: user)
            let tag = try BlindIndex.tag(normalised, kind: kind, key: BlindIndex.key(fromOffice: office.box))
            return try String.fetchAll(
                db, sql: "SELECT case_number FROM blind_index WHERE kind = ? AND tag = ? ORDER BY case_number",
                arguments: [kind.rawValue, Data(tag)]
            ).map { try CaseNumber(parsing: $0) }
        }
    }
}
