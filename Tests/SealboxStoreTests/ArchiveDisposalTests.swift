import Foundation
import GRDB
import SealboxArchive
import SealboxCore
import SealboxCrypto
import SealboxTestSupport
import Testing

@testable import SealboxStore

/// Disposing of packages whose retention has ended (M6.1.1 "archived under the archival rules"): a signed record
/// stands in the chain for each, and anything else is refused or named.
struct ArchiveDisposalTests {
    /// Three closed cases exported into `archive/`: the store, the package paths, the trusted key, and two moments:
    /// one before the default class's 30 years end, one after.
    static func exported() throws -> (
        f: StoreFixture, paths: [String], key: Minisign.PublicKey, early: Timestamp, later: Timestamp
    ) {
        let f = try StoreFixture()
        _ = try ArchiveExportTests.closedCases(3, in: f)
        let out = f.folder.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let packages = try f.store.exportArchive(to: out.path, by: f.user("archivist"), at: f.now)
        let year: Int64 = 365 * 86_400
        return (
            f, packages.map { out.appendingPathComponent($0.fileName).path }, try f.store.archiveKeys().signer,
            Timestamp(secondsSinceEpoch: f.now.secondsSinceEpoch + 29 * year),
            Timestamp(secondsSinceEpoch: f.now.secondsSinceEpoch + 32 * year)
        )
    }

    /// The archive's minisign key, as the store signs with it: for records a test forges with the right key.
    static func archiveSigner(_ f: StoreFixture) throws -> Minisign.SecretKey {
        try f.store.pool.read { db in
            let secret = try Store.openGroupSecret(db, "archive", for: f.user("archivist"))
            let key = try SigningSecretKey(seed: try #require(secret.seal))
            return Minisign.SecretKey(key: key, keyID: try Store.minisignKeyID(key.publicKey))
        }
    }

    static func recordPath(_ package: String) -> String {
        DisposalRecord.fileName(forPackage: package)
    }

    @Test func aPackagePastItsRetentionGivesWayToASignedRecordAndTheChainStillVerifies() throws {
        let (f, paths, key, early, later) = try Self.exported()
        let archivist = f.user("archivist")
        // Only an archivist; a reference, not free text; never before the retention ends.
        #expect(throws: StoreError.self) {
            try f.store.disposeArchivePackage(at: paths[1], authorization: "DA-1", by: f.user("clerk"), at: later)
        }
        for bad in ["", "歐陽明珠", "DA\n1", " DA-1", String(repeating: "x", count: 121)] {
            #expect(throws: StoreError.self) {
                try f.store.disposeArchivePackage(at: paths[1], authorization: bad, by: archivist, at: later)
            }
        }
        let closedYear = f.store.policies.localDate(f.now).year
        do {
            try f.store.disposeArchivePackage(at: paths[1], authorization: "DA-1", by: archivist, at: early)
            Issue.record("a package was disposed of before its retention ended")
        } catch let error as StoreError {
            #expect(error.code == .refused && error.message.contains("must be kept until \(closedYear + 30)-12-31"))
        }
        #expect(FileStreams.exists(paths[1]))
        // Two copies, for later: one under its own name in another folder, one renamed.
        let name = (paths[1] as NSString).lastPathComponent
        let (backup, renamed) = (
            f.folder.appendingPathComponent("backup").path,
            f.folder.appendingPathComponent("other").path + "/renamed.tar"
        )
        try FileStreams.makeDirectory(backup)
        try FileStreams.makeDirectory((renamed as NSString).deletingLastPathComponent)
        try FileManager.default.copyItem(atPath: paths[1], toPath: backup + "/" + name)
        try FileManager.default.copyItem(atPath: paths[1], toPath: renamed)

