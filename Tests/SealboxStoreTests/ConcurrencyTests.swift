import Foundation
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxStore

/// Several processes registering on one store file (M2.2.3: unique, gapless numbers).
struct ConcurrencyTests {
    /// Starts a worker with its output and errors in files under `folder`.
    static func spawn(
        _ worker: String, _ arguments: [String], in folder: URL, name: String, environment: [String: String] = [:]
    ) throws -> (Process, URL, URL) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: worker)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = folder.appendingPathComponent("\(name).out")
        let err = folder.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, out, err)
    }

    @Test func fourProcessesRegisterTwoThousandGaplessNumbers() throws {
        let worker = StoreFixture.root.appendingPathComponent(".build/debug/sealbox-bench").path
        guard FileManager.default.isExecutableFile(atPath: worker) else {
            print("concurrency: \(worker) is not built; skipped (Tools/test builds it first)")
            return
        }
        let f = try StoreFixture()
        let policies = StoreFixture.root.appendingPathComponent("Policies").path
        let processes = try (0..<4).map { i in
            try Self.spawn(worker, ["register-worker", f.store.path, policies, "500"], in: f.folder, name: "reg-\(i)")
        }
        var numbers: [String] = []
        for (process, out, err) in processes {
            process.waitUntilExit()
            let errors = try String(contentsOf: err, encoding: .utf8)
            #expect(process.terminationStatus == 0, "worker failed: \(errors)")
            #expect(errors.isEmpty, "\(errors)")
            numbers += try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let year = f.store.policies.localDate(Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))).year
        let expected = (1...2000).map { (try? CaseNumber(year: year, serial: $0))?.description ?? "" }
        #expect(numbers.count == 2000)
        #expect(Set(numbers).count == 2000)
        #expect(numbers.sorted() == expected)
        print("concurrency: 4 processes × 500 registrations: \(Set(numbers).count) unique, gapless numbers")
    }

    static var mixedCount: Int {
        ProcessInfo.processInfo.environment["SEALBOX_CONCURRENCY_OPS"].flatMap(Int.init) ?? 25
    }

    /// Eight processes registering, assigning and reading at once (each as its own clerk): unique gapless numbers,
    /// no "database is locked" reaching anyone, every event in the log, and the log verifies.
    @Test func eightProcessesRegisterAssignAndReadAtOnce() throws {
        let worker = StoreFixture.root.appendingPathComponent(".build/debug/sealbox-bench").path
        guard FileManager.default.isExecutableFile(atPath: worker) else {
            print("concurrency: \(worker) is not built; skipped (Tools/test builds it first)")
            return
        }
        let f = try StoreFixture()
        let admin = f.user("admin")
        for i in 0..<8 {
            try f.store.addUser(
                UserID("mixed\(i)"), roles: [.clerk], department: nil,
                passphrase: SecureBytes(copying: Array("pw".utf8)),
                kdf: StoreFixture.fastKDF, by: admin, at: f.now)
            try f.store.grant("office", to: UserID("mixed\(i)"), usingRecovery: f.recovery, at: f.now)
        }
        let eventsBefore = try f.store.events().count
        let policies = StoreFixture.root.appendingPathComponent("Policies").path
        let count = Self.mixedCount
        let processes = try (0..<8).map { i in
            try Self.spawn(
                worker, ["mixed-worker", f.store.path, policies, "mixed\(i)", "\(count)"], in: f.folder,
                name: "mixed-\(i)", environment: ["SEALBOX_PASSPHRASE": "pw"])
        }
        var numbers: [String] = []
        for (process, out, err) in processes {
            process.waitUntilExit()
            let errors = try String(contentsOf: err, encoding: .utf8)
            #expect(process.terminationStatus == 0 && errors.isEmpty, "worker failed: \(errors)")
            #expect(!errors.contains("locked"))
            numbers += try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        let total = 8 * count
        #expect(numbers.count == total && Set(numbers).count == total)
        #expect(numbers.compactMap { try? CaseNumber(parsing: $0).serial }.sorted() == Array(1...total))
        // Every operation left its event: registered, assigned (with its slip) and read, per case.
        let events = try f.store.events()
        for kind in ["case.registered", "case.assigned", "case.read"] {
            #expect(events.filter { $0.kind == kind }.count == total, "\(kind)")
        }
        #expect(events.count > eventsBefore + 3 * total - 1)
        let report = try f.store.audit(trust: try f.store.trustFile())
        #expect(report.isIntact, "\(report.problems)")
        print(
            "concurrency: 8 processes × \(count) register+assign+read: \(total) unique gapless numbers, \(events.count - eventsBefore) events, log verifies"
        )
    }
}
