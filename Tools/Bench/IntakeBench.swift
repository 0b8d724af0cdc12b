import Foundation
import SealboxArchive
import SealboxServer
import SealboxStore
import Synchronization

/// `Tools/bench intake`: the intake endpoint under a bounded loopback load — a fixed number of submissions from
/// a few concurrent clients — next to the same server's `GET /health` rate (HTTP alone) in the same run.
func benchIntake(requests: Int = 2000, clients: Int = 4) throws {
    let bench = try BenchStore("intake")
    var configuration = IntakeServerConfiguration()
    configuration.port = 0
    configuration.requestsPerMinute = Int.max / 2
    let port = Mutex<Int?>(nil)
    let store = bench.store
    let server = Task {
        try await IntakeServer.run(store: store, configuration: configuration) { bound in port.withLock { $0 = bound } }
    }
    defer { server.cancel() }
    var bound: Int?
    for _ in 0..<300 where bound == nil {
        usleep(10_000)
        bound = port.withLock { $0 }
    }
    guard let bound else { fatalError("bench intake: the server did not start") }
    let body = Array(
        #"{"name":"王芳","phone":"13912345678","subject":"路燈","content":"\#(String(repeating: "市民來信內容。", count: 40))"}"#
            .utf8)
    func load(_ method: String, _ path: String, _ payload: [UInt8]) throws -> (Double, [Double], Int) {
        let latencies = Mutex<[Double]>([])
        let failures = Mutex(0)
        let seconds = try time {
            _ = try Parallel.map(clients) { _ in
                for _ in 0..<(requests / clients) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let r = try LoopbackClient.request(
                        port: bound, method: method, path: path, headers: ["Content-Type": "application/json"],
                        body: payload)
                    let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
                    latencies.withLock { $0.append(ms) }
                    if r.status >= 300 { failures.withLock { $0 += 1 } }
                }
                return 0
            }
        }
        return (seconds, latencies.withLock { $0.sorted() }, failures.withLock { $0 })
    }
    let (healthSeconds, healthLatency, _) = try load("GET", "/health", [])
    let (seconds, latency, failures) = try load("POST", "/letters", body)
    guard failures == 0 else { fatalError("bench intake: \(failures) submissions failed") }
    func p99(_ sorted: [Double]) -> Double { sorted[min(sorted.count - 1, sorted.count * 99 / 100)] }
    let done = Double(requests / clients * clients)
    Summary.record("intake", "POST /letters", done / seconds, "req/s", baseline: done / healthSeconds)
    Summary.record("intake", "POST /letters p99", p99(latency), "ms")
    print("intake: \(Int(done)) submissions of ~1 KB from \(clients) loopback clients, one connection each")
    print(
        String(
            format:
                "POST /letters   %8.0f req/s   p99 %6.1f ms   baseline GET /health %8.0f req/s (p99 %5.1f ms)   ratio %.2f",
            done / seconds, p99(latency), done / healthSeconds, p99(healthLatency), healthSeconds / seconds))
}
