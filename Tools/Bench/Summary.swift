import Foundation
import Synchronization

/// Every figure the benchmarks print, collected for `bench-summary.json` (compare across commits).
enum Summary {
    struct Figure {
        var suite: String
        var name: String
        var value: Double
        var unit: String
        var baseline: Double?
        var target: String?
        var met: Bool?
    }

    static let figures = Mutex<[Figure]>([])

    /// Records one figure; `baseline` is the in-run baseline in the same unit, when there is one.
    static func record(
        _ suite: String, _ name: String, _ value: Double, _ unit: String, baseline: Double? = nil,
        target: String? = nil,
        met: Bool? = nil
    ) {
        figures.withLock {
            $0.append(
                Figure(suite: suite, name: name, value: value, unit: unit, baseline: baseline, target: target, met: met)
            )
        }
    }

    /// Writes the JSON summary: the commit, the machine, and every figure with its baseline, ratio and target.
    static func write(to path: String) throws {
        let commit = (try? String(contentsOfFile: ".git/HEAD", encoding: .utf8)).map { head -> String in
            let ref = head.trimmingCharacters(in: .whitespacesAndNewlines)
            guard ref.hasPrefix("ref: ") else { return ref }
            return (try? String(contentsOfFile: ".git/" + ref.dropFirst(5), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ref
        }
        let list: [[String: Any]] = figures.withLock { all in
            all.map { f in
                var entry: [String: Any] = ["suite": f.suite, "name": f.name, "value": f.value, "unit": f.unit]
                if let b = f.baseline {
                    entry["baseline"] = b
                    entry["ratio"] = b == 0 ? 0 : f.value / b
                }
                if let t = f.target { entry["target"] = t }
                if let m = f.met { entry["met"] = m }
                return entry
            }
        }
        let object: [String: Any] = [
            "commit": commit ?? "unknown", "date": ISO8601DateFormatter().string(from: Date()),
            "cores": ProcessInfo.processInfo.activeProcessorCount, "figures": list,
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
        print("summary: \(list.count) figures → \(path)")
    }
}
