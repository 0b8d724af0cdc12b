import Foundation
import GRDB
import SealboxArchive
import SealboxCore
import SealboxCrypto
import SealboxTestSupport
import Testing

@testable import SealboxStore

/// Exporting closed cases into signed, chained packages (M6.1), and verifying them as an auditor would.
struct ArchiveExportTests {
    /// Registers `count` letters and takes each through to closure, with its own feedback and reply.
    static func closedCases(_ count: Int, in f: StoreFixture) throws -> [CaseNumber] {
        try (0..<count).map { i in
            let (n, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
            try f.runToClosure(n, feedback: "調查\(i)", reply: "答覆\(i)")
            return n
        }
    }

    @Test func closedCasesBecomeAVerifiedChainThatStandardToolsOpen() throws {
        let f = try StoreFixture()
        let numbers = try Self.closedCases(3, in: f)
        let (open, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        let out = f.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        // Only an archivist holding the archive key exports.
        #expect(throws: StoreError.self) { try f.store.exportArchive(to: out.path, by: f.user("clerk"), at: f.now) }
        var steps: [Int] = []
        let packages = try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now) { done, _ in
            steps.append(done)
        }
        #expect(packages.map(\.sequence) == [1, 2, 3] && steps == [1, 2, 3])
        #expect(packages.map(\.caseNumber) == numbers)
        #expect(try f.store.list(status: .archived, by: f.user("auditor").actor).count == 3)
        #expect(try f.store.list(status: .registered, by: f.user("auditor").actor).map(\.number) == [open])
        #expect(try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now).isEmpty)

        let (_, signer) = try f.store.archiveKeys()
        let paths = packages.map { out.appendingPathComponent($0.fileName).path }
        let reports = try ArchiveChain.verify(paths, trusting: signer)
        let problems = reports.flatMap { $0.bag.problems + $0.problems }
        #expect(problems.isEmpty, "\(problems)")
        // No personal data in clear in any package.
        for path in paths {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for canary in StoreTests.canaries { #expect(bytes.range(of: Data(canary.utf8)) == nil, "\(canary)") }
        }
        // The standard tools: tar unpacks, age opens the letter with the archive key.
        if let tar = ExternalTools.find("tar"), let age = ExternalTools.find("age") {
            #expect(try ExternalTools.run(tar, ["-xf", paths[0]], in: out).status == 0)
            let identity = try f.store.pool.read { db in
                try Store.openGroupSecret(db, "archive", for: f.user("archivist"))
            }
            let keyFile = out.appendingPathComponent("archive-identity.txt").path
            try FileStreams.writeSecretFile(keyFile, AgeIdentity(identity.box).identityFile())
            let letter = out.appendingPathComponent("\(numbers[0])/data/letter.json.age").path
            let opened = try ExternalTools.run(age, ["-d", "-i", keyFile, letter], in: out)
            #expect(opened.status == 0 && opened.output.contains("歐陽明珠"), "age: \(opened.status)")
        }
        // Tampering with the chain: a missing middle package, a package given twice.
        let gap = try ArchiveChain.verify([paths[0], paths[2]], trusting: signer)
        #expect(gap[1].problems.contains { $0.contains("missing before this one") })
        let twice = try ArchiveChain.verify([paths[0], paths[1], paths[1]], trusting: signer)
        #expect(twice.contains { $0.problems.contains { $0.contains("appears twice") } })
    }
}

/// The archive tamper matrix: each change to a package is named by the verifier.
struct ArchiveTamperTests {
    /// Rewrites the package at `path`, passing every entry through `change`.
    static func rewrite(_ path: String, _ change: (String, [UInt8]) -> [UInt8]) throws {
        var entries: [(String, [UInt8])] = []
        try TarReader.forEachEntry(ofFile: path) { name, _, read in
            var bytes: [UInt8] = []
            try read { bytes.append(contentsOf: $0) }
            entries.append((name, change(name, bytes)))
        }
        let tar = try TarWriter(path: path, modificationTime: 0)
        for (name, bytes) in entries { try tar.add(name, bytes: bytes) }
        try tar.close()
    }

    static func replacing(_ bytes: [UInt8], _ old: String, _ new: String) -> [UInt8] {
        Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: old, with: new).utf8)
    }

