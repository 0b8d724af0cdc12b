import Foundation
import GRDB
public import SealboxCore
public import SealboxCrypto

/// What intake answers for one letter.
public struct IntakeReceipt: Sendable, Equatable {
    /// The letter's number (for a duplicate: the number it got the first time).
    public var number: CaseNumber
    /// The citizen's query code, shown once; `nil` for a duplicate or when none was asked for.
    public var queryCode: String?
    /// Whether this source was taken in before (nothing new registered).
    public var duplicate: Bool
    /// Earlier letters by the same writer (phone, e-mail, ID number or IP), found by blind index; empty when the
    /// index could not be computed (intake without the office key: `sealbox intake index` flags them later).
    public var repeatOf: [CaseNumber]
}

/// What a citizen may learn with a number and a query code: the status and the dates, never content.
public struct CitizenStatus: Sendable, Equatable {
    public var number: CaseNumber
    public var status: CaseStatus
    public var received: CivilDate
    public var deadline: CivilDate?
    public var replied: CivilDate?
    public var closed: CivilDate?
    /// The reply's text, once replied (opened with the key derived from the code; personal, for the writer only).
    public var reply: String?
}

/// A message intake could not take in, kept sealed to the office.
public struct QuarantineEntry: Sendable, Equatable {
    public var id: Int
    public var channel: String
    public var reason: String
    public var receivedAt: Timestamp
}

extension Store {
    /// Letters of the query-code alphabet (Crockford base32: no I, L, O or U to misread on the phone).
    static let queryAlphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    static func queryHash(_ number: CaseNumber, _ code: String) -> [UInt8] {
        SHA256.hash(Array("sealbox/query/v1|\(number)|\(code.uppercased())".utf8))
    }

    /// The citizen's key pair for a letter: derived from its number and query code (the code holder re-derives it;
    /// the store keeps the public half only).
    static func citizenKey(_ number: CaseNumber, _ code: String) throws -> BoxSecretKey {
        let seed = SHA256.hash(Array("sealbox/citizen-key/v1|\(number)|\(code.uppercased())".utf8))
        return try BoxSecretKey(SecureBytes(copying: seed))
    }

    static func sourceHash(_ key: String) -> [UInt8] { SHA256.hash(Array("sealbox/intake/v1|\(key)".utf8)) }

    /// Registers a letter arriving by a channel (M2.1, M2.2): once per source, sealed to `office` with its
    /// attachments, with a query code for the citizen.
    ///
    /// Needs only public keys unless `indexer` (an office holder) is given; then the blind indexes are written at
    /// once and earlier letters by the same writer are returned.
    /// - Parameters:
    ///   - letter: the letter.
    ///   - attachments: files that came with it.
    ///   - source: what identifies the source (a Message-ID, a submission id); a source seen before registers
    ///     nothing and returns the first number. Kept as a SHA-256 only.
    ///   - actor: the intake actor.
    ///   - indexer: an office holder, or `nil` (intake host).
    ///   - queryCode: whether to issue a query code.
    ///   - now: the time.
    /// - Returns: the receipt.
    /// - Throws: `StoreError.refused` when the engine refuses (M2.2.1 fields missing).
    public func intake(
        _ letter: Letter, attachments: [IncomingAttachment] = [], source: String?, by actor: Actor,
        indexer: UnlockedUser? = nil, queryCode: Bool = true, at now: Timestamp
    ) throws -> IntakeReceipt {
        try write { db in
            let sourceHash = source.map(Self.sourceHash)
            if let sourceHash,
                let first = try String.fetchOne(
                    db, sql: "SELECT case_number FROM intake_receipts WHERE key_hash = ?", arguments: [Data(sourceHash)]
                )
            {
                return IntakeReceipt(
                    number: try CaseNumber(parsing: first), queryCode: nil, duplicate: true, repeatOf: [])
            }
            let (number, _) = try registerInTransaction(
                db, letter, attachments: attachments, by: actor, indexer: indexer, at: now)
            if let sourceHash {
                try db.execute(
                    sql: "INSERT INTO intake_receipts(key_hash, case_number, channel) VALUES (?, ?, ?)",
                    arguments: [Data(sourceHash), number.description, letter.channel.rawValue])
            }
            var code: String?
            if queryCode {
                let random = SecureRandom.bytes(10)
                let text = String(random.map { Self.queryAlphabet[Int($0) % 32] })
                try db.execute(
                    sql: "UPDATE cases SET query_hash = ?, citizen_box = ? WHERE number = ?",
                    arguments: [
                        Data(Self.queryHash(number, text)), Data(try Self.citizenKey(number, text).publicKey.bytes),
                        number.description,
                    ])
                code = text
            }
            let repeats = indexer == nil ? [] : try Self.sameWriter(db, as: number)
            return IntakeReceipt(number: number, queryCode: code, duplicate: false, repeatOf: repeats)
        }
    }

