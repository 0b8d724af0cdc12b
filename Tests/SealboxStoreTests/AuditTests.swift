import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import SealboxLog
import Testing

@testable import SealboxStore

/// The tamper matrix (DESIGN §6): each change to the history is detected with its own message.
struct AuditTests {
    /// A store with a closed case: 40-odd events under signed checkpoints; the trust file and a saved checkpoint.
    static func setUp() throws -> (StoreFixture, String, String) {
        let f = try StoreFixture()
        let (number, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.runToClosure(number, feedback: "調查", reply: "答覆")
        let trust = try f.store.trustFile()
        let saved = try #require(try f.store.latestCheckpoint()).serialised
        return (f, trust, saved)
    }

    static func expectProblem(_ f: StoreFixture, _ trust: String, saved: String? = nil, _ fragment: String) throws {
        let report = try f.store.audit(trust: trust, since: saved)
        #expect(!report.isIntact, "tamper not detected: expected \(fragment)")
        #expect(report.problems.contains { $0.contains(fragment) }, "\(report.problems)")
    }

    @Test func anUntouchedLogVerifies() throws {
        let (f, trust, saved) = try Self.setUp()
        let report = try f.store.audit(trust: trust, since: saved)
        #expect(report.isIntact, "\(report.problems)")
        #expect(
            report.events > 20 && report.checkpoints > 5, "\(report.events) events, \(report.checkpoints) checkpoints")
        let note = try SignedNote(parsing: saved)
        let checkpoint = try Checkpoint(parsing: note.text)
        #expect(checkpoint.size == report.events && checkpoint.root == report.root)
        #expect(note.signatures.first?.name == "sealbox/user/clerk")
        // Every event is PII-free.
        for event in try f.store.events() {
            for canary in StoreTests.canaries { #expect(!"\(event)".contains(canary)) }
        }
    }

    @Test func anEditedEventIsNamed() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in try db.execute(sql: "UPDATE events SET actor = 'mallory' WHERE sequence = 5") }
        try Self.expectProblem(f, trust, "event #5 was edited")
    }

    @Test func anEditWithARecomputedLeafHashIsCaughtByTheCheckpoints() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE events SET actor = 'mallory' WHERE sequence = 20")
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM events WHERE sequence = 20"))
            let leaf = Merkle.leafHash(Array(LoggedEvent(row: row).leafText.utf8))
            try db.execute(sql: "UPDATE events SET leaf_hash = ? WHERE sequence = 20", arguments: [Data(leaf)])
        }
        try Self.expectProblem(f, trust, "does not match the events")
    }

    @Test func aDeletedEventIsNamed() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in try db.execute(sql: "DELETE FROM events WHERE sequence = 7") }
        try Self.expectProblem(f, trust, "events #7…#7 are missing")
    }

    @Test func anInsertedEventIsCaught() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE events SET sequence = sequence + 1000 WHERE sequence >= 6")
            try db.execute(sql: "UPDATE events SET sequence = sequence - 999 WHERE sequence >= 1006")
            let text = EventLeaf.text(
                sequence: 6, at: f.now, actor: "clerk", kind: "case.read", caseNumber: "2026-000001", details: "{}")
            try db.execute(
                sql:
                    "INSERT INTO events(sequence, case_number, kind, actor, at, details, leaf_hash) VALUES (6, '2026-000001', 'case.read', 'clerk', ?, '{}', ?)",
                arguments: [f.now.secondsSinceEpoch, Data(Merkle.leafHash(Array(text.utf8)))])
        }
        try Self.expectProblem(f, trust, "does not match the events")
    }

    @Test func reorderedEventsAreCaught() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE events SET sequence = -1 WHERE sequence = 3")
            try db.execute(sql: "UPDATE events SET sequence = 3 WHERE sequence = 4")
            try db.execute(sql: "UPDATE events SET sequence = 4 WHERE sequence = -1")
        }
        let report = try f.store.audit(trust: trust)
        #expect(!report.isIntact)
        #expect(report.problems.contains { $0.contains("event #3 was edited") || $0.contains("does not match") })
    }

    @Test func truncationIsCaughtAgainstTheSavedCheckpoint() throws {
        let (f, trust, saved) = try Self.setUp()
        try f.store.pool.write { db in
            try db.execute(sql: "DELETE FROM events WHERE sequence > 10")
            try db.execute(sql: "DELETE FROM checkpoints WHERE size > 10")
        }
        // Without the saved checkpoint the shorter log looks consistent; with it, the truncation shows.
        try Self.expectProblem(f, trust, saved: saved, "the log was truncated")
    }

    @Test func aForgedCheckpointSignatureIsNamed() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in
            let note = try #require(try String.fetchOne(db, sql: "SELECT note FROM checkpoints WHERE id = 3"))
            var signed = try SignedNote(parsing: note)
            signed.signatures[0].signature[10] ^= 1
            try db.execute(sql: "UPDATE checkpoints SET note = ? WHERE id = 3", arguments: [signed.serialised])
        }
        try Self.expectProblem(f, trust, "checkpoint #3: the signature by sealbox/user/")
    }

    @Test func aCheckpointByAnUncertifiedKeyIsNamed() throws {
        let (f, trust, _) = try Self.setUp()
        let report = try f.store.audit(trust: trust)
        let forged = try SignedNote.sign(
            Checkpoint(origin: "x", size: 1, root: Merkle.emptyRoot).text, name: "sealbox/user/clerk",
            key: SigningSecretKey.generate())
        try f.store.pool.write { db in
            try db.execute(
                sql: "INSERT INTO checkpoints(size, signer, note) VALUES (1, 'clerk', ?)",
                arguments: [forged.serialised])
        }
        #expect(report.isIntact)
        try Self.expectProblem(f, trust, "not signed by any key certified by the root")
    }

    @Test func anAlteredCertificateIsNamed() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE users SET roles = 'clerk,reviewer' WHERE id = 'clerk2'")
        }
        try Self.expectProblem(f, trust, "user clerk2: certificate does not verify")
    }

    @Test func aSplitViewIsNamed() throws {
        let (f, trust, _) = try Self.setUp()
        try f.store.pool.write { db in
            let size = try #require(try Int.fetchOne(db, sql: "SELECT size FROM checkpoints WHERE id = 2"))
            let other = Checkpoint(origin: try Store.origin(db), size: size, root: Merkle.leafHash([1]))
            let note = try SignedNote.sign(
                other.text, name: Store.noteKeyName("clerk"), key: f.user("clerk").signingKey)
            try db.execute(
                sql: "INSERT INTO checkpoints(size, signer, note) VALUES (?, 'clerk', ?)",
                arguments: [size, note.serialised])
        }
        try Self.expectProblem(f, trust, "split view")
    }

    @Test func aWrongTrustRootFailsEverything() throws {
        let (f, _, _) = try Self.setUp()
        let stranger =
            "sealbox-trust/v1\norigin x\nroot \(Base64.encode(SigningSecretKey.generate().publicKey.bytes))\n"
        let report = try f.store.audit(trust: stranger)
        #expect(!report.isIntact)
        #expect(throws: StoreError.self) { try f.store.audit(trust: "garbage") }
    }

    @Test func aDetachedProofVerifiesForAnyEvent() throws {
        let (f, _, _) = try Self.setUp()
        let verifier = try NoteVerifier(name: Store.noteKeyName("clerk"), key: f.user("clerk").signingKey.publicKey)
        let origin = try f.store.pool.read { db in try Store.origin(db) }
        for sequence in [1, 2, 17] {
            let proof = try TlogProof(parsing: f.store.prove(event: sequence).serialised)
            let leaf = Merkle.leafHash(try #require(proof.extra))
            let checkpoint = try proof.verify(leaf: leaf, origin: origin, trusted: [verifier])
            #expect(checkpoint.size >= sequence)
            #expect(throws: LogError.self) {
                try proof.verify(leaf: Merkle.leafHash([0]), origin: origin, trusted: [verifier])
            }
        }
        #expect(throws: StoreError.self) { try f.store.prove(event: 100_000) }
    }

    /// Proofs come from the log's kept subtrees (DESIGN §6: O(log n) rows a proof), equal to those of the whole
    /// tree; an altered or missing kept subtree is refused when a proof needs it, never handed out.
    @Test func proofsReadTheKeptSubtreesAndRefuseAlteredOnes() throws {
        let (f, _, _) = try Self.setUp()
        let (second, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.runToClosure(second, feedback: "調查", reply: "答覆")
        let size = try Checkpoint(parsing: try #require(try f.store.latestCheckpoint()).text).size
        let leaves = try f.store.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT leaf_hash FROM events ORDER BY sequence").map { Array($0) }
        }
        #expect(size >= 33, "the log should hold a kept subtree of 32 and more")
        let whole = MerkleTree(leaves: Array(leaves[0..<size]))
        for sequence in 1...size {
            #expect(try f.store.prove(event: sequence).proof == whole.inclusionProof(sequence - 1))
        }
        let kept = try f.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM log_subtrees") }
        let expected = (Store.keptSubtreeLevel..<20).reduce(0) { $0 + leaves.count >> $1 }
        #expect(kept == expected)
        // From an auditor's saved size to the latest, too.
        let (latest, consistency) = try f.store.consistencyProof(from: 5)
        #expect(consistency == whole.consistencyProof(5))
        #expect(try Checkpoint(parsing: latest.text).size == size)
        // Leaves 1–16 make kept subtree 4/0: the proof of event 20 needs it, that of event 3 only its leaves.
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE log_subtrees SET hash = zeroblob(32) WHERE level = 4 AND idx = 0")
        }
        #expect(try f.store.prove(event: 3).proof == whole.inclusionProof(2))
        let altered = #expect(throws: StoreError.self) { try f.store.prove(event: 20) }
        #expect(altered?.code == .corrupted && altered?.message.contains("does not prove") == true)
        try f.store.pool.write { db in try db.execute(sql: "DELETE FROM log_subtrees WHERE level = 4 AND idx = 0") }
        let missing = #expect(throws: StoreError.self) { try f.store.prove(event: 20) }
        #expect(missing?.message.contains("kept subtree 4/0 is missing") == true)
        // An edited event is refused too, before its proof could reach a package.
        try f.store.pool.write { db in try db.execute(sql: "UPDATE events SET actor = 'mallory' WHERE sequence = 3") }
        let edited = #expect(throws: StoreError.self) { try f.store.prove(event: 3) }
        #expect(edited?.message.contains("event 3 does not prove") == true)
    }

    /// A store whose log predates the kept subtrees gets them from its leaves when it is opened (migration v13).
    @Test func keptSubtreesAreFilledInForAnOlderLog() throws {
        let (f, _, _) = try Self.setUp()
        let before = try f.store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT level, idx, hash FROM log_subtrees ORDER BY level, idx")
        }
        #expect(!before.isEmpty)
        try f.store.pool.write { db in
            try db.execute(sql: "DROP TABLE log_subtrees")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v13-log-subtrees'")
        }
        let reopened = try Store(path: f.store.path, policies: StoreFixture.policies())
        let after = try reopened.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT level, idx, hash FROM log_subtrees ORDER BY level, idx")
        }
        #expect(after == before)
        #expect(try reopened.prove(event: 20).proof == (try f.store.prove(event: 20)).proof)
    }
}
