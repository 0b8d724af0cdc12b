import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import SealboxLog
import SealboxStore

/// `Tools/bench log`: audit-verify rate over a log of 1,000,000 events next to the raw SHA-256 rate of the same
/// leaf bytes in the same run; proof size and time for one event.
func benchLog(events count: Int = 1_000_000) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-bench-log-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("sealbox.db").path
    let store = try Store(path: path, policies: PolicyFiles.load(folder: "Policies"))
    let now = Timestamp(secondsSinceEpoch: 1_772_413_200)
    let pass = SecureBytes(copying: Array("bench".utf8))
    _ = try store.initialise(
        admin: "admin", passphrase: pass,
        kdf: Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: SecureRandom.bytes(16)), at: now)
    let admin = try store.unlock("admin", passphrase: pass, at: now)
    // Fill the log directly (a bench set-up, not the API path): same leaf format, frontier, kept subtrees, one
    // checkpoint.
    let pool = try DatabasePool(path: path)
    var leafTexts: [[UInt8]] = []
    leafTexts.reserveCapacity(count)
    try pool.write { db in
        let start = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
        var frontier = MerkleFrontier()
        let keep = try db.makeStatement(sql: "INSERT OR REPLACE INTO log_subtrees(level, idx, hash) VALUES (?, ?, ?)")
        func kept(_ level: Int, _ index: Int, _ hash: Merkle.Hash) throws {
            if level >= Store.keptSubtreeLevel { try keep.execute(arguments: [level, index, Data(hash)]) }
        }
        for row in try Row.fetchAll(db, sql: "SELECT leaf_hash FROM events ORDER BY sequence") {
            try frontier.append(Array(row["leaf_hash"] as Data), completed: kept)
        }
        let insert = try db.makeStatement(
            sql:
                "INSERT INTO events(sequence, case_number, kind, actor, at, details, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        for i in 0..<count {
            let sequence = start + i + 1
            let number = "2026-\(String(format: "%06d", i % 999_999 + 1))"
            let details = "{\"lead\":\"transport\",\"slip\":\"JB-\(number)-1\"}"
            let at = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + Int64(i))
            let text = Array(
                EventLeaf.text(
                    sequence: sequence, at: at, actor: "clerk.li", kind: "case.assigned", caseNumber: number,
                    details: details
                ).utf8)
            let leaf = Merkle.leafHash(text)
            try insert.execute(arguments: [
                sequence, number, "case.assigned", "clerk.li", at.secondsSinceEpoch, details, Data(leaf),
            ])
            try frontier.append(leaf, completed: kept)
            leafTexts.append(text)
        }
        try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'log_frontier'", arguments: [Data(frontier.encoded)])
        let origin = String(
            decoding: try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'log_origin'") ?? Data(),
            as: UTF8.self)
        let checkpoint = Checkpoint(origin: origin, size: frontier.size, root: frontier.root)
        let note = try SignedNote.sign(checkpoint.text, name: Store.noteKeyName(admin.id), key: admin.signingKey)
        try db.execute(
            sql: "INSERT INTO checkpoints(size, signer, note) VALUES (?, 'admin', ?)",
            arguments: [frontier.size, note.serialised])
    }
    let trust = try store.trustFile()
    // Baseline: SHA-256 of the same leaf bytes (one hash per leaf, as RFC 9162 leaves need).
    var sink: UInt8 = 0
    let raw = time { for text in leafTexts { sink ^= Merkle.leafHash(text)[0] } }
    var audited: AuditReport?
    let verify = try time { audited = try store.audit(trust: trust) }
    guard let report = audited, report.isIntact else { fatalError("the bench log does not verify") }
    let verifyRate = Double(report.events) / verify
    let rawRate = Double(count) / raw
    print("log: \(report.events) events (sink \(sink % 2))")
    Summary.record(
        "log", "audit verify", verifyRate, "events/s", baseline: rawRate, target: "≥ 200,000 events/s",
        met: verifyRate >= 200_000)
    print(
        String(
            format:
                "audit verify                       %10.0f events/s   raw SHA-256 of the leaves %10.0f /s   ratio %.2f   (target ≥ 200,000/s: %@)",
            verifyRate, rawRate, verifyRate / rawRate, verifyRate >= 200_000 ? "met" : "NOT MET"))
    var proof: TlogProof?
    let prove = try time { proof = try store.prove(event: count / 2) }
    let size = proof?.serialised.utf8.count ?? 0
    print(
        String(
            format: "proof for one event                %10.3f s, %d bytes, %d hashes", prove, size,
            proof?.proof.count ?? 0))
}