    /// Cases sharing a blind-index tag with `number`, oldest first.
    static func sameWriter(_ db: Database, as number: CaseNumber) throws -> [CaseNumber] {
        try String.fetchAll(
            db,
            sql: """
                SELECT DISTINCT other.case_number FROM blind_index mine
                JOIN blind_index other ON other.kind = mine.kind AND other.tag = mine.tag
                JOIN cases c ON c.number = other.case_number
                WHERE mine.case_number = ? AND other.case_number <> mine.case_number
                ORDER BY c.year, c.serial
                """, arguments: [number.description]
        ).map { try CaseNumber(parsing: $0) }
    }

    /// Earlier letters by the writer of `number` (same phone, e-mail, ID number or IP), for the clerk registering it.
    /// - Throws: `StoreError.notPermitted` without `case.register`.
    public func earlierLetters(sameWriterAs number: CaseNumber, by actor: Actor) throws -> [CaseNumber] {
        guard policies.scope(of: actor, for: .register) != nil else {
            throw StoreError(.notPermitted, "\(actor.id) may not look up repeat writers")
        }
        return try read { db in
            try Self.sameWriter(db, as: number).filter { ($0.year, $0.serial) < (number.year, number.serial) }
        }
    }

    /// Indexes letters taken in without the office key and returns, for each, earlier letters by the same writer.
    /// - Returns: the newly indexed letters that have earlier ones, with those.
    public func flagRepeatWriters(by user: UnlockedUser) throws -> [(CaseNumber, [CaseNumber])] {
        let pending = try read { db in
            try String.fetchAll(db, sql: "SELECT number FROM cases WHERE index_pending = 1 ORDER BY year, serial")
        }
        _ = try indexPending(by: user)
        return try read { db in
            try pending.compactMap { text in
                let number = try CaseNumber(parsing: text)
                let earlier = try Self.sameWriter(db, as: number).filter {
                    ($0.year, $0.serial) < (number.year, number.serial)
                }
                return earlier.isEmpty ? nil : (number, earlier)
            }
        }
    }

