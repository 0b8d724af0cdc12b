import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxStore

/// The encrypted store: nothing readable at rest, two locks on every read, rotation, repeat writers, numbering.
struct StoreTests {
    static let allMigrations = Schema.migrator.migrations
    static let canaries = ["歐陽明珠", "13912345678", "11010519491231002X", "203.0.113.77", "市政府門口的噴泉壞了三個月沒人修"]

    static func letter(name: String = "歐陽明珠", contact: String = "13912345678", at: Timestamp) -> Letter {
        Letter(
            channel: .email, receivedAt: at,
            sender: Sender(
                name: Personal(name), contact: Personal(contact), idNumber: "11010519491231002X",
                anonymousIdentifier: "203.0.113.77"),
            subject: "噴泉", content: "市政府門口的噴泉壞了三個月沒人修")
    }

    /// DESIGN §1.1: canaries in letters, feedback and replies appear nowhere in the database, its WAL or SHM.
    @Test func nothingReadableAtRest() throws {
        var files: [URL] = []
        do {
            let f = try StoreFixture()
            for i in 0..<5 {
                let (number, _) = try f.store.register(
                    Self.letter(at: f.now), by: f.user("clerk").actor, indexer: i % 2 == 0 ? f.user("clerk") : nil,
                    at: f.now)
                try f.runToClosure(number, feedback: Self.canaries[4], reply: Self.canaries[0])
            }
            _ = try f.store.registerBatch(
                [Self.letter(at: f.now), Self.letter(at: f.now)], by: f.user("clerk").actor, at: f.now)
            let contents = try FileManager.default.contentsOfDirectory(at: f.folder, includingPropertiesForKeys: nil)
            files = contents
            #expect(contents.contains { $0.lastPathComponent.hasSuffix("-wal") })
            for file in contents {
                let data = try Data(contentsOf: file)
                for canary in Self.canaries {
                    for encoding in [String.Encoding.utf8, .utf16LittleEndian, .utf16BigEndian] {
                        let needle = try #require(canary.data(using: encoding))
                        #expect(data.range(of: needle) == nil, "\(canary) in \(file.lastPathComponent) (\(encoding))")
                    }
                }
            }
            _ = f  // the store stays open while scanning: the WAL is at its fullest
        }
        #expect(!files.isEmpty)
    }

