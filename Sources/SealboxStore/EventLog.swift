import Foundation
import GRDB
public import SealboxCore
import SealboxCrypto
public import SealboxLog

/// The tamper-evident event log inside the store (DESIGN §6).
///
/// Every event is a leaf: the canonical, PII-free text below, hashed as RFC 9162 leaves. The store keeps the
/// tree's right edge (the frontier) so that each append is O(log n), and after each command the acting user signs
/// a C2SP checkpoint (a signed note) of the new tree head. See `docs/log.md`.
public enum EventLeaf {
    /// The canonical details text: a JSON object with sorted keys and string values.
    public static func detailsText(_ details: [String: String]) -> String {
        func quote(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                default:
                    if scalar.value < 0x20 {
                        out +=
                            "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                            + String(scalar.value, radix: 16)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        return "{"
            + details.sorted { $0.key < $1.key }.map { "\(quote($0.key)):\(quote($0.value))" }
            .joined(separator: ",") + "}"
    }

    /// The leaf text of one event:
    /// `sealbox-event/v1`, sequence, UTC time, actor, action, case number (or `-`), SHA-256 of the details text,
    /// one per line, each ending in a newline.
    public static func text(
        sequence: Int, at: Timestamp, actor: String, kind: String, caseNumber: String?, details: String
    ) -> String {
        [
            "sealbox-event/v1", String(sequence), at.description, actor, kind, caseNumber ?? "-",
            Hex.encode(SHA256.hash(Array(details.utf8))),
        ].joined(separator: "\n") + "\n"
    }
}

extension Store {
    /// The key name a user signs checkpoints under.
    public static func noteKeyName(_ user: UserID) -> String { "sealbox/user/\(user.rawValue)" }

    static func frontier(_ db: Database) throws -> MerkleFrontier {
        guard let bytes = try meta(db, "log_frontier") else { return MerkleFrontier() }
        guard let frontier = MerkleFrontier(encoded: bytes) else {
            throw StoreError(.corrupted, "the log frontier is damaged; run sealbox audit verify")
        }
        return frontier
    }

    /// The log's origin line (`sealbox/<random id>`), made at `initialise`.
    static func origin(_ db: Database) throws -> String {
        guard let bytes = try meta(db, "log_origin") else { return "sealbox/uninitialised" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends one event as the next leaf.
    static func appendEvent(_ db: Database, _ event: CaseEvent) throws {
        var frontier = try frontier(db)
        try appendEvent(db, event, to: &frontier)
        try setMeta(db, "log_frontier", frontier.encoded)
    }

    /// Appends one event as the next leaf of `frontier`, which the caller stores when its batch is done.
    static func appendEvent(_ db: Database, _ event: CaseEvent, to frontier: inout MerkleFrontier) throws {
        let sequence = frontier.size + 1
        let details = EventLeaf.detailsText(event.details)
        let leaf = Merkle.leafHash(
            Array(
                EventLeaf.text(
                    sequence: sequence, at: event.at, actor: event.actor.rawValue, kind: event.kind,
                    caseNumber: event.caseNumber?.description, details: details
                ).utf8))
        try db.cachedStatement(
            sql: """
                INSERT INTO events(sequence, case_number, kind, actor, at, details, leaf_hash)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            sequence, event.caseNumber?.description, event.kind, event.actor.rawValue, event.at.secondsSinceEpoch,
            details, Data(leaf),
        ])
        try frontier.append(leaf) { try keepSubtree(db, $0, $1, $2) }
    }

    /// The smallest perfect subtrees the store keeps: 16 leaves.
    ///
    /// Smaller ones are hashed again from their leaves, one read of at most 16 leaf hashes, when a proof needs them.
    /// About one row for every eight events.
    public static let keptSubtreeLevel = 4

    /// Keeps a perfect subtree the log just completed, if it is large enough (`keptSubtreeLevel`).
    static func keepSubtree(_ db: Database, _ level: Int, _ index: Int, _ hash: Merkle.Hash) throws {
        guard level >= keptSubtreeLevel else { return }
        try db.cachedStatement(sql: "INSERT INTO log_subtrees(level, idx, hash) VALUES (?, ?, ?)")
            .execute(arguments: [level, index, Data(hash)])
    }

    /// Signs a checkpoint of the current tree head with `signer`'s key, unless the last one has the same size.
    static func signCheckpoint(_ db: Database, by signer: UnlockedUser?) throws {
        guard let signer else { return }
        let frontier = try frontier(db)
        let last = try Int.fetchOne(db, sql: "SELECT size FROM checkpoints ORDER BY id DESC LIMIT 1")
        guard frontier.size > 0, last != frontier.size else { return }
        let checkpoint = Checkpoint(origin: try origin(db), size: frontier.size, root: frontier.root)
        let note = try SignedNote.sign(checkpoint.text, name: noteKeyName(signer.id), key: signer.signingKey)
        try db.execute(
            sql: "INSERT INTO checkpoints(size, signer, note) VALUES (?, ?, ?)",
            arguments: [frontier.size, signer.id.rawValue, note.serialised])
    }

    /// The latest signed checkpoint, for an auditor to keep (`sealbox audit checkpoint`).
    public func latestCheckpoint() throws -> SignedNote? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT note FROM checkpoints ORDER BY id DESC LIMIT 1").map {
                try SignedNote(parsing: $0)
            }
        }
    }

    /// The PII-free events, oldest first, optionally for one case.
    public func events(case number: CaseNumber? = nil, kind: String? = nil) throws -> [LoggedEvent] {
        try read { db in try Self.events(db, case: number, kind: kind) }
    }

    /// The events of each of `numbers`, oldest first: a few statements for a whole batch of cases (an export), not
    /// one a case, each row read by position.
    static func events(_ db: Database, cases numbers: [CaseNumber]) throws -> [String: [LoggedEvent]] {
        var histories: [String: [LoggedEvent]] = [:]
        // Each case once (a case asked twice must not get its events twice), a thousand a statement: SQLite binds
        // at most 32,766 parameters, and an export's batch may be larger.
        let distinct = Array(Set(numbers.map(\.description)))
        for start in stride(from: 0, to: distinct.count, by: 1000) {
            let part = distinct[start..<min(start + 1000, distinct.count)]
            let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT sequence, case_number, kind, actor, at, details, leaf_hash FROM events
                    WHERE case_number IN (\(marks)) ORDER BY sequence
                    """, arguments: StatementArguments(Array(part)))
            while let row = try rows.next() {
                let event = LoggedEvent(
                    sequence: row[0], caseNumber: row[1], kind: row[2], actor: row[3],
                    at: Timestamp(secondsSinceEpoch: row[4]), details: row[5],
                    recordedLeaf: (row[6] as Data?).map { Array($0) } ?? [])
                histories[event.caseNumber ?? "", default: []].append(event)
            }
        }
        return histories
    }

    static func events(_ db: Database, case number: CaseNumber?, kind: String? = nil) throws -> [LoggedEvent] {
        var sql = "SELECT * FROM events WHERE 1 = 1"
        var args: [any DatabaseValueConvertible] = []
        if let number {
            sql += " AND case_number = ?"
            args.append(number.description)
        }
        if let kind {
            sql += " AND kind = ?"
            args.append(kind)
        }
        // A handful of shapes (by case, by kind, both): cached like fixed statements.
        return try Row.fetchAll(
            db.cachedStatement(sql: sql + " ORDER BY sequence"), arguments: StatementArguments(args)
        ).map {
            LoggedEvent(row: $0)
        }
    }

    /// A detached inclusion proof (C2SP tlog-proof) of event `sequence` against the latest signed checkpoint; the
    /// `extra` line carries the event's leaf text so that a verifier can recompute the leaf hash.
    /// - Throws: `StoreError.notFound` when the event does not exist or no checkpoint covers it yet.
    public func prove(event sequence: Int) throws -> TlogProof {
        try read { db in
            var prover = try LogProver(db)
            return try prover.prove(db, sequence)
        }
    }
}

/// Inclusion proofs against the latest signed checkpoint, read from the log's kept subtrees: O(log n) rows a proof,
/// and memory to match, whatever the size of the log (DESIGN §6).
///
/// Nothing read is taken on trust: each proof is checked against the signed root before it is handed out, so an
/// edited event, leaf hash or kept subtree is refused here, not found later by whoever checks the proof.
struct LogProver {
    let checkpoint: SignedNote
    /// The checkpoint's size and root.
    private let head: Checkpoint
    /// The checkpoint signer's certificate as `ArchiveChain` reads it: the root's signature (base64) on the first
    /// line, then the certified text.
    let signerCertificate: [UInt8]
    private var subtrees = StoredSubtrees()

    /// A prover for the latest signed checkpoint.
    /// - Throws: `StoreError.notFound` with no checkpoint; `.corrupted` when its signer is not a user.
    init(_ db: Database) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT note, signer FROM checkpoints ORDER BY id DESC LIMIT 1")
        else { throw StoreError(.notFound, "no signed checkpoint yet") }
        guard
            let user = try Row.fetchOne(
                db, sql: "SELECT * FROM users WHERE id = ?", arguments: [row["signer"] as String])
        else { throw StoreError(.corrupted, "the latest checkpoint's signer is not a user of this store") }
        let signer = try UserRecord(row: user)
        signerCertificate =
            Array((Base64.encode(signer.certificate) + "\n").utf8)
            + UserRecord.certified(signer.id, signer.roles, signer.department, signer.boxPublic, signer.signPublic)
        checkpoint = try SignedNote(parsing: row["note"])
        head = try Checkpoint(parsing: checkpoint.text)
    }

    /// A proof of `event`, already read from the log.
    /// - Throws: `StoreError.notFound` when no signed checkpoint covers it yet; `.corrupted` when the proof does not
    ///   lead to the signed root.
    mutating func prove(_ db: Database, _ event: LoggedEvent) throws -> TlogProof {
        try requireCovered(event.sequence)
        let index = event.sequence - 1
        let proof = try Merkle.inclusionProof(index, size: head.size) { try self.subtrees.hash(db, $0, $1) }
        let leaf = Array(event.leafText.utf8)
        guard
            Merkle.verifyInclusion(
                index: index, size: head.size, leaf: Merkle.leafHash(leaf), proof: proof, root: head.root)
        else {
            throw StoreError(
                .corrupted,
                "event \(event.sequence) does not prove against the signed checkpoint (the event or the log's kept "
                    + "subtrees were altered); run sealbox audit verify")
        }
        return TlogProof(extra: leaf, index: index, proof: proof, checkpoint: checkpoint)
    }

    /// A proof of event `sequence`, read from the log.
    /// - Throws: `StoreError.notFound` when no signed checkpoint covers it yet, or there is no such event.
    mutating func prove(_ db: Database, _ sequence: Int) throws -> TlogProof {
        try requireCovered(sequence)
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM events WHERE sequence = ?"), arguments: [sequence])
        else { throw StoreError(.notFound, "no event \(sequence)") }
        return try prove(db, LoggedEvent(row: row))
    }

    /// Refuses an event the latest signed checkpoint does not cover.
    private func requireCovered(_ sequence: Int) throws {
        guard sequence >= 1, sequence <= head.size else {
            throw StoreError(.notFound, "no signed checkpoint covers event \(sequence) yet")
        }
    }
}

/// The log's perfect subtrees as proofs ask for them: those of `Store.keptSubtreeLevel` and up read from
/// `log_subtrees`, smaller ones hashed from their leaves (one read a tile of 16), each remembered for the next proof.
struct StoredSubtrees {
    private var known: [Int: Merkle.Hash] = [:]

    /// The hash of leaves `index·2^level ..< (index+1)·2^level`.
    /// - Throws: `StoreError.corrupted` when a kept subtree or a leaf is missing.
    mutating func hash(_ db: Database, _ level: Int, _ index: Int) throws -> Merkle.Hash {
        // Levels stay below 64 and indices below 2^57 for any log SQLite can hold.
        let key = index << 6 | level
        if let hash = known[key] { return hash }
        let hash: Merkle.Hash
        if level >= Store.keptSubtreeLevel {
            guard
                let stored = try Data.fetchOne(
                    db.cachedStatement(sql: "SELECT hash FROM log_subtrees WHERE level = ? AND idx = ?"),
                    arguments: [level, index])
            else {
                throw StoreError(
                    .corrupted, "the log's kept subtree \(level)/\(index) is missing; run sealbox audit verify")
            }
            hash = Array(stored)
        } else if level == 0 {
            try readTile(db, of: index)
            guard let leaf = known[index << 6] else {
                throw StoreError(.corrupted, "event \(index + 1) is missing from the log; run sealbox audit verify")
            }
            hash = leaf
        } else {
            hash = Merkle.nodeHash(try self.hash(db, level - 1, 2 * index), try self.hash(db, level - 1, 2 * index + 1))
        }
        known[key] = hash
        return hash
    }

    /// Remembers the recorded leaf hashes of the tile of 16 that holds leaf `index`.
    private mutating func readTile(_ db: Database, of index: Int) throws {
        let first = (index >> Store.keptSubtreeLevel) << Store.keptSubtreeLevel
        let rows = try Row.fetchCursor(
            db.cachedStatement(sql: "SELECT sequence, leaf_hash FROM events WHERE sequence BETWEEN ? AND ?"),
            arguments: [first + 1, first + (1 << Store.keptSubtreeLevel)])
        while let row = try rows.next() {
            if let leaf = row[1] as Data? { known[(row[0] as Int - 1) << 6] = Array(leaf) }
        }
    }
}

/// One event as stored: PII-free.
public struct LoggedEvent: Sendable, Equatable {
    public var sequence: Int
    public var caseNumber: String?
    public var kind: String
    public var actor: String
    public var at: Timestamp
    public var details: String
    /// The leaf hash recorded when the event was appended.
    public var recordedLeaf: [UInt8]

    init(
        sequence: Int, caseNumber: String?, kind: String, actor: String, at: Timestamp, details: String,
        recordedLeaf: [UInt8]
    ) {
        (self.sequence, self.caseNumber, self.kind, self.actor, self.at) = (sequence, caseNumber, kind, actor, at)
        (self.details, self.recordedLeaf) = (details, recordedLeaf)
    }

    init(row: Row) {
        sequence = row["sequence"]
        caseNumber = row["case_number"]
        kind = row["kind"]
        actor = row["actor"]
        at = Timestamp(secondsSinceEpoch: row["at"])
        details = row["details"]
        recordedLeaf = (row["leaf_hash"] as Data?).map { Array($0) } ?? []
    }

    /// The canonical leaf text recomputed from the stored columns.
    public var leafText: String {
        EventLeaf.text(sequence: sequence, at: at, actor: actor, kind: kind, caseNumber: caseNumber, details: details)
    }
}

extension Store {
    /// An RFC 9162 consistency proof from a saved checkpoint's size to the latest signed checkpoint, read from the
    /// log's kept subtrees (O(log n) rows); the caller verifies it against both signed roots, so nothing is taken on
    /// trust.
    /// - Returns: the latest signed checkpoint and the proof.
    /// - Throws: `StoreError.notFound` when there is no checkpoint at least that large.
    public func consistencyProof(from size: Int) throws -> (latest: SignedNote, proof: [Merkle.Hash]) {
        try read { db in
            guard let note = try String.fetchOne(db, sql: "SELECT note FROM checkpoints ORDER BY id DESC LIMIT 1")
            else {
                throw StoreError(.notFound, "the log has no signed checkpoint yet")
            }
            let latest = try SignedNote(parsing: note)
            let checkpoint = try Checkpoint(parsing: latest.text)
            guard size >= 0, size <= checkpoint.size else {
                throw StoreError(
                    .notFound, "the latest checkpoint (size \(checkpoint.size)) is older than size \(size)")
            }
            var subtrees = StoredSubtrees()
            let proof = try Merkle.consistencyProof(size, size: checkpoint.size) { try subtrees.hash(db, $0, $1) }
            return (latest, proof)
        }
    }
}