    /// Keeps a message intake could not read, sealed to `office` (a random key in a sealed box).
    ///
    /// The reason is PII-free; the same bytes twice are kept once.
    /// - Returns: the quarantine id, and whether it was already there.
    public func quarantine(_ raw: [UInt8], channel: Channel, reason: String, at now: Timestamp) throws -> (Int, Bool) {
        try write { db in
            let hash = SHA256.hash(raw)
            if let id = try Int.fetchOne(
                db, sql: "SELECT id FROM quarantine WHERE source_hash = ?", arguments: [Data(hash)])
            {
                return (id, true)
            }
            let (_, office) = try Self.groupPublic(db, "office")
            let key = SymmetricKey.generate()
            let sealed = XChaCha20Poly1305.seal(raw, using: key, authenticating: Array("sealbox/quarantine/v1".utf8))
            try db.execute(
                sql: """
                    INSERT INTO quarantine(source_hash, channel, reason, received_at, sealed_key, sealed_bytes)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Data(hash), channel.rawValue, reason, now.secondsSinceEpoch,
                    Data(SealedBox.seal(key.bytes, to: office)), Data(sealed),
                ])
            let id = Int(db.lastInsertedRowID)
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "intake.quarantined", caseNumber: nil, actor: UserID("intake.\(channel.rawValue)"), at: now,
                    details: ["id": "\(id)", "reason": reason]))
            return (id, false)
        }
    }

    /// The quarantined messages (no content).
    public func quarantined() throws -> [QuarantineEntry] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, channel, reason, received_at FROM quarantine ORDER BY id").map {
                QuarantineEntry(
                    id: $0["id"], channel: $0["channel"], reason: $0["reason"],
                    receivedAt: Timestamp(secondsSinceEpoch: $0["received_at"]))
            }
        }
    }

    /// Opens a quarantined message for an office holder (to register it by hand).
    /// - Throws: `StoreError.notFound`; `.noKey` without the office key.
    public func quarantinedMessage(_ id: Int, by user: UnlockedUser) throws -> SecureBytes {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM quarantine WHERE id = ?", arguments: [id]) else {
                throw StoreError(.notFound, "no quarantined message \(id)")
            }
            let office = try Self.openGroupSecret(db, "office", for: user)
            let key = try SymmetricKey(SealedBox.open(Array(row["sealed_key"] as Data), with: office.box))
            return try XChaCha20Poly1305.open(
                Array(row["sealed_bytes"] as Data), using: key, authenticating: Array("sealbox/quarantine/v1".utf8))
        }
    }

    /// The status and dates of a letter for a citizen holding its query code, or `nil` — the same `nil`, after
    /// the same work, for an unknown number and for a wrong code.
    public func citizenStatus(number text: String, code: String) throws -> CitizenStatus? {
        let number = (try? CaseNumber(parsing: text.trimmingCharacters(in: .whitespaces)))
        let probe = try number ?? CaseNumber(year: 2000, serial: 1)
        let expected = Self.queryHash(probe, code.trimmingCharacters(in: .whitespaces))
        return try read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT status, received_at, deadline, query_hash, citizen_reply FROM cases WHERE number = ?",
                arguments: [probe.description])
            let stored = (row?["query_hash"] as Data?).map { Array($0) } ?? [UInt8](repeating: 0, count: 32)
            let matches = SecureBytes(copying: stored) == SecureBytes(copying: expected)
            guard number != nil, let row, row["query_hash"] as Data? != nil, matches else { return nil }
            let dates = try Row.fetchAll(
                db,
                sql:
                    "SELECT kind, MIN(at) AS at FROM events WHERE case_number = ? AND kind IN ('case.replied', 'case.closed') GROUP BY kind",
                arguments: [probe.description])
            func date(_ kind: String) -> CivilDate? {
                dates.first { ($0["kind"] as String) == kind }.map {
                    policies.localDate(Timestamp(secondsSinceEpoch: $0["at"]))
                }
            }
            var reply: String?
            if let sealed = row["citizen_reply"] as Data? {
                let key = try Self.citizenKey(probe, code.trimmingCharacters(in: .whitespaces))
                reply = try SealedBox.open(Array(sealed), with: key).withUnsafeBytes {
                    String(decoding: $0, as: UTF8.self)
                }
            }
            return CitizenStatus(
                number: probe, status: CaseStatus(rawValue: row["status"]) ?? .registered,
                received: policies.localDate(Timestamp(secondsSinceEpoch: row["received_at"])),
                deadline: (row["deadline"] as String?).flatMap { try? CivilDate(parsing: $0) },
                replied: date("case.replied"), closed: date("case.closed"), reply: reply)
        }
    }
}
