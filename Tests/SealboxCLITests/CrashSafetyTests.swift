import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import SealboxStore
import Testing

/// Nothing acknowledged is lost: `sealbox` killed with SIGKILL at random points during bulk registration, archive
/// export and archive disposal (`SEALBOX_CRASH_TRIALS` trials each; 10 in `Tools/test`, 100 by the documented
/// command).
struct CrashSafetyTests {
    typealias W = WorkflowCLITests

    static var trials: Int { ProcessInfo.processInfo.environment["SEALBOX_CRASH_TRIALS"].flatMap(Int.init) ?? 10 }

    /// Kill times: the first trial runs to the end and is timed; later ones are killed at a random point of the
    /// last complete run's duration (so kills land mid-run, not before the work starts or after it ends).
    final class KillClock {
        var duration: Double?
        func delay() -> Double { duration.map { Double.random(in: ($0 * 0.15)...($0 * 0.95)) } ?? 600 }
    }

    /// Starts `sealbox` with the test environment, kills it with SIGKILL after `delay` seconds (unless it ended),
    /// and returns what it printed before.
    static func runAndKill(_ args: [String], dir: URL, clock: KillClock, environment: [String: String] = [:]) throws
        -> (killed: Bool, stdout: String)
    {
        let delay = clock.delay()
        let started = Date()
        var killed = false
        // A run that completed resets the clock to its duration (later runs may do less: duplicates).
        defer { if !killed { clock.duration = Date().timeIntervalSince(started) } }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = args
        process.environment = W.environment(dir).merging(environment) { _, new in new }
        let out = dir.appendingPathComponent("out-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let end = Date().addingTimeInterval(delay)
        while process.isRunning && Date() < end { usleep(2_000) }
        killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (killed, try String(contentsOf: out, encoding: .utf8))
    }

    static func auditPasses(_ dir: URL) throws -> Bool {
        let trust = dir.appendingPathComponent("trust")
        if !FileManager.default.fileExists(atPath: trust.path) {
            try Data(try W.run(["audit", "trust", "export"], dir: dir).stdout.utf8).write(to: trust)
        }
        let audit = try W.run(["audit", "verify", "--trust", trust.path], dir: dir)
        return audit.status == 0
    }

    @Test func killedBulkRegistrationLosesNothingItPrinted() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let batch = (0..<20).map { i in
            #"{"id":"crash-\#(i)","submission":{"name":"測試\#(i)","phone":"1390000\#(String(format: "%04d", i))","subject":"s","content":"c"}}"#
        }
        var printed: [String] = []
        var killedCount = 0
        let clock = KillClock()
        for trial in 0..<Self.trials {
            // Each trial submits the same 20 letters (idempotent ids) plus 150 new ones, and is killed at a random
            // point within what a full run takes.
            let fresh = (0..<150).map { i in
                #"{"name":"新\#(trial)-\#(i)","email":"t\#(trial)x\#(i)@example.cn","subject":"s","content":"c"}"#
            }
            let file = dir.appendingPathComponent("batch-\(trial).jsonl")
            try Data((batch + fresh).joined(separator: "\n").utf8).write(to: file)
            let (killed, out) = try Self.runAndKill(["intake", "json", file.path], dir: dir, clock: clock)
            if killed { killedCount += 1 }
            printed += out.split(separator: "\n").filter { $0.hasPrefix("registered\t") }.map {
                String($0.split(separator: "\t")[1])
            }
        }
        // The store opens, its log verifies, numbers are gapless, and every printed number is there and opens.
        #expect(try Self.auditPasses(dir))
        let store = try Store(
            path: dir.appendingPathComponent("s.db").path, policies: PolicyFiles.load(folder: PolicyCLITests.policies))
        let clerk = try store.unlock(
            "clerk", passphrase: SecureBytes(copying: Array("pw".utf8)), at: Timestamp(secondsSinceEpoch: 1_772_413_200)
        )
        let all = try store.list(by: clerk.actor).map(\.number)
        #expect(all.map(\.serial) == Array(1...all.count), "gapless")
        let present = Set(all.map(\.description))
        for number in printed {
            #expect(present.contains(number), "\(number) was printed but is not in the store")
            #expect(
                try store.read(
                    CaseNumber(parsing: number), purpose: "crash check", by: clerk,
                    at: Timestamp(secondsSinceEpoch: 1_772_413_200)
                ).number.description == number)
        }
        #expect(Set(printed).count == printed.count, "no number printed twice")
        #expect(killedCount >= Self.trials / 2, "most trials must be killed mid-run to prove anything")
        print(
            "crash safety, registration: \(Self.trials) trials, \(killedCount) killed mid-run, \(printed.count) printed numbers all present, \(all.count) letters"
        )
    }

    @Test func killedArchiveExportLeavesNoPackageWithoutItsRecord() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rig = try ArchiveRig(dir)
        let (path, store, clerk) = (rig.path, rig.store, rig.users[0])
        func closedCases(_ count: Int) throws { _ = try rig.closedCases(count, attachment: 70_000) }
        let out = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var killedCount = 0
        let clock = KillClock()
        for _ in 0..<Self.trials {
            try closedCases(12)
            let (killed, _) = try Self.runAndKill(
                // Batches of at most 4 (one case first, then fours): four or more per run, so a kill also lands
                // while one batch is written, the next opened and the previous synced and recorded (the pipeline).
                ["archive", "export", "--out", out.path, "--as", "archivist", "--batch-size", "4"], dir: dir,
                clock: clock)
            if killed { killedCount += 1 }
            // After the crash: reconcile (what the next export does first), then the invariants.
            let reconcile = try W.run(["archive", "reconcile", "--out", out.path], dir: dir)
            #expect(reconcile.status == 0, "\(reconcile.stdout)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
            #expect(!files.contains { $0.hasSuffix(".partial") }, "partial files left: \(files)")
            let records = try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: "SELECT file_name, case_number FROM archive_packages")
                    .map { ($0["file_name"] as String, $0["case_number"] as String) }
            }
            let archived = try store.list(status: .archived, by: clerk.actor).map(\.number.description)
            #expect(Set(records.map(\.0)) == Set(files.filter { $0.hasSuffix(".tar") }), "packages on disk = records")
            #expect(Set(records.map(\.1)) == Set(archived), "records = cases marked archived")
        }
        // The whole folder verifies as one chain, and the log too.
        let finish = try W.run(["archive", "export", "--out", out.path, "--as", "archivist"], dir: dir)
        #expect(finish.status == 0)
        let pub = dir.appendingPathComponent("archive.pub").path
        #expect(try W.run(["archive", "key", "--minisign-out", pub], dir: dir).status == 0)
        let tars = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".tar") }
            .sorted()
        let verify = try W.run(
            ["archive", "verify", "--key", pub] + tars.map { out.appendingPathComponent($0).path }, dir: dir)
        #expect(verify.status == 0, "\(verify.stdout.suffix(500))")
        #expect(tars.count == Self.trials * 12)
        #expect(try Self.auditPasses(dir))
        #expect(killedCount >= Self.trials / 2, "most trials must be killed mid-run to prove anything")
        print(
            "crash safety, export: \(Self.trials) trials, \(killedCount) killed mid-run, \(tars.count) packages verify as one chain"
        )
    }

    @Test func killedDisposalLeavesEachPackageOrItsRecordNeverBothNorNeither() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rig = try ArchiveRig(dir)
        let (path, store, users, now) = (rig.path, rig.store, rig.users, rig.now)
        let perTrial = 8
        _ = try rig.closedCases(Self.trials * perTrial)
        let out = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let packages = try store.exportArchive(to: out.path, by: users[4], at: now).map(\.fileName)
        let pub = dir.appendingPathComponent("archive.pub").path
        #expect(try W.run(["archive", "key", "--minisign-out", pub], dir: dir).status == 0)
        // Thirty-two years on: past the default class's thirty.
        let later = ["SEALBOX_NOW": "\(now.secondsSinceEpoch + 32 * 366 * 86_400)"]
        var (killedCount, cleanedUp) = (0, 0)
        let clock = KillClock()
        for trial in 0..<Self.trials {
            let batch = packages[(trial * perTrial)..<((trial + 1) * perTrial)].map {
                out.appendingPathComponent($0).path
            }
            let (killed, _) = try Self.runAndKill(
                ["archive", "dispose", "--authorization", "DA-\(trial)", "--as", "archivist"] + batch, dir: dir,
                clock: clock, environment: later)
            if killed { killedCount += 1 }
            // After the crash: reconcile, then each package is there or its recorded, signed record is — one of them.
            let reconcile = try W.run(["archive", "reconcile", "--out", out.path], dir: dir)
            #expect(reconcile.status == 0, "\(reconcile.stdout)")
            if reconcile.stdout.contains("removed\t") { cleanedUp += 1 }
            let files = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
            #expect(!files.contains { $0.hasPrefix(".") }, "partial files left: \(files)")
            let disposed = Set(
                try DatabaseQueue(path: path).read { db in
                    try String.fetchAll(db, sql: "SELECT file_name FROM archive_packages WHERE disposed_at IS NOT NULL")
                })
            for name in packages {
                let record = String(name.dropLast(4)) + ".disposal"
                let hasRecord = files.contains(record) && files.contains(record + ".minisig")
                #expect(files.contains(name) != hasRecord, "\(name): the package or its record, one of them")
                #expect(disposed.contains(name) == hasRecord, "\(name): a record on disk is a recorded disposal")
            }
            let verify = try W.run(["archive", "verify", "--key", pub, out.path], dir: dir)
            #expect(verify.status == 0, "\(verify.stdout.suffix(500))")
        }
        // Run to the end: every package of the trials disposed of, the chain and the log verify.
        let rest = packages.filter { FileManager.default.fileExists(atPath: out.appendingPathComponent($0).path) }
        let disposedByTrials = packages.count - rest.count
        if !rest.isEmpty {
            let finish = try W.run(
                ["archive", "dispose", "--authorization", "DA-END", "--as", "archivist"]
                    + rest.map { out.appendingPathComponent($0).path }, dir: dir, environment: later)
            #expect(finish.status == 0, "\(finish.stderr)")
        }
        #expect(try store.archiveStatus().disposed == packages.count)
        #expect(try W.run(["archive", "verify", "--key", pub, out.path], dir: dir).status == 0)
        #expect(try Self.auditPasses(dir))
        #expect(killedCount >= Self.trials / 2, "most trials must be killed mid-run to prove anything")
        print(
            "crash safety, disposal: \(Self.trials) trials, \(killedCount) killed mid-run, \(cleanedUp) left a file "
                + "for reconcile to remove, \(disposedByTrials) of \(packages.count) packages disposed of by the trials"
        )
    }
}

