// Sealbox benchmarks: each figure is printed next to a baseline measured in the same process, as a ratio.
// Run with `Tools/bench [crypto] [store]` (release build). Never used as a timed assertion in tests.
import Foundation
import SealboxCrypto

/// Seconds taken by `body`.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Seconds of processor time (user and system, every thread of this process) `body` took, with its wall time:
/// the work a unit costs, next to how long it took: it shows whether a slower run did more work or only waited.
func timeAndProcessorTime(_ body: () throws -> Void) rethrows -> (wall: Double, processor: Double) {
    func processor() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
    let before = processor()
    let wall = try time(body)
    return (wall, processor() - before)
}

/// MB/s for `bytes` processed in `seconds`.
func rate(_ bytes: Int, _ seconds: Double) -> Double { Double(bytes) / 1e6 / seconds }

func line(_ name: String, _ value: Double, baseline: Double, target: Double? = nil, suite: String = "crypto") {
    let ratio = value / baseline
    Summary.record(
        suite, name, value, "MB/s", baseline: baseline, target: target.map { "ratio ≥ \($0)" },
        met: target.map { ratio >= $0 })
    var text = String(
        format: "%-34@ %9.1f MB/s   baseline %9.1f MB/s   ratio %.2f",
        name.padding(toLength: 34, withPad: " ", startingAt: 0) as NSString, value, baseline, ratio)
    if let target { text += ratio >= target ? "   (target ≥ \(target): met)" : "   (target ≥ \(target): NOT MET)" }
    print(text)
}

func benchCrypto() throws {
    let total = 256 << 20
    let block = [UInt8](repeating: 0x5a, count: 64 << 10)
    let key = SymmetricKey.generate()
    let ad = [UInt8]()
    // Baseline: raw XChaCha20-Poly1305 over 64 KiB messages.
    var sink = 0
    let raw = time {
        for _ in 0..<(total / block.count) {
            sink &+= XChaCha20Poly1305.seal(block, using: key, authenticating: ad).count
        }
    }
    let identity = AgeIdentity.generate()
    // Timed: encryption into a counting sink (like the baseline, no copy of the output).
    var encryptedCount = 0
    let enc = try time {
        let encryptor = try AgeEncryptor(recipients: [identity.recipient])
        try block.withUnsafeBytes { b in
            for _ in 0..<(total / block.count) { try encryptor.update(b) { encryptedCount += $0.count } }
        }
        try encryptor.finish { encryptedCount += $0.count }
    }
    // Untimed: the file to decrypt.
    var encrypted: [UInt8] = []
    encrypted.reserveCapacity(encryptedCount)
    let encryptor = try AgeEncryptor(recipients: [identity.recipient])
    try block.withUnsafeBytes { b in
        for _ in 0..<(total / block.count) { try encryptor.update(b) { encrypted.append(contentsOf: $0) } }
    }
    try encryptor.finish { encrypted.append(contentsOf: $0) }
    var plainCount = 0
    let dec = try time {
        let decryptor = AgeDecryptor(identities: [identity])
        try encrypted.withUnsafeBytes { e in
            var offset = 0
            while offset < e.count {
                let end = min(offset + block.count, e.count)
                try decryptor.update(UnsafeRawBufferPointer(rebasing: e[offset..<end])) { plainCount += $0.count }
                offset = end
            }
        }
        try decryptor.finish { plainCount += $0.count }
    }
    precondition(plainCount == total, "age round trip lost bytes")
    let rawRate = rate(total, raw)
    print("crypto: \(total >> 20) MiB in 64 KiB pieces (sink \(sink % 10))")
    line("age encrypt (X25519, STREAM)", rate(total, enc), baseline: rawRate, target: 0.8)
    line("age decrypt", rate(total, dec), baseline: rawRate, target: 0.8)

    // minisign over a 100 MB file versus raw BLAKE2b-512 of the same bytes.
    let fileSize = 100_000_000
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-bench-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try FileStreams.Writer(path: path)
    try block.withUnsafeBytes { b in
        var written = 0
        while written < fileSize {
            let n = min(b.count, fileSize - written)
            try writer.write(UnsafeRawBufferPointer(rebasing: b[0..<n]))
            written += n
        }
    }
    let blake = try time {
        let hasher = try BLAKE2b(outputCount: 64)
        try FileStreams.forEachBlock(ofFile: path) { hasher.update($0) }
        _ = hasher.finalize()
    }
    let key2 = Minisign.SecretKey(key: .generate())
    var signature: Minisign.Signature?
    let sign = try time {
        signature = try Minisign.sign(prehash: Minisign.prehashFile(path), with: key2, trustedComment: "bench")
    }
    let verify = try time {
        guard let signature else { return }
        try Minisign.verify(signature, prehash: Minisign.prehashFile(path), with: key2.publicKey)
    }
    let blakeRate = rate(fileSize, blake)
    print("minisign: 100 MB file")
    line("minisign sign (ED, prehashed)", rate(fileSize, sign), baseline: blakeRate, target: 0.8)
    line("minisign verify", rate(fileSize, verify), baseline: blakeRate, target: 0.8)
}

var suites = Array(CommandLine.arguments.dropFirst())
// `--summary FILE` (default bench-summary.json): where the machine-readable summary goes.
var summaryPath = "bench-summary.json"
if let i = suites.firstIndex(of: "--summary"), i + 1 < suites.count {
    summaryPath = suites[i + 1]
    suites.removeSubrange(i...(i + 1))
}
if suites.first == "register-worker" {
    try registerWorker(Array(suites.dropFirst()))
} else if suites.first == "mixed-worker" {
    try mixedWorker(Array(suites.dropFirst()))
} else if suites.first == "archive-memory-worker" {
    try archiveMemoryWorker(Array(suites.dropFirst()))
} else {
    if suites.isEmpty || suites.contains("crypto") { try benchCrypto() }
    if suites.isEmpty || suites.contains("store") { try benchStore() }
    if suites.contains("parts") { try benchParts() }
    if suites.isEmpty || suites.contains("log") { try benchLog() }
    if suites.isEmpty || suites.contains("cli") { try benchCLI() }
    if suites.isEmpty || suites.contains("archive") { try benchArchive() }
    if suites.isEmpty || suites.contains("intake") { try benchIntake() }
    if suites.isEmpty || suites.contains("report") { try benchReport() }
    try Summary.write(to: summaryPath)
}
