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
        frontier.append(leaf)
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
        try read { db in try LogProver(db).prove(db, sequence) }
    }
}

/// Inclusion proofs against the latest signed checkpoint, from one tree built once (many proofs, one export).
///
/// The recorded leaf hashes build the tree; a recorded hash that lies makes the proof fail against the signed
/// checkpoint, so nothing is taken on trust.
struct LogProver {
    private(set) var checkpoint: SignedNote
    private(set) var tree = MerkleTree(leaves: [])
    /// The checkpoint signer's certificate as `ArchiveChain` reads it: the root's signature (base64) on the first
    /// line, then the certified text.
    private(set) var signerCertificate: [UInt8]

    init(_ db: Database) throws {
        (checkpoint, signerCertificate) = try Self.latest(db)
        try grow(db)
    }

    /// Moves to the latest signed checkpoint, appending the leaves the log gained since: an export keeps one
    /// prover for all its batches, so each batch reads only the new events, not the whole log again.
    /// - Throws: `StoreError.notFound` with no checkpoint; `.corrupted` when the log has fewer events than its
    ///   checkpoint, or the checkpoint is older than what this prover holds.
    mutating func refresh(_ db: Database) throws {
        (checkpoint, signerCertificate) = try Self.latest(db)
        try grow(db)
    }

    /// The latest signed checkpoint and its signer's certificate.
    private static func latest(_ db: Database) throws -> (SignedNote, [UInt8]) {
        guard let row = try Row.fetchOne(db, sql: "SELECT note, signer FROM checkpoints ORDER BY id DESC LIMIT 1")
        else { throw StoreError(.notFound, "no signed checkpoint yet") }
        guard
            let user = try Row.fetchOne(
                db, sql: "SELECT * FROM users WHERE id = ?", arguments: [row["signer"] as String])
        else { throw StoreError(.corrupted, "the latest checkpoint's signer is not a user of this store") }
        let signer = try UserRecord(row: user)
        let certificate =
            Array((Base64.encode(signer.certificate) + "\n").utf8)
            + UserRecord.certified(signer.id, signer.roles, signer.department, signer.boxPublic, signer.signPublic)
        return (try SignedNote(parsing: row["note"]), certificate)
    }

    /// Appends the recorded leaves between the tree's size and the checkpoint's.
    private mutating func grow(_ db: Database) throws {
        let size = try Checkpoint(parsing: checkpoint.text).size
        guard size >= tree.size else {
            throw StoreError(.corrupted, "the log's checkpoint went back; run sealbox audit verify")
        }
        var leaves: [Merkle.Hash] = []
        leaves.reserveCapacity(size - tree.size)
        let cursor = try Data.fetchCursor(
            db, sql: "SELECT leaf_hash FROM events WHERE sequence > ? AND sequence <= ? ORDER BY sequence",
            arguments: [tree.size, size])
        while let leaf = try cursor.next() { leaves.append(Array(leaf)) }
        guard tree.size + leaves.count == size else {
            throw StoreError(.corrupted, "the log has fewer events than its checkpoint; run sealbox audit verify")
        }
        tree.append(leaves)
    }

    /// A proof of `event`, already read from the log.
    /// - Throws: `StoreError.notFound` when no signed checkpoint covers it yet.
    func prove(_ event: LoggedEvent) throws -> TlogProof {
        try requireCovered(event.sequence)
        return TlogProof(
            extra: Array(event.leafText.utf8), index: event.sequence - 1,
            proof: tree.inclusionProof(event.sequence - 1), checkpoint: checkpoint)
    }

    /// A proof of event `sequence`, read from the log.
    /// - Throws: `StoreError.notFound` when no signed checkpoint covers it yet, or there is no such event.
    func prove(_ db: Database, _ sequence: Int) throws -> TlogProof {
        try requireCovered(sequence)
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM events WHERE sequence = ?"), arguments: [sequence])
        else { throw StoreError(.notFound, "no event \(sequence)") }
        return try prove(LoggedEvent(row: row))
    }

    /// Refuses an event the tree (the latest signed checkpoint) does not cover.
    private func requireCovered(_ sequence: Int) throws {
        guard sequence >= 1, sequence <= tree.size else {
            throw StoreError(.notFound, "no signed checkpoint covers event \(sequence) yet")
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
    /// An RFC 9162 consistency proof from a saved checkpoint's size to the latest signed checkpoint, built from the
    /// recorded leaf hashes; the caller verifies it against both signed roots, so nothing is taken on trust.
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
            var leaves: [Merkle.Hash] = []
            let cursor = try Data.fetchCursor(
                db, sql: "SELECT leaf_hash FROM events WHERE sequence <= ? ORDER BY sequence",
                arguments: [checkpoint.size])
            while let leaf = try cursor.next() { leaves.append(Array(leaf)) }
            guard leaves.count == checkpoint.size else {
                throw StoreError(.corrupted, "the log has fewer events than its checkpoint; run sealbox audit verify")
            }
            return (latest, Merkle.consistencyProof(size, leaves[...]))
        }
    }
}
