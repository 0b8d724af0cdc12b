import Foundation
import GRDB
import SealboxArchive
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxStore

/// Exporting closed cases into signed, chained packages (M6.1), and verifying them as an auditor would.
struct ArchiveExportTests {
    @Test func closedCasesBecomeAVerifiedChainThatStandardToolsOpen() throws {
        let f = try StoreFixture()
        var numbers: [CaseNumber] = []
        for i in 0..<3 {
            let (n, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
            try f.runToClosure(n, feedback: "調查\(i)", reply: "答覆\(i)")
            numbers.append(n)
        }
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
        if let tar = BagToolSupport.tool("tar"), let age = BagToolSupport.tool("age") {
            #expect(try BagToolSupport.run(tar, ["-xf", paths[0]], in: out).0 == 0)
            let identity = try f.store.pool.read { db in
                try Store.openGroupSecret(db, "archive", for: f.user("archivist"))
            }
            let keyFile = out.appendingPathComponent("archive-identity.txt").path
            try FileStreams.writeSecretFile(keyFile, AgeIdentity(identity.box).identityFile())
            let letter = out.appendingPathComponent("\(numbers[0])/data/letter.json.age").path
            let (status, text) = try BagToolSupport.run(age, ["-d", "-i", keyFile, letter], in: out)
            #expect(status == 0 && text.contains("歐陽明珠"), "age: \(status)")
        }
        // Tampering with the chain: a missing middle package, a package given twice.
        let gap = try ArchiveChain.verify([paths[0], paths[2]], trusting: signer)
        #expect(gap[1].problems.contains { $0.contains("missing before this one") })
        let twice = try ArchiveChain.verify([paths[0], paths[1], paths[1]], trusting: signer)
        #expect(twice.contains { $0.problems.contains { $0.contains("appears twice") } })
    }
}

/// Running the standard tools from the store tests.
enum BagToolSupport {
    static func tool(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func run(_ tool: String, _ args: [String], in dir: URL) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.currentDirectoryURL = dir
        let log = dir.appendingPathComponent("tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}