    @Test func eachTamperIsNamed() throws {
        let f = try StoreFixture()
        for i in 0..<3 {
            let (n, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
            if i == 0 {
                try f.store.attach(
                    Array(repeating: 0x42, count: 300_000), fileName: "照片.jpg", mediaType: "image/jpeg",
                    to: n, by: f.user("clerk"), at: f.now)
            }
            try f.runToClosure(n, feedback: "調查", reply: "答覆")
        }
        let out = f.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let packages = try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now)
        let (_, key) = try f.store.archiveKeys()
        let paths = packages.map { out.appendingPathComponent($0.fileName).path }
        func copy(_ i: Int) throws -> String {
            let path = f.folder.appendingPathComponent("copy-\(UUID().uuidString).tar").path
            try FileManager.default.copyItem(atPath: paths[i], toPath: path)
            return path
        }
        func problems(_ list: [String]) throws -> [String] {
            try ArchiveChain.verify(list, trusting: key).flatMap { $0.bag.problems + $0.problems }
        }
        // The attachment travelled, sealed, and opens with the archive identity.
        let identity = try f.store.archiveIdentity(by: f.user("archivist"), at: f.now)
        let opened = try PackageOpener.open(
            paths[0], identities: [identity], into: f.folder.appendingPathComponent("open").path)
        #expect(opened.contains("\(packages[0].caseNumber)/attachments/0"))
        #expect(opened.contains("\(packages[0].caseNumber)/letter.json"))
        // Manifest edited.
        let manifest = try copy(1)
        try Self.rewrite(manifest) { name, bytes in
            name.hasSuffix("/manifest-sha512.txt") ? [bytes[0] == 0x61 ? 0x62 : 0x61] + bytes.dropFirst() : bytes
        }
        #expect(
            try problems([paths[0], manifest, paths[2]]).contains {
                $0.contains("manifest-sha512.txt: SHA-512 does not match the tag manifest")
            })
        // bag-info edited.
        let info = try copy(1)
        try Self.rewrite(info) { name, bytes in
            name.hasSuffix("/bag-info.txt") ? Self.replacing(bytes, "Sealbox)", "Sealbox!)") : bytes
        }
        #expect(
            try problems([paths[0], info, paths[2]]).contains {
                $0.contains("bag-info.txt: SHA-512 does not match the tag manifest")
            })
        // Signature replaced by another key's.
        let other = Minisign.SecretKey(key: .generate(), keyID: key.keyID)
        let resigned = try copy(1)
        try Self.rewrite(resigned) { name, bytes in
            guard name.hasSuffix(".minisig") else { return bytes }
            return bytes  // replaced below, once the tag manifest is known
        }
        var tagManifest: [UInt8] = []
        try TarReader.forEachEntry(ofFile: resigned) { name, _, read in
            if name.hasSuffix("/tagmanifest-sha512.txt") { try read { tagManifest.append(contentsOf: $0) } }
        }
        let forged = try Minisign.sign(tagManifest, with: other, trustedComment: "Sealbox-Sequence: 2")
        try Self.rewrite(resigned) { name, bytes in name.hasSuffix(".minisig") ? Array(forged.fileText.utf8) : bytes }
        #expect(
            try problems([paths[0], resigned, paths[2]]).contains {
                $0.contains("not signed by the trusted archive key")
            })
        // A package removed from the middle; the same package twice; a package from another archive.
        #expect(try problems([paths[0], paths[2]]).contains { $0.contains("missing before this one") })
        #expect(try problems([paths[0], paths[1], paths[1], paths[2]]).contains { $0.contains("appears twice") })
        let g = try StoreFixture()
        let (n, _) = try g.store.register(StoreTests.letter(at: g.now), by: g.user("clerk").actor, at: g.now)
        try g.runToClosure(n, feedback: "調查", reply: "答覆")
        let foreignOut = g.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: foreignOut, withIntermediateDirectories: true)
        let foreign = try g.store.exportArchive(to: foreignOut.path, by: g.user("archivist"), at: g.now)
        let foreignPath = foreignOut.appendingPathComponent(foreign[0].fileName).path
        let mixed = try problems([paths[0], foreignPath, paths[2]])
        #expect(mixed.contains { $0.contains("not signed by the trusted archive key") })
        #expect(mixed.contains { $0.contains("appears twice") || $0.contains("does not match package") })
        // The untouched chain still verifies.
        #expect(try problems(paths).isEmpty)
        // With the pinned root key and origin, each log proof's checkpoint signature is checked too: another
        // store's root, another log's origin, or an altered signer certificate is named.
        let trust = try Store.parseTrust(f.store.trustFile())
        let pinned = LogTrust(origin: trust.origin, root: trust.root)
        #expect(try ArchiveChain.verify(paths, trusting: key, log: pinned).allSatisfy(\.isValid))
        let foreignTrust = try Store.parseTrust(g.store.trustFile())
        let wrongRoot = try ArchiveChain.verify(
            paths, trusting: key, log: LogTrust(origin: trust.origin, root: foreignTrust.root))
        #expect(wrongRoot.allSatisfy { $0.problems.contains { $0.contains("not signed by the trusted root key") } })
        let wrongOrigin = try ArchiveChain.verify(
            paths, trusting: key, log: LogTrust(origin: foreignTrust.origin, root: trust.root))
        #expect(wrongOrigin.allSatisfy { $0.problems.contains { $0.contains("from another log") } })
        let certificate = try copy(1)
        try Self.rewrite(certificate) { name, bytes in
            name.hasSuffix("/data/log-signer.cert") ? Self.replacing(bytes, "archivist", "administrator") : bytes
        }
        let altered = try ArchiveChain.verify([paths[0], certificate, paths[2]], trusting: key, log: pinned)
        #expect(altered[1].problems.contains { $0.contains("not signed by the trusted root key") })
        #expect(altered[0].isValid && altered[2].isValid)
    }

    /// Attachments travel into the package in every form the store has kept them.
    ///
    /// As an age payload (v12, given a new header, not encrypted again), in v8 chunks and as a v2 blob (decrypted and
    /// encrypted anew); each opens with the archive identity to the bytes attached, with `age` too. A size in clear
    /// that is not the recorded one, or a stored chunk that does not authenticate, stops the export: no package, and
    /// the case stays closed.
    @Test func attachmentsTravelInEveryStoredFormAndATamperedOneStopsTheExport() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let (n, _) = try f.store.register(StoreTests.letter(at: f.now), by: clerk.actor, at: f.now)
        let current = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let (chunked, blob) = (Array("v8 附件".utf8), Array("v2 附件".utf8))
        try f.store.attach(current, fileName: "掃描.pdf", mediaType: "application/pdf", to: n, by: clerk, at: f.now)
        try f.addLegacyAttachment(chunked, chunked: true, to: n)
        try f.addLegacyAttachment(blob, chunked: false, to: n)
        try f.runToClosure(n, feedback: "調查", reply: "答覆")
        let out = f.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let packages = try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now)
        let path = out.appendingPathComponent(packages[0].fileName).path
        let (_, signer) = try f.store.archiveKeys()
        #expect(try ArchiveChain.verify([path], trusting: signer).allSatisfy(\.isValid))
        let identity = try f.store.archiveIdentity(by: f.user("archivist"), at: f.now)
        let opened = f.folder.appendingPathComponent("open")
        _ = try PackageOpener.open(path, identities: [identity], into: opened.path)
        for (position, bytes) in [current, chunked, blob].enumerated() {
            let file = opened.appendingPathComponent("\(n)/attachments/\(position)").path
            #expect(try FileStreams.readSmallFile(file) == bytes, "attachment \(position)")
        }
        if let tar = ExternalTools.find("tar"), let age = ExternalTools.find("age") {
            #expect(try ExternalTools.run(tar, ["-xf", path], in: out).status == 0)
            let keyFile = out.appendingPathComponent("archive-identity.txt").path
            try FileStreams.writeSecretFile(keyFile, identity.identityFile())
            let stored = out.appendingPathComponent("\(n)/data/attachments/0.age").path
            let decrypted = out.appendingPathComponent("attachment-0").path
            #expect(try ExternalTools.run(age, ["-d", "-i", keyFile, "-o", decrypted, stored], in: out).status == 0)
            #expect(try FileStreams.readSmallFile(decrypted) == current)
        }
        // A flipped byte in a stored chunk of the next case: the export refuses it and leaves nothing behind.
        let (m, _) = try f.store.register(StoreTests.letter(at: f.now), by: clerk.actor, at: f.now)
        try f.store.attach(current, fileName: "掃描.pdf", mediaType: "application/pdf", to: m, by: clerk, at: f.now)
        try f.runToClosure(m, feedback: "調查", reply: "答覆")
        func resize(by delta: Int) throws {
            try f.store.pool.write { db in
                try db.execute(
                    sql: "UPDATE case_attachments SET byte_count = byte_count + ? WHERE case_number = ?",
                    arguments: [delta, m.description])
            }
        }
        // Its size in clear edited: refused before a byte is written.
        try resize(by: 1)
        let resized = try #require(throws: StoreError.self) {
            try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now)
        }
        #expect(resized.message.contains("not the size its case records"), "\(resized.message)")
        try resize(by: -1)
        try f.store.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE attachment_chunks SET sealed = substr(sealed, 1, 99) || (CASE WHEN substr(sealed, 100, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(sealed, 101)
                    WHERE case_number = ? AND chunk = 1
                    """, arguments: [m.description])
        }
        let error = try #require(throws: StoreError.self) {
            try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now)
        }
        #expect(error.message.contains("chunk 1 does not authenticate"), "\(error.message)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.contains(".tar") }
        #expect(files == [packages[0].fileName])
        #expect(try f.store.list(status: .closed, by: f.user("auditor").actor).map(\.number) == [m])
    }

    /// An export reads a batch's documents, keys and histories in a few statements: the same rows, in the order
    /// asked, as reading case by case; an open case or one not sealed to the archive stops the batch.
    @Test func aBatchReadsWhatCaseByCaseReadsAndRefusesWhatItMayNot() throws {
        let f = try StoreFixture()
        let numbers = try ArchiveExportTests.closedCases(3, in: f)
        let (open, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.store.pool.write { db in
            // Asked out of order and 1,500 times over: statements of a thousand at most, answers in the order asked.
            let asked = Array(repeating: [numbers[2], numbers[0], numbers[1]], count: 500).flatMap { $0 }
            let rows = try Store.exportRows(db, asked)
            #expect(rows.count == asked.count)
            for (n, row) in zip(asked, rows).prefix(3) {
                let sealed = try Data.fetchOne(
                    db, sql: "SELECT sealed_document FROM cases WHERE number = ?", arguments: [n.description])
                #expect(sealed.map { Array($0) } == row.sealed)
                let key = try Row.fetchOne(
                    db, sql: "SELECT sealed_key FROM case_keys WHERE case_number = ? AND group_id = 'archive'",
                    arguments: [n.description])
                #expect((key?["sealed_key"] as Data?).map { Array($0) } == row.key.sealed && row.key.group == "archive")
            }
            let histories = try Store.events(db, cases: asked)
            #expect(histories.count == 3)
            for n in numbers {
                let one = try Store.events(db, case: n)
                #expect(!one.isEmpty && histories[n.description] == one, "\(n)")
            }
            let refused = #expect(throws: StoreError.self) { try Store.exportRows(db, [numbers[0], open]) }
            #expect(refused?.code == .notPermitted)
            let unknown = #expect(throws: StoreError.self) {
                try Store.exportRows(db, [try CaseNumber(parsing: "2026-999999")])
            }
            #expect(unknown?.code == .notPermitted)
            try db.execute(
                sql: "DELETE FROM case_keys WHERE case_number = ? AND group_id = 'archive'",
                arguments: [numbers[1].description])
            let keyless = #expect(throws: StoreError.self) { try Store.exportRows(db, [numbers[0], numbers[1]]) }
            #expect(keyless?.code == .noKey && keyless?.message.contains(numbers[1].description) == true)
        }
    }

    /// A case is archived only if its stored document is byte for byte the one exported: any length, any byte.
    @Test func aRecordComparesTheStoredDocumentByteForByte() {
        let document = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(Store.sameBytes(Data(document), document) && Store.sameBytes(Data(), []))
        #expect(!Store.sameBytes(Data(document.dropLast()), document) && !Store.sameBytes(Data(), [0]))
        for at in [0, 4_999, 9_999] {
            var changed = document
            changed[at] ^= 0x01
            #expect(!Store.sameBytes(Data(changed), document), "byte \(at)")
        }
    }

    /// The export's batches cover every case once, in order, none over the size: a small first one and a small
    /// last one (nothing else runs while they are opened and recorded), and the rest as even as can be.
    @Test func batchesCoverEveryCaseOnceAndStartAndEndSmall() {
        for (count, size) in [(0, 64), (1, 64), (7, 2), (8, 64), (200, 64), (201, 64), (1000, 1), (12, 4), (5, 1000)] {
            let plan = Store.batchPlan(count: count, size: size)
            #expect(plan.flatMap { Array($0) } == Array(0..<count), "\(count) in \(size)")
            #expect(plan.allSatisfy { !$0.isEmpty && $0.count <= max(size, 1) })
            if plan.count > 3 {
                let middle = plan.dropFirst().dropLast().map(\.count)
                #expect((middle.max() ?? 0) - (middle.min() ?? 0) <= 1, "\(middle)")
                #expect(plan.last?.count == max(1, size / 8), "\(count) in \(size)")
            }
        }
        #expect(Store.batchPlan(count: 200, size: 64).map(\.count) == [8, 62, 61, 61, 8])
        #expect(Store.batchPlan(count: 72, size: 64).map(\.count) == [8, 64])
        #expect(Store.batchPlan(count: 200, size: 0).count == 200)
    }

    /// Records are queued without waiting for the one before: once one fails, every later one is refused and its
    /// partial files removed, so nothing is recorded after a gap in the chain.
    @Test func aFailedRecordRefusesEveryLaterOne() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-chain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let partials = (0..<3).map { folder.appendingPathComponent(".\($0).tar.partial").path }
        for path in partials { try FileStreams.writeFile(path, [1]) }
        let chain = RecordChain()
        #expect(try chain.record([partials[0]]) { 1 } == 1)
        #expect(throws: StoreError.self) {
            try chain.record([partials[1]]) { () -> Int in throw StoreError(.busy, "changed during the export") }
        }
        var ran = false
        let refused = try #require(throws: StoreError.self) {
            try chain.record([partials[2]]) { () -> Int in
                ran = true
                return 3
            }
        }
        #expect(!ran && refused.message.contains("earlier batch"))
        #expect(FileStreams.exists(partials[0]) && !FileStreams.exists(partials[2]))
    }

    /// Batches pipelined (one written while the next is opened and the previous recorded) still make one chain in
    /// case order, every case archived once, progress counted one by one; a later export continues the chain.
    @Test func pipelinedBatchesMakeOneChain() throws {
        let f = try StoreFixture()
        let numbers = try ArchiveExportTests.closedCases(7, in: f)
        let out = f.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var steps: [Int] = []
        let first = try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now, batchSize: 2) {
            done, total in
            #expect(total == 7)
            steps.append(done)
        }
        #expect(first.map(\.sequence) == Array(1...7) && steps == Array(1...7))
        #expect(first.map(\.caseNumber) == numbers)
        let (n, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.runToClosure(n, feedback: "調查", reply: "答覆")
        let second = try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now, batchSize: 3)
        #expect(second.map(\.sequence) == [8] && second.first?.caseNumber == n)
        #expect(try f.store.list(status: .archived, by: f.user("auditor").actor).count == 8)
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!files.contains { $0.hasSuffix(".partial") })
        let (_, signer) = try f.store.archiveKeys()
        let reports = try ArchiveChain.verify(
            (first + second).map { out.appendingPathComponent($0.fileName).path }, trusting: signer)
        let problems = reports.flatMap { $0.bag.problems + $0.problems }
        #expect(problems.isEmpty, "\(problems)")
    }

    /// The writers open each case's key and document (not the database queue): a key stored under an envelope opens
    /// there too, and a document that does not authenticate stops the export with no partial file left and no case
    /// marked archived (M6.1.3).
    @Test func theWritersOpenEnvelopedKeysAndRefuseATamperedDocument() throws {
        let f = try StoreFixture()
        let numbers = try ArchiveExportTests.closedCases(3, in: f)
        let archivist = f.user("archivist")
        try f.store.pool.write { db in
            // The first case's archive key moved under an envelope, as bulk registration stores office keys.
            let secret = try Store.openGroupSecret(db, "archive", for: archivist)
            let stored = try #require(
                try Row.fetchOne(
                    db, sql: "SELECT * FROM case_keys WHERE case_number = ? AND group_id = 'archive'",
                    arguments: [numbers[0].description]))
            let key = try Store.unsealCaseKey(db, numbers[0], Store.StoredCaseKey(row: stored), with: secret.box)
            try db.execute(
                sql: "DELETE FROM case_keys WHERE case_number = ? AND group_id = 'archive'",
                arguments: [numbers[0].description])
            let (envelope, wrap) = try Store.newEnvelope(db, to: "archive")
            try Store.wrapCaseKey(db, numbers[0], key, envelope: envelope, wrap: wrap, group: "archive")
            // The third case's sealed document with one byte flipped.
            try db.execute(
                sql: """
                    UPDATE cases SET sealed_document = substr(sealed_document, 1, 59) || (CASE WHEN substr(sealed_document, 60, 1) = x'00' THEN x'01' ELSE x'00' END) || substr(sealed_document, 61)
                    WHERE number = ?
                    """, arguments: [numbers[2].description])
        }
        let out = f.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        #expect(throws: (any Error).self) { try f.store.exportArchive(to: out.path, by: archivist, at: f.now) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
        #expect(try f.store.list(status: .closed, by: f.user("auditor").actor).map(\.number) == numbers)
        // Without the tampered case, the enveloped one exports, verifies and opens.
        try f.store.pool.write { db in
            try db.execute(
                sql: "UPDATE cases SET status = 'replied' WHERE number = ?", arguments: [numbers[2].description])
        }
        let packages = try f.store.exportArchive(to: out.path, by: archivist, at: f.now)
        #expect(packages.map(\.caseNumber) == Array(numbers[0..<2]))
        let paths = packages.map { out.appendingPathComponent($0.fileName).path }
        let (_, signer) = try f.store.archiveKeys()
        #expect(try ArchiveChain.verify(paths, trusting: signer).allSatisfy(\.isValid))
        let identity = try f.store.archiveIdentity(by: archivist, at: f.now)
        let opened = f.folder.appendingPathComponent("open")
        _ = try PackageOpener.open(paths[0], identities: [identity], into: opened.path)
        #expect(FileStreams.exists(opened.appendingPathComponent("\(numbers[0])/letter.json").path))
    }
}
