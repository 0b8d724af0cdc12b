import Foundation
import SealboxCore
import Testing

@testable import SealboxStore

/// Several processes registering on one store file (M2.2.3: unique, gapless numbers).
struct ConcurrencyTests {
    @Test func fourProcessesRegisterTwoThousandGaplessNumbers() throws {
        let worker = StoreFixture.root.appendingPathComponent(".build/debug/sealbox-bench").path
        guard FileManager.default.isExecutableFile(atPath: worker) else {
            print("concurrency: \(worker) is not built; skipped (Tools/test builds it first)")
            return
        }
        let f = try StoreFixture()
        let policies = StoreFixture.root.appendingPathComponent("Policies").path
        var processes: [(Process, URL, URL)] = []
        for i in 0..<4 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: worker)
            process.arguments = ["register-worker", f.store.path, policies, "500"]
            let out = f.folder.appendingPathComponent("out-\(i)")
            let err = f.folder.appendingPathComponent("err-\(i)")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            processes.append((process, out, err))
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
}