    /// DESIGN §3: a ciphertext moved to another case, or any flipped byte, fails to open.
    @Test func movedOrFlippedCiphertextFailsToOpen() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let (a, _) = try f.store.register(Self.letter(at: f.now), by: clerk.actor, at: f.now)
        let (b, _) = try f.store.register(Self.letter(name: "另一人", at: f.now), by: clerk.actor, at: f.now)
        #expect(try f.store.read(a, purpose: "test", by: clerk, at: f.now).letter.sender.name?.value == "歐陽明珠")
        try f.store.pool.write { db in
            try db.execute(
                sql:
                    "UPDATE cases SET sealed_document = (SELECT sealed_document FROM cases WHERE number = ?) WHERE number = ?",
                arguments: [a.description, b.description])
        }
        let moved = #expect(throws: StoreError.self) { try f.store.read(b, purpose: "test", by: clerk, at: f.now) }
        #expect(moved?.code == .corrupted)
        try f.store.pool.write { db in
            try db.execute(
                sql:
                    "UPDATE cases SET sealed_document = substr(sealed_document, 1, 40) || (CASE WHEN substr(sealed_document, 41, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(sealed_document, 42) WHERE number = ?",
                arguments: [a.description])
        }
        let flipped = #expect(throws: StoreError.self) { try f.store.read(a, purpose: "test", by: clerk, at: f.now) }
        #expect(flipped?.code == .corrupted)
        // A case key sealed for another case does not open this one either (the key differs, the AD binds).
        let (c, _) = try f.store.register(Self.letter(at: f.now), by: clerk.actor, at: f.now)
        try f.store.pool.write { db in
            try db.execute(
                sql:
                    "UPDATE case_keys SET sealed_key = (SELECT sealed_key FROM case_keys WHERE case_number = ?) WHERE case_number = ?",
                arguments: [b.description, c.description])
        }
        #expect(throws: StoreError.self) { try f.store.read(c, purpose: "test", by: clerk, at: f.now) }
    }

    /// DESIGN §1.2: the second lock — without the policy check, the wrong people still hold no key.
    @Test func theWrongPeopleHoldNoKeyAtTheKeyLevel() throws {
        let f = try StoreFixture()
        let (number, _) = try f.store.register(Self.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.store.apply(
            .assign(.init(lead: "transport", matter: "事項", requirements: "要求")), to: number, by: f.user("clerk"),
            at: f.at("2026-03-02", 11))
        func keyOpens(_ name: String) throws -> Bool {
            try f.store.pool.read { db in (try? Store.openCaseKey(db, number, for: f.user(name))) != nil }
        }
        #expect(try keyOpens("clerk"))
        #expect(try keyOpens("head"))
        #expect(try keyOpens("handler"))
        #expect(try !keyOpens("healthhead"))  // never assigned
        #expect(try !keyOpens("auditor"))
        #expect(try !keyOpens("admin"))
        #expect(try !keyOpens("archivist"))  // not before closure
        // And through the API, the policy refuses first.
        #expect(throws: StoreError.self) { try f.store.read(number, purpose: "x", by: f.user("healthhead"), at: f.now) }
        #expect(throws: StoreError.self) { try f.store.read(number, purpose: "x", by: f.user("admin"), at: f.now) }
        #expect(throws: StoreError.self) { try f.store.read(number, purpose: "x", by: f.user("auditor"), at: f.now) }
        let early = #expect(throws: StoreError.self) {
            try f.store.read(number, purpose: "export", by: f.user("archivist"), at: f.now)
        }
        #expect(early?.code == .notPermitted)
    }

    @Test func archiveGetsTheKeyOnlyAtClosureAndSealsVerify() throws {
        let f = try StoreFixture()
        let (number, _) = try f.store.register(Self.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.runToClosure(number, feedback: "調查結果", reply: "答覆")
        let c = try f.store.read(number, purpose: "export", by: f.user("archivist"), at: f.at("2026-03-06"))
        #expect(c.status == .closed)
        #expect(try f.store.verifySeal(of: c))  // the 公章 verifies against the department's seal key
        var forged = c
        forged.feedback?.result = "改過的結果"
        #expect(try !f.store.verifySeal(of: forged))
        // A handler without the seal cannot seal.
        let (other, _) = try f.store.register(Self.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.store.apply(
            .assign(.init(lead: "transport", matter: "事項", requirements: "要求")), to: other, by: f.user("clerk"),
            at: f.now)
        let reads = try f.store.pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT kind FROM events WHERE case_number = ? AND kind = 'case.read'",
                arguments: [number.description])
        }
        #expect(reads.count == 1)
    }

    /// DESIGN §3: removing a member rotates the group; the removed member opens nothing, the others still do.
    @Test func removedMemberCannotOpenRotatedGroup() throws {
        let f = try StoreFixture()
        let (number, _) = try f.store.register(Self.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        #expect(try f.store.read(number, purpose: "x", by: f.user("clerk2"), at: f.now).number == number)
        let before = try f.store.groupPublicKey("office")
        try f.store.removeMember("clerk2", from: "office", by: f.user("clerk"), at: f.now)
        #expect(try f.store.groupPublicKey("office") != before)
        let denied = #expect(throws: StoreError.self) {
            try f.store.read(number, purpose: "x", by: f.user("clerk2"), at: f.now)
        }
        #expect(denied?.code == .noKey)
        #expect(try f.store.read(number, purpose: "x", by: f.user("clerk"), at: f.now).number == number)
        #expect(try f.store.read(number, purpose: "x", by: f.user("reviewer"), at: f.now).number == number)
        // Letters registered after rotation use the new key and still open for the office.
        let (later, _) = try f.store.register(Self.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        #expect(try f.store.read(later, purpose: "x", by: f.user("reviewer"), at: f.now).number == later)
        // Only a holder can grant or remove.
        #expect(throws: StoreError.self) { try f.store.grant("office", to: "clerk2", by: f.user("auditor"), at: f.now) }
    }

    /// DESIGN §3, case keys, in bulk: a batch's case keys are wrapped under one envelope sealed to `office`; each wrapped
    /// key is bound to its case, group and envelope, and the numbers stay gapless around the batch.
    @Test func batchKeysAreWrappedUnderOneEnvelopeAndBoundToTheirCase() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let (first, _) = try f.store.register(Self.letter(at: f.now), by: clerk.actor, at: f.now)
        let batch = try f.store.registerBatch(
            [Self.letter(at: f.now), Self.letter(name: "另一人", at: f.now), Self.letter(at: f.now)], by: clerk.actor,
            at: f.now)
        let (after, _) = try f.store.register(Self.letter(at: f.now), by: clerk.actor, at: f.now)
        #expect(
            ([first] + batch + [after]).map(\.description) == [
                "2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005",
            ])
        #expect(try f.store.read(batch[1], purpose: "x", by: clerk, at: f.now).letter.sender.name?.value == "另一人")
        #expect(try f.store.read(batch[2], purpose: "x", by: f.user("reviewer"), at: f.now).number == batch[2])
        let envelopes = try f.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes") }
        #expect(envelopes == 1)
        // Not readable at the key level by a department or an auditor: they hold no office secret.
        #expect(throws: StoreError.self) {
            try f.store.pool.read { db in try Store.openCaseKey(db, batch[0], for: f.user("healthhead")) }
        }
        #expect(throws: StoreError.self) {
            try f.store.pool.read { db in try Store.openCaseKey(db, batch[0], for: f.user("auditor")) }
        }
        // The wrapped key of one case copied into another case's row does not open.
        try f.store.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE case_keys SET sealed_key = (SELECT sealed_key FROM case_keys WHERE case_number = ?)
                    WHERE case_number = ?
                    """, arguments: [batch[0].description, batch[1].description])
        }
        #expect(throws: (any Error).self) { try f.store.read(batch[1], purpose: "x", by: clerk, at: f.now) }
        #expect(try f.store.read(batch[0], purpose: "x", by: clerk, at: f.now).number == batch[0])
        // A flipped byte in the envelope opens nothing of the batch.
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE key_envelopes SET sealed_wrap_key = zeroblob(length(sealed_wrap_key))")
        }
        #expect(throws: (any Error).self) { try f.store.read(batch[0], purpose: "x", by: clerk, at: f.now) }
        #expect(try f.store.read(first, purpose: "x", by: clerk, at: f.now).number == first)
    }

    /// DESIGN §3: rotation turns a batch's wrapped keys into sealed boxes to the new key and drops the envelopes.
    @Test func rotationResealsBatchKeysAndDropsEnvelopes() throws {
        let f = try StoreFixture()
        let batch = try f.store.registerBatch(
            [Self.letter(at: f.now), Self.letter(at: f.now)], by: f.user("clerk").actor, at: f.now)
        try f.store.removeMember("clerk2", from: "office", by: f.user("clerk"), at: f.now)
        let envelopes = try f.store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM key_envelopes") }
        #expect(envelopes == 0)
        for number in batch {
            #expect(try f.store.read(number, purpose: "x", by: f.user("reviewer"), at: f.now).number == number)
            let denied = #expect(throws: StoreError.self) {
                try f.store.read(number, purpose: "x", by: f.user("clerk2"), at: f.now)
            }
            #expect(denied?.code == .noKey)
        }
    }

    @Test func repeatWriterLookupFindsTheSameWriterOnly() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let (a, _) = try f.store.register(
            Self.letter(contact: "139-1234-5678", at: f.now), by: clerk.actor, indexer: clerk, at: f.now)
        let (_, _) = try f.store.register(
            Self.letter(contact: "13800000000", at: f.now), by: clerk.actor, indexer: clerk, at: f.now)
        // Registered by intake without the office key: indexed later.
        let (c, _) = try f.store.register(
            Self.letter(contact: "+86 13912345678", at: f.now), by: clerk.actor, at: f.now)
        #expect(try f.store.repeatWriters("13912345678", kind: .phone, by: clerk) == [a])
        #expect(try f.store.indexPending(by: clerk) == 1)
        #expect(try f.store.repeatWriters("0086 139 1234 5678", kind: .phone, by: clerk) == [a, c])
        #expect(try f.store.repeatWriters("13700000000", kind: .phone, by: clerk).isEmpty)
        #expect(throws: StoreError.self) { try f.store.repeatWriters("13912345678", kind: .phone, by: f.user("head")) }
    }

    @Test func numbersAreGaplessPerYearAndMigrationsRunOnce() throws {
        let f = try StoreFixture()
        var numbers: [String] = []
        for _ in 0..<5 {
            numbers.append(
                try f.store.register(Self.letter(at: f.now), by: f.user("clerk").actor, at: f.now).0.description)
        }
        #expect(numbers == ["2026-000001", "2026-000002", "2026-000003", "2026-000004", "2026-000005"])
        let nextYear = f.at("2026-01-05")
        _ = nextYear
        let reopened = try Store(path: f.store.path, policies: StoreFixture.policies())
        #expect(
            try reopened.appliedMigrations() == Self.allMigrations)
        #expect(try reopened.list(by: f.user("auditor").actor).count == 5)
        #expect(throws: StoreError.self) { try reopened.list(by: f.user("admin").actor) }
    }

    @Test func unlockCountsFailuresLocksAndUpgradesCosts() throws {
        let f = try StoreFixture()
        let wrong = SecureBytes(copying: Array("nope".utf8))
        for _ in 0..<4 {
            let e = #expect(throws: StoreError.self) { try f.store.unlock("clerk", passphrase: wrong, at: f.now) }
            #expect(e?.code == .wrongPassphrase)
        }
        #expect(throws: StoreError.self) { try f.store.unlock("clerk", passphrase: wrong, at: f.now) }
        let locked = #expect(throws: StoreError.self) {
            try f.store.unlock("clerk", passphrase: StoreFixture.passphrase("clerk"), at: f.now)
        }
        #expect(locked?.code == .locked)
        let later = Timestamp(secondsSinceEpoch: f.now.secondsSinceEpoch + 16 * 60)
        let stronger = Argon2idParameters(opsLimit: 2, memoryBytes: 16384, salt: SecureRandom.bytes(16))
        _ = try f.store.unlock("clerk", passphrase: StoreFixture.passphrase("clerk"), at: later, upgradeTo: stronger)
        let kdf = try f.store.pool.read { db in try String.fetchOne(db, sql: "SELECT kdf FROM users WHERE id = 'clerk'")
        }
        #expect(kdf?.hasPrefix("argon2id$v=19$m=16,t=2") == true)
        try f.store.changePassphrase(
            "handler", from: StoreFixture.passphrase("handler"), to: SecureBytes(copying: Array("new".utf8)),
            kdf: StoreFixture.fastKDF, at: later)
        #expect(throws: StoreError.self) {
            try f.store.unlock("handler", passphrase: StoreFixture.passphrase("handler"), at: later)
        }
        _ = try f.store.unlock("handler", passphrase: SecureBytes(copying: Array("new".utf8)), at: later)
        // A forged role is caught by the root certificate.
        try f.store.pool.write { db in
            try db.execute(sql: "UPDATE users SET roles = 'clerk,reviewer' WHERE id = 'handler'")
        }
        let forged = #expect(throws: StoreError.self) {
            try f.store.unlock("handler", passphrase: SecureBytes(copying: Array("new".utf8)), at: later)
        }
        #expect(forged?.code == .corrupted)
    }

    @Test func restrictedLettersOpenOnlyForTheirReaders() throws {
        let f = try StoreFixture()
        let (number, _) = try f.store.register(
            Self.letter(at: f.now), restrictedReaders: ["reviewer"], by: f.user("clerk").actor, at: f.now)
        #expect(try f.store.read(number, purpose: "x", by: f.user("reviewer"), at: f.now).isRestricted)
        let e = #expect(throws: StoreError.self) {
            try f.store.read(number, purpose: "x", by: f.user("clerk"), at: f.now)
        }
        #expect(e?.code == .noKey)
    }
}

/// Attachments, restriction after registration, and schema evolution.
struct StoreEvolutionTests {
    /// Every migration this build ships, in order: a reopened store must have run them all.
    static let allMigrations = Schema.migrator.migrations

    @Test func attachmentsAreSealedBoundAndChecked() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let (a, _) = try f.store.register(StoreTests.letter(at: f.now), by: clerk.actor, at: f.now)
        let (b, _) = try f.store.register(StoreTests.letter(at: f.now), by: clerk.actor, at: f.now)
        let photo = Array("照片：歐陽明珠家門口".utf8) + [UInt8](repeating: 7, count: 5000)
        #expect(
            try f.store.attach(photo, fileName: "歐陽明珠.jpg", mediaType: "image/jpeg", to: a, by: clerk, at: f.now) == 0)
        let back = try f.store.attachment(0, of: a, purpose: "review", by: clerk, at: f.now)
        #expect(back.withUnsafeBytes { Array($0) } == photo)
        #expect(throws: StoreError.self) {
            try f.store.attachment(0, of: a, purpose: "x", by: f.user("healthhead"), at: f.now)
        }
        // Moved to another case: fails (key and associated data differ).
        _ = try f.store.attach([1, 2, 3], fileName: "x", mediaType: "text/plain", to: b, by: clerk, at: f.now)
        try f.store.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE attachment_chunks SET sealed = (SELECT sealed FROM attachment_chunks WHERE case_number = ?)
                    WHERE case_number = ?
                    """,
                arguments: [a.description, b.description])
        }
        #expect(throws: StoreError.self) { try f.store.attachment(0, of: b, purpose: "x", by: clerk, at: f.now) }
        // Its file key moved along too: still fails (the sealed key is bound to case and position).
        try f.store.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE case_attachments
                    SET sealed_file_key = (SELECT sealed_file_key FROM case_attachments WHERE case_number = ?)
                    WHERE case_number = ?
                    """,
                arguments: [a.description, b.description])
        }
        let moved = try #require(throws: StoreError.self) {
            try f.store.attachment(0, of: b, purpose: "x", by: clerk, at: f.now)
        }
        #expect(moved.message.contains("file key does not open"), "\(moved.message)")
        let raw = try Data(contentsOf: URL(fileURLWithPath: f.store.path + "-wal"))
        #expect(raw.range(of: Data("歐陽明珠".utf8)) == nil)
    }

    /// Attachments are stored as age payloads in 64 KiB chunks: reordered, cut off, flipped or extra chunks fail;
    /// attachments stored in v8 chunks under the case key, or whole before v8, still open.
    @Test func attachmentChunksCannotBeReorderedCutOrFlipped() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let (a, _) = try f.store.register(StoreTests.letter(at: f.now), by: clerk.actor, at: f.now)
        let big = (0..<(150 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try f.store.attach(big, fileName: "scan.pdf", mediaType: "application/pdf", to: a, by: clerk, at: f.now)
        let chunks = try f.store.pool.read { db in
            try Int.fetchOne(
                db, sql: "SELECT chunk_count FROM case_attachments WHERE case_number = ?", arguments: [a.description])
        }
        #expect(chunks == 3)
        #expect(
            try f.store.attachment(0, of: a, purpose: "x", by: clerk, at: f.now).withUnsafeBytes { Array($0) } == big)
        func tampered(_ sql: String) throws -> Bool {
            let snapshot = try f.store.pool.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM attachment_chunks ORDER BY chunk")
            }
            try f.store.pool.write { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: sql)
            }
            defer {
                try? f.store.pool.write { db in
                    try db.execute(sql: "DELETE FROM attachment_chunks")
                    for row in snapshot {
                        try db.execute(
                            sql:
                                "INSERT INTO attachment_chunks(case_number, position, chunk, sealed) VALUES (?, ?, ?, ?)",
                            arguments: [row["case_number"], row["position"], row["chunk"], row["sealed"]])
                    }
                    try db.execute(sql: "UPDATE case_attachments SET chunk_count = 3")
                }
            }
            let opened = Result { try f.store.attachment(0, of: a, purpose: "x", by: clerk, at: f.now) }
            guard case .failure(let error) = opened else { return false }
            return error is StoreError
        }
        // Swap chunks 0 and 1.
        #expect(
            try tampered(
                """
                UPDATE attachment_chunks SET chunk = 99 WHERE chunk = 0; UPDATE attachment_chunks SET chunk = 0 WHERE chunk = 1;
                UPDATE attachment_chunks SET chunk = 1 WHERE chunk = 99
                """))
        // Cut off the last chunk, and the count with it: the new last chunk was not sealed as last.
        #expect(
            try tampered(
                "DELETE FROM attachment_chunks WHERE chunk = 2; UPDATE case_attachments SET chunk_count = 2"))
        // Cut off without touching the count.
        #expect(try tampered("DELETE FROM attachment_chunks WHERE chunk = 2"))
        // A flipped byte.
        #expect(
            try tampered(
                "UPDATE attachment_chunks SET sealed = substr(sealed, 1, 30) || (CASE WHEN substr(sealed, 31, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(sealed, 32) WHERE chunk = 1"
            ))
        #expect(
            try f.store.attachment(0, of: a, purpose: "x", by: clerk, at: f.now).withUnsafeBytes { Array($0) } == big)
        // An attachment stored before v8 (one sealed blob, no chunk count) still opens.
        try f.store.pool.write { db in
            let (key, _) = try Store.openCaseKey(db, a, for: clerk)
            let whole = XChaCha20Poly1305.seal([9, 8, 7], using: key, authenticating: Store.attachmentAD(a, 1))
            try db.execute(
                sql: """
                    INSERT INTO case_attachments(case_number, position, byte_count, sealed_bytes, chunk_count)
                    VALUES (?, 1, 3, ?, NULL)
                    """, arguments: [a.description, Data(whole)])
            var document = try Store.openDocument(
                Array(
                    try Data.fetchOne(
                        db, sql: "SELECT sealed_document FROM cases WHERE number = ?", arguments: [a.description])
                        ?? Data()),
                number: a, key: key)
            document.letter.attachments.append(
                AttachmentInfo(
                    fileName: "old.txt", mediaType: "text/plain", byteCount: 3,
                    sha256: Hex.encode(SHA256.hash([UInt8]([9, 8, 7])))))
            try db.execute(
                sql: "UPDATE cases SET sealed_document = ? WHERE number = ?",
                arguments: [Data(try Store.sealDocument(document, key: key)), a.description])
        }
        #expect(
            try f.store.attachment(1, of: a, purpose: "x", by: clerk, at: f.now).withUnsafeBytes { Array($0) } == [
                9, 8, 7,
            ])
        try f.addLegacyAttachment(Array("v8 chunks".utf8), chunked: true, to: a)
        #expect(
            try f.store.attachment(2, of: a, purpose: "x", by: clerk, at: f.now).withUnsafeBytes { Array($0) }
                == Array("v8 chunks".utf8))
    }

    @Test func restrictingMovesTheKeyAwayFromTheOffice() throws {
        let f = try StoreFixture()
        let (number, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        #expect(throws: StoreError.self) {
            try f.store.restrict(number, readers: ["reviewer"], by: f.user("clerk"), at: f.now)  // clerks may not
        }
        try f.store.restrict(number, readers: ["reviewer"], by: f.user("reviewer"), at: f.now)
        #expect(try f.store.read(number, purpose: "x", by: f.user("reviewer"), at: f.now).isRestricted)
        let e = #expect(throws: StoreError.self) {
            try f.store.read(number, purpose: "x", by: f.user("clerk"), at: f.now)
        }
        #expect(e?.code == .noKey)
        #expect(try f.store.list(status: .registered, by: f.user("auditor").actor).first?.restricted == true)
    }

    /// A store made by migration v1 opens under v1 + v2 with its data intact; running migrations again is a no-op.
    @Test func aStoreFromMigrationNOpensUnderNPlusOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.db").path
        do {
            let pool = try DatabasePool(path: path)
            try Schema.migrator.migrate(pool, upTo: "v1")
            try pool.write { db in
                try db.execute(sql: "INSERT INTO counters(year, last) VALUES (2026, 41)")
                try db.execute(
                    sql:
                        "INSERT INTO events(case_number, kind, actor, at, details) VALUES (NULL, 'store.initialised', 'admin', 0, '{}')"
                )
                #expect(try !db.tableExists("case_attachments"))
            }
        }
        let store = try Store(path: path, policies: StoreFixture.policies())
        #expect(
            try store.appliedMigrations() == Self.allMigrations)
        #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT last FROM counters") } == 41)
        // v3 turned the event written under v1 into the first leaf.
        let events = try store.events()
        #expect(events.count == 1 && events[0].recordedLeaf.count == 32)
        let again = try Store(path: path, policies: StoreFixture.policies())
        #expect(
            try again.appliedMigrations() == Self.allMigrations)
    }
}
