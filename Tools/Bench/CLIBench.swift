import Foundation
import SealboxCore
import SealboxCrypto
import SealboxStore

/// `Tools/bench cli`: median latency of `case show` and `track` for an unlocked session (what `sealbox shell` holds)
/// on a store of 100,000 cases, next to the latency of one bare SQLite read of a case row in the same run.
func benchCLI(cases count: Int = 100_000) throws {
    let bench = try BenchStore("cli")
    let store = bench.store
    let now = bench.now
    try store.createDepartment("transport", members: [], sealHolders: [], by: bench.admin, at: now)
    let clerk = try bench.user("clerk", [.clerk])
    try store.grant("office", to: "clerk", usingRecovery: bench.recovery, at: now)
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
    Summary.record("cli", "case show (median)", show, "ms", baseline: list, target: "< 50 ms", met: show < 50)
    Summary.record("cli", "track (median)", track, "ms", baseline: list, target: "< 50 ms", met: track < 50)
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
