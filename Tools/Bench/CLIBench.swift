import Foundation
import SealboxCore
import SealboxCrypto
import SealboxStore

/// `Tools/bench cli`: median latency of `case show` and `track` for an unlocked session (what `sealbox shell` holds)
/// on a store of 100,000 cases, next to the latency of one bare SQLite read of a case row in the same run.
func benchCLI(cases count: Int = 100_000) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-bench-cli-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try Store(
        path: folder.appendingPathComponent("sealbox.db").path, policies: PolicyFiles.load(folder: "Policies"))
    let now = Timestamp(secondsSinceEpoch: 1_772_413_200)
    let pass = SecureBytes(copying: Array("bench".utf8))
    let kdf = Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: SecureRandom.bytes(16))
    let setup = try store.initialise(admin: "admin", passphrase: pass, kdf: kdf, at: now)
    let admin = try store.unlock("admin", passphrase: pass, at: now)
    try store.addUser("clerk", roles: [.clerk], department: nil, passphrase: pass, kdf: kdf, by: admin, at: now)
    try store.createDepartment("transport", members: [], sealHolders: [], by: admin, at: now)
    try store.grant("office", to: "clerk", usingRecovery: setup.recovery, at: now)
    let clerk = try store.unlock("clerk", passphrase: pass, at: now)
    var numbers: [CaseNumber] = []
    for start in stride(from: 0, to: count, by: 1000) {
        numbers += try store.registerBatch(
            (start..<min(start + 1000, count)).map { sampleLetter($0, at: now) }, by: clerk.actor, at: now)
    }
    // A working office: 200 cases assigned and open, the rest registered.
    for number in numbers.prefix(200) {
        try store.apply(
            .assign(.init(lead: "transport", matter: "事項", requirements: "要求")), to: number, by: clerk, at: now)
    }
    func median(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<runs { samples.append(try time(body)) }
        return samples.sorted()[runs / 2] * 1000
    }
    let show = try median(51) {
        _ = try store.read(numbers[Int.random(in: 0..<count)], purpose: "bench", by: clerk, at: now)
    }
    let track = try median(11) { _ = try store.track(on: try CivilDate(parsing: "2026-03-20"), by: clerk, at: now) }
    let list = try median(11) { _ = try store.list(by: clerk.actor) }
    print("cli: \(count) cases, 200 open; an unlocked session (no Argon2id per command)")
    print(
        String(
            format: "case show (median)            %8.1f ms   (target < 50 ms: %@)", show, show < 50 ? "met" : "NOT MET"
        ))
    print(
        String(
            format: "track (median)                %8.1f ms   (target < 50 ms: %@)", track,
            track < 50 ? "met" : "NOT MET"))
    print(String(format: "baseline: list all metadata   %8.1f ms", list))
}