/// A store set up through the binary with an archivist holding the archive key, its users unlocked in process, and
/// cases taken to closure directly (the crash tests kill the binary, not the set-up).
struct ArchiveRig {
    let path: String
    let store: Store
    /// clerk, head, handler, reviewer, archivist.
    let users: [UnlockedUser]
    let now = Timestamp(secondsSinceEpoch: 1_772_413_200)

    init(_ dir: URL) throws {
        try SidePathCLITests.setUp(dir)
        let recovery = dir.appendingPathComponent("recovery.key").path
        let run = { (args: [String]) in try WorkflowCLITests.run(args, dir: dir).status }
        #expect(try run(["user", "add", "archivist", "--role", "archivist", "--as", "admin"]) == 0)
        #expect(try run(["group", "grant", "archive", "--to", "archivist", "--seal", "--recovery", recovery]) == 0)
        path = dir.appendingPathComponent("s.db").path
        store = try Store(path: path, policies: PolicyFiles.load(folder: PolicyCLITests.policies))
        let (store, now) = (store, now)
        let pw = SecureBytes(copying: Array("pw".utf8))
        users = try ["clerk", "head", "handler", "reviewer", "archivist"].map {
            try store.unlock(UserID($0), passphrase: pw, at: now)
        }
    }

    /// Registers `count` letters (each with an attachment of `attachment` random bytes, if given) and closes them.
    func closedCases(_ count: Int, attachment: Int? = nil) throws -> [CaseNumber] {
        let (clerk, head, handler, reviewer) = (users[0], users[1], users[2], users[3])
        return try (0..<count).map { i in
            let letter = Letter(
                channel: .website, receivedAt: now,
                sender: Sender(name: Personal("歸檔\(i)"), contact: Personal("13900001234")), subject: "s", content: "c")
            let (n, _) = try store.register(letter, by: clerk.actor, at: now)
            if let attachment {
                try store.attach(
                    SecureRandom.bytes(attachment), fileName: "a.bin", mediaType: "image/png", to: n, by: clerk, at: now
                )
            }
            try store.apply(
                .assign(.init(lead: "transport", matter: "m", requirements: "r")), to: n, by: clerk, at: now)
            try store.apply(.signFor(handler: "handler"), to: n, by: head, at: now)
            try store.apply(.startHandling, to: n, by: handler, at: now)
            try store.apply(
                .draftFeedback(investigation: "i", opinion: "o", result: "r", senderSatisfaction: .satisfied), to: n,
                by: handler, at: now)
            _ = try store.sealFeedback(n, by: head, at: now)
            try store.apply(.review(approve: true, reasons: nil), to: n, by: reviewer, at: now)
            try store.apply(.reply(text: "答覆", method: .phone), to: n, by: clerk, at: now)
            try store.apply(.close, to: n, by: clerk, at: now)
            return n
        }
    }
}