        func traces(_ number: String) throws -> [Int] {
            try f.store.pool.read { db in
                try ["case_keys", "blind_index"].map {
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM \($0) WHERE case_number = ?", arguments: [number]) ?? -1
                }
                    + [
                        try Int.fetchOne(
                            db, sql: "SELECT length(sealed_document) FROM cases WHERE number = ?", arguments: [number])
                            ?? -1
                    ]
            }
        }
        let number = try #require(try f.store.archiveStatus().last).caseNumber
        let before = try traces(
            try f.store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT case_number FROM archive_packages WHERE sequence = 2") ?? ""
            })
        let record = try f.store.disposeArchivePackage(
            at: paths[1], authorization: "DA-2058/004", by: archivist, at: later)
        #expect(record.sequence == 2 && record.keepUntil == "\(closedYear + 30)-12-31" && record.retentionYears == 30)
        #expect(record.disposed == "\(f.store.policies.localDate(later))" && record.disposedBy == "archivist")
        let recordFile = Self.recordPath(paths[1])
        #expect(!FileStreams.exists(paths[1]))
        #expect(FileStreams.exists(recordFile) && FileStreams.exists(recordFile + ".minisig"))
        // The record is clear and holds no personal data.
        let text = try FileStreams.readSmallFile(recordFile)
        for canary in StoreTests.canaries { #expect(!String(decoding: text, as: UTF8.self).contains(canary)) }

        // The store's own copy is shredded: its keys, search tags and sealed document are gone, nobody opens it and
        // the refusal says why; the other cases are untouched, and the log still verifies.
        let after = try traces(record.caseNumber)
        #expect(before[0] > 0 && before[2] > 0 && after == [0, 0, 0], "\(before) → \(after)")
        let untouched = try traces(number.description)
        #expect(untouched[0] > 0 && untouched[2] > 0)
        for user in ["clerk", "archivist"] {
            do {
                _ = try f.store.read(
                    try CaseNumber(parsing: record.caseNumber), purpose: "check", by: f.user(user), at: later)
                Issue.record("\(user) read a disposed case")
            } catch let error as StoreError {
                #expect(error.code == .notFound && error.message.contains("was disposed of on"), "\(error.message)")
            }
        }
        _ = try f.store.read(number, purpose: "check", by: f.user("clerk"), at: later)
        let audit = try f.store.audit(trust: try f.store.trustFile())
        #expect(audit.problems.isEmpty, "\(audit.problems)")

        // The chain verifies with the record in the package's place, and not without it.
        let chain = [paths[0], recordFile, paths[2]]
        let reports = try ArchiveChain.verify(chain, trusting: key)
        let problems = reports.flatMap { $0.bag.problems + $0.problems }
        #expect(problems.isEmpty, "\(problems)")
        #expect(reports.map(\.isDisposal) == [false, true, false] && reports[1].sequence == 2)
        let gap = try ArchiveChain.verify([paths[0], paths[2]], trusting: key)
        #expect(gap[1].problems.contains { $0.contains("missing before this one") })

        // Once only (a copy elsewhere is the leftover of a recorded disposal: reconciling its folder removes it), and
        // only the package this store recorded; the disposal is logged and counted.
        #expect(throws: StoreError.self) {
            try f.store.disposeArchivePackage(at: backup + "/" + name, authorization: "DA-2", by: archivist, at: later)
        }
        #expect(!FileStreams.exists(backup + "/" + name))
        do {
            try f.store.disposeArchivePackage(at: renamed, authorization: "DA-2", by: archivist, at: later)
            Issue.record("a package under another name was disposed of")
        } catch let error as StoreError {
            #expect(error.code == .refused && error.message.contains("is not the package this store recorded"))
        }
        let kinds = try f.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT kind FROM events WHERE kind = 'archive.disposed'")
        }
        #expect(kinds.count == 1)
        #expect(try f.store.archiveStatus().disposed == 1)
        let folder = (paths[0] as NSString).deletingLastPathComponent
        #expect(try f.store.reconcileArchive(folder: folder) == Store.ArchiveReconciliation())

        // A package left behind by a disposal that stopped after recording it is removed by reconcile.
        try FileManager.default.copyItem(atPath: renamed, toPath: paths[1])
        #expect(try f.store.reconcileArchive(folder: folder).removed == [(paths[1] as NSString).lastPathComponent])
        #expect(!FileStreams.exists(paths[1]))

        // The chain goes on: a later export links to the disposed package's tag manifest through the record.
        _ = try ArchiveExportTests.closedCases(1, in: f)
        let next = try f.store.exportArchive(to: folder, by: archivist, at: later)
        let all = chain + next.map { "\(folder)/\($0.fileName)" }
        #expect(try ArchiveChain.verify(all, trusting: key).allSatisfy(\.isValid))

        // minisign itself checks the record's signature with the archive's public key.
        if let minisign = ExternalTools.find("minisign") {
            let pub = f.folder.appendingPathComponent("archive.pub").path
            try FileStreams.writeFile(pub, Array(key.fileText.utf8))
            let result = try ExternalTools.run(minisign, ["-V", "-p", pub, "-m", recordFile])
            #expect(result.status == 0, "minisign: \(result.output)")
        }
    }

    @Test func editedForgedOrMisplacedRecordsAreNamed() throws {
        let (f, paths, key, _, later) = try Self.exported()
        let record = try f.store.disposeArchivePackage(
            at: paths[1], authorization: "DA-7", by: f.user("archivist"), at: later)
        let recordFile = Self.recordPath(paths[1])
        let original = try FileStreams.readSmallFile(recordFile)
        let signer = try Self.archiveSigner(f)
        func problems(_ bytes: [UInt8], signature: [UInt8]? = nil) throws -> [String] {
            try FileStreams.writeFile(recordFile, bytes)
            if let signature { try FileStreams.writeFile(recordFile + ".minisig", signature) }
            let reports = try ArchiveChain.verify([paths[0], recordFile, paths[2]], trusting: key)
            return reports.flatMap { $0.bag.problems + $0.problems }
        }
        func signed(_ change: (inout DisposalRecord) -> Void) throws -> [String] {
            var forged = record
            change(&forged)
            let (bytes, signature) = try forged.signed(with: signer)
            return try problems(bytes, signature: signature)
        }
        let genuineSignature = try FileStreams.readSmallFile(recordFile + ".minisig")
        // Edited after signing.
        let edited = Array(
            String(decoding: original, as: UTF8.self).replacingOccurrences(of: "DA-7", with: "DA-8").utf8)
        #expect(try problems(edited).contains { $0.contains("not signed by the trusted archive key") })
        // Signed by another key.
        let stranger = Minisign.SecretKey(key: SigningSecretKey.generate(), keyID: [1, 2, 3, 4, 5, 6, 7, 8])
        let strangerSignature = try Minisign.sign(original, with: stranger, trustedComment: record.trustedComment)
        #expect(
            try problems(original, signature: Array(strangerSignature.fileText.utf8)).contains {
                $0.contains("not signed by the trusted archive key")
            })
        // Signed with the archive key, but saying the retention had not ended, or was permanent, or miscounted.
        #expect(
            try signed { $0.disposed = "\($0.closed.prefix(4))-06-30" }.contains {
                $0.contains("before its retention ended")
            })
        #expect(try signed { $0.retentionYears = 0 }.contains { $0.contains("kept permanently") })
        #expect(try signed { $0.retentionYears = 10 }.contains { $0.contains("Keep-Until is not") })
        // Standing for another package: the next package's link does not match.
        #expect(
            try signed { $0.tagManifestDigest = String(repeating: "ab", count: 64) }.contains {
                $0.contains("does not match package 2")
            })
        // Linking to something else than the package before it.
        #expect(
            try signed { $0.previousPackage = String(repeating: "cd", count: 64) }.contains {
                $0.contains("does not match package 1")
            })
        // Not a record, or unsigned.
        #expect(try problems(Array("hello\n".utf8)).contains { $0.contains("not a Sealbox disposal record") })
        #expect(try problems(original, signature: genuineSignature).isEmpty)
        FileStreams.remove(recordFile + ".minisig")
        #expect(try problems(original).contains { $0.contains(".minisig") })
        // The catalog lists the record as disposed, from its clear text.
        try FileStreams.writeFile(recordFile + ".minisig", genuineSignature)
        let entry = try ArchiveCatalog.entry(ofDisposal: recordFile)
        #expect(entry.disposed == record.disposed && entry.sequence == 2 && entry.metadata["outcome"] == "disposed")
        #expect(throws: ArchiveError.self) { try ArchiveCatalog.entry(ofDisposal: paths[0]) }

        // A record the store never recorded (a disposal stopped before recording it) and a partial one: reconcile
        // removes them and keeps the package, which still counts; the recorded disposal stays.
        var unrecorded = record
        (unrecorded.sequence, unrecorded.packageFile) = (3, (paths[2] as NSString).lastPathComponent)
        let (bytes, signature) = try unrecorded.signed(with: signer)
        let stray = Self.recordPath(paths[2])
        let folder = (paths[0] as NSString).deletingLastPathComponent
        let partial = "\(folder)/.\((stray as NSString).lastPathComponent).partial"
        for (path, content) in [(stray, bytes), (stray + ".minisig", signature), (partial, bytes)] {
            try FileStreams.writeFile(path, content)
        }
        let reconciled = try f.store.reconcileArchive(folder: folder)
        #expect(
            Set(reconciled.removed)
                == Set([stray, stray + ".minisig", partial].map { ($0 as NSString).lastPathComponent }))
        #expect(reconciled.missing.isEmpty && FileStreams.exists(paths[2]) && FileStreams.exists(recordFile))
        #expect(try ArchiveChain.verify([paths[0], recordFile, paths[2]], trusting: key).allSatisfy(\.isValid))
    }

    @Test func theFirstPackageGivesWayToARecordThatLinksToNone() throws {
        let (f, paths, key, _, later) = try Self.exported()
        let record = try f.store.disposeArchivePackage(
            at: paths[0], authorization: "DA-1", by: f.user("archivist"), at: later)
        #expect(record.sequence == 1 && record.previousPackage == "none")
        let chain = [Self.recordPath(paths[0]), paths[1], paths[2]]
        let problems = try ArchiveChain.verify(chain, trusting: key).flatMap { $0.bag.problems + $0.problems }
        #expect(problems.isEmpty, "\(problems)")
        // Signed with the archive key but linking the first package to something: named.
        let signer = try Self.archiveSigner(f)
        var forged = record
        forged.previousPackage = String(repeating: "ef", count: 64)
        let (bytes, signature) = try forged.signed(with: signer)
        try FileStreams.writeFile(chain[0], bytes)
        try FileStreams.writeFile(chain[0] + ".minisig", signature)
        let reports = try ArchiveChain.verify(chain, trusting: key)
        #expect(reports[0].problems.contains { $0.contains("package 1 must not link to a previous package") })
    }

    @Test func aTamperedOrForeignPackageIsNotDisposedOf() throws {
        let (f, paths, _, _, later) = try Self.exported()
        let archivist = f.user("archivist")
        // A flipped byte: the package does not verify, and a disposal would hide it.
        try ArchiveTamperTests.rewrite(paths[0]) { name, bytes in
            name.hasSuffix("data/metadata.json") ? ArchiveTamperTests.replacing(bytes, "\"", "'") : bytes
        }
        do {
            try f.store.disposeArchivePackage(at: paths[0], authorization: "DA-9", by: archivist, at: later)
            Issue.record("a tampered package was disposed of")
        } catch let error as StoreError {
            #expect(error.code == .corrupted && error.message.contains("does not verify"))
        }
        #expect(FileStreams.exists(paths[0]) && !FileStreams.exists(Self.recordPath(paths[0])))
        // Another store's package does not verify against this store's archive key.
        let other = try Self.exported()
        #expect(throws: StoreError.self) {
            try other.f.store.disposeArchivePackage(
                at: paths[2], authorization: "DA-9", by: other.f.user("archivist"), at: later)
        }
        // A package that is not there.
        #expect(throws: StoreError.self) {
            try f.store.disposeArchivePackage(at: paths[2] + ".gone", authorization: "DA-9", by: archivist, at: later)
        }
        // A record that cannot be put in place (a folder in its way): nothing of the disposal stays, the package and
        // the case are untouched.
        let blocked = Self.recordPath(paths[1])
        try FileStreams.makeDirectory(blocked)
        #expect(throws: StoreError.self) {
            try f.store.disposeArchivePackage(at: paths[1], authorization: "DA-9", by: archivist, at: later)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: (paths[1] as NSString).deletingLastPathComponent)
        #expect(!left.contains { $0.hasSuffix(".minisig") || $0.hasSuffix(".partial") }, "\(left)")
        #expect(FileStreams.exists(paths[1]))
        #expect(try f.store.archiveStatus().disposed == 0)
        let number = try #require(try f.store.archiveStatus().last).caseNumber
        _ = try f.store.read(number, purpose: "check", by: f.user("clerk"), at: later)
    }
}
