import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// `sealbox audit …` on a real store, as an auditor would run it: no secret key, no personal data.
struct AuditCLITests {
    static let policies = PolicyCLITests.policies

    /// A store with an admin, a clerk holding the office key, and two letters registered and read.
    static func makeStore(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("sealbox.db").path
        let store = try Store(path: path, policies: PolicyFiles.load(folder: policies))
        let now = Timestamp(secondsSinceEpoch: 1_772_413_200)  // 2026-03-02T01:00:00Z
        let kdf = Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: [UInt8](repeating: 2, count: 16))
        let pass = SecureBytes(copying: Array("pw".utf8))
        let setup = try store.initialise(admin: "admin", passphrase: pass, kdf: kdf, at: now)
        let admin = try store.unlock("admin", passphrase: pass, at: now)
        try store.addUser("clerk", roles: [.clerk], department: nil, passphrase: pass, kdf: kdf, by: admin, at: now)
        try store.grant("office", to: "clerk", usingRecovery: setup.recovery, at: now)
        let clerk = try store.unlock("clerk", passphrase: pass, at: now)
        for name in ["王小明", "李四"] {
            let letter = Letter(
                channel: .hotline, receivedAt: now, sender: Sender(name: Personal(name), contact: "13500000000"),
                subject: "噪音", content: "夜間施工噪音")
            let (number, _) = try store.register(letter, by: clerk.actor, indexer: clerk, at: now)
            _ = try store.read(number, purpose: "reply", by: clerk, at: now)
        }
        return path
    }

    @Test func exportCheckpointVerifyProveAndLog() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try Self.makeStore(in: dir)
        let common = ["--store", path, "--policies", Self.policies]
        let trust = try CLITests.sealbox(["audit", "trust", "export"] + common)
        #expect(trust.status == 0 && trust.stdout.hasPrefix("sealbox-trust/v1\n"))
        try trust.stdout.write(to: dir.appendingPathComponent("trust"), atomically: true, encoding: .utf8)
        let checkpoint = try CLITests.sealbox(["audit", "checkpoint"] + common)
        #expect(checkpoint.status == 0 && checkpoint.stdout.contains("— sealbox/user/clerk "))
        try checkpoint.stdout.write(to: dir.appendingPathComponent("saved"), atomically: true, encoding: .utf8)
        let trustPath = dir.appendingPathComponent("trust").path
        let savedPath = dir.appendingPathComponent("saved").path
        let verify = try CLITests.sealbox(["audit", "verify", "--trust", trustPath, "--since", savedPath] + common)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("log verified"))
        let proof = try CLITests.sealbox(["audit", "prove", "--event", "1"] + common)
        #expect(proof.status == 0 && proof.stdout.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
        let log = try CLITests.sealbox(["audit", "log", "--json", "--kind", "case.read"] + common)
        #expect(log.status == 0)
        #expect(log.stdout.split(separator: "\n").count == 2)
        for text in [verify.stdout, proof.stdout, log.stdout, checkpoint.stdout] {
            #expect(!text.contains("王小明") && !text.contains("13500000000") && !text.contains("噪音"))
        }
        // Consistency (RFC 9162 §2.1.4) from the saved checkpoint to the latest, after more work.
        let store = try Store(path: path, policies: PolicyFiles.load(folder: Self.policies))
        let pass = SecureBytes(copying: Array("pw".utf8))
        let clerk = try store.unlock("clerk", passphrase: pass, at: Timestamp(secondsSinceEpoch: 1_772_413_300))
        _ = try store.read(
            try CaseNumber(parsing: "2026-000001"), purpose: "more", by: clerk,
            at: Timestamp(secondsSinceEpoch: 1_772_413_300))
        let consistent = try CLITests.sealbox(["audit", "consistency", "--since", savedPath] + common)
        #expect(consistent.status == 0, "\(consistent.stderr)")
        #expect(consistent.stdout.contains("consistent:"))
        // Tamper: the auditor sees exit 65 and the problem named.
        let pool = try DatabasePool(path: path)
        try pool.write { db in
            try db.execute(sql: "UPDATE events SET leaf_hash = zeroblob(32) WHERE sequence = 2")
        }
        let rewritten = try CLITests.sealbox(["audit", "consistency", "--since", savedPath] + common)
        #expect(rewritten.status == 65 && rewritten.stderr.contains("not an extension"))
        try pool.write { db in try db.execute(sql: "UPDATE events SET kind = 'case.nothing' WHERE sequence = 3") }
        let broken = try CLITests.sealbox(["audit", "verify", "--trust", trustPath] + common)
        #expect(broken.status == 65)
        #expect(broken.stdout.contains("FAIL: event #3 was edited"))
        #expect(broken.stderr.hasPrefix("sealbox: error: the log does not verify"))
        let missing = try CLITests.sealbox(["audit", "verify", "--trust", trustPath, "--store", "/nonexistent.db"])
        #expect(missing.status == 66)
    }
}
