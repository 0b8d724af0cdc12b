import Foundation
import SealboxArchive
import SealboxCore
import SealboxCrypto
import SealboxStore

/// `Tools/bench archive`: the reference workload — 200 closed cases (letter ~4 KB, slip ~1 KB, feedback ~3 KB,
/// attachment 200 KB) — exported (best of three rounds) and verified, next to the raw SHA-512 rate over the same
/// package bytes.
func benchArchive(cases count: Int = 200) throws {
    let bench = try BenchStore("archive")
    let store = bench.store
    let now = bench.now
    let folder = bench.folder
    let (clerk, head, archivist) = try bench.archiveUsers()
    let attachment = SecureRandom.bytes(200 * 1024)
    let text = { (n: Int) in Personal(String(repeating: "市民來信內容。", count: n / 21)) }
    // Best of three exports too, each of `count` newly closed cases into a folder of its own (the chain goes on
    // from one to the next); the first round's packages are the ones verified.
    var rounds: [(seconds: Double, processor: Double, packages: [ExportedPackage], folder: String)] = []
    for round in 0..<3 {
        for i in 0..<count {
            var letter = sampleLetter(round * count + i, at: now)
            letter.content = text(4096)
            let (n, _) = try store.register(letter, by: clerk.actor, at: now)
            try store.attach(attachment, fileName: "photo.jpg", mediaType: "image/jpeg", to: n, by: clerk, at: now)
            try runToClosure(n, store, clerk: clerk, head: head, at: now)
        }
        let out = folder.appendingPathComponent("archive-\(round)").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var packages: [ExportedPackage] = []
        let (seconds, processor) = try timeAndProcessorTime {
            packages = try store.exportArchive(to: out, by: archivist, at: now)
        }
        guard packages.count == count else { fatalError("bench archive exported \(packages.count) of \(count)") }
        rounds.append((seconds, processor, packages, out))
    }
    let export = rounds.map(\.seconds).min() ?? .infinity
    let (packages, out) = (rounds[0].packages, rounds[0].folder)
    let paths = packages.map { "\(out)/\($0.fileName)" }
    let bytes = try paths.reduce(0) {
        $0 + ((try FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0)
    }
    let (_, key) = try store.archiveKeys()
    let cores = ProcessInfo.processInfo.activeProcessorCount
    var reports: [PackageReport] = []
    // Best of five for verify and for both baselines alike, taken in turn (verify, then each baseline, five times)
    // so that a noisy spell on a shared machine falls on all three, not on one.
    func hashAll() throws {
        for path in paths {
            var hash = SHA512()
            try FileStreams.forEachBlock(ofFile: path) { hash.update($0) }
            _ = hash.finalize()
        }
    }
    // Verify uses every core: the fair baseline is SHA-512 over the same files on every core too.
    func hashAllInParallel() throws {
        _ = try Parallel.map(paths.count) { i in
            var hash = SHA512()
            try FileStreams.forEachBlock(ofFile: paths[i]) { hash.update($0) }
            return hash.finalize()
        }
    }
    var (verify, raw, rawParallel) = (Double.infinity, Double.infinity, Double.infinity)
    for _ in 0..<5 {
        verify = min(verify, try time { reports = try ArchiveChain.verify(paths, trusting: key) })
        guard reports.allSatisfy({ $0.isValid }) else { fatalError("bench archive does not verify") }
        raw = min(raw, try time { try hashAll() })
        rawParallel = min(rawParallel, try time { try hashAllInParallel() })
    }
    // The export's floor, measured: per package on every core, what no bookkeeping can avoid — SHA-512 over its
    // bytes (eight packages at a time, as the export hashes them), six age headers (each a fresh ephemeral X25519
    // key, made six at a time as the export makes them, a shared secret, HKDF and the header MAC), the case key
    // opened (one more X25519), the department seal verified, and three Ed25519 signatures (minisign's two and the
    // archived event's); then the same again with each package's bytes written to a new file and its writeback
    // started, then the files synced together (one `syncfs`, as the export syncs each batch), dropped from the page
    // cache and renamed as the export does. Best of three each.
    let (recipient, _) = try store.archiveKeys()
    let boxKey = BoxSecretKey.generate()
    let sealedCaseKey = SealedBox.seal(SymmetricKey.generate().bytes, to: boxKey.publicKey)
    let signer = SigningSecretKey.generate()
    let message = [UInt8](repeating: 1, count: 64)
    let signature = signer.signature(for: message)
    let copies = folder.appendingPathComponent("floor").path
    func floorRun(writingFiles: Bool) throws -> (wall: Double, processor: Double) {
        try? FileManager.default.removeItem(atPath: copies)
        try FileManager.default.createDirectory(atPath: copies, withIntermediateDirectories: true)
        let targets = paths.indices.map { "\(copies)/.\($0).tar.partial" }
        let durable = try FileStreams.FileSystemSync(folder: copies)
        return try timeAndProcessorTime {
            // Eight packages at a time, their bytes hashed together as the export hashes them (`SHA512Lanes`:
            // eight at once on AVX-512, else OpenSSL's one by one); verify and its baselines use libsodium's.
            _ = try Parallel.map((paths.count + 7) / 8) { g in
                var kept: [[UInt8]] = []
                for i in (8 * g)..<min(8 * g + 8, paths.count) {
                    let writer = writingFiles ? try FileStreams.Writer(path: targets[i], gathering: true) : nil
                    var bytes: [UInt8] = []
                    try FileStreams.forEachBlock(ofFile: paths[i]) {
                        bytes.append(contentsOf: $0)
                        try writer?.write($0)
                    }
                    kept.append(bytes)
                    try writer?.startWriteback()
                    let ephemerals = EphemeralKeys(count: 6)
                    for _ in 0..<6 { _ = try AgeFileKey.generate().header(to: [recipient], ephemerals: ephemerals) }
                    _ = try SealedBox.open(sealedCaseKey, with: boxKey)
                    guard signer.publicKey.isValidSignature(signature, for: message) else {
                        fatalError("bench archive: the floor's signature does not verify")
                    }
                    for n in 0..<3 { _ = signer.signature(for: message + [UInt8(n)]) }
                    try writer?.close()
                }
                return SHA512Lanes.digests(of: kept)
            }
            if writingFiles {
                try durable.sync(targets, droppingCache: true)
                for (i, target) in targets.enumerated() where rename(target, "\(copies)/\(i).tar") != 0 {
                    fatalError("bench archive: cannot rename \(target)")
                }
                try FileStreams.sync(path: copies)
            }
        }
    }
    var (floor, floorWithFiles) = (Double.infinity, Double.infinity)
    var (floorProcessor, floorWithFilesProcessor) = (Double.infinity, Double.infinity)
    for _ in 0..<3 {
        let (alone, withFiles) = (try floorRun(writingFiles: false), try floorRun(writingFiles: true))
        (floor, floorProcessor) = (min(floor, alone.wall), min(floorProcessor, alone.processor))
        (floorWithFiles, floorWithFilesProcessor) = (
            min(floorWithFiles, withFiles.wall), min(floorWithFilesProcessor, withFiles.processor)
        )
    }
    let exportProcessor = rounds.map(\.processor).min() ?? .infinity
    let mb = Double(bytes) / 1e6
    print(
        "archive: \(packages.count) packages, \(String(format: "%.1f", mb)) MB; payload SHA-512 "
            + (SHA512Lanes.isAvailable
                ? "eight at a time on AVX-512 lanes"
                : "one at a time (OpenSSL: no AVX-512, or SEALBOX_SHA512_LANES=off)"))
    let exportRate = Double(packages.count) / export
    Summary.record("archive", "export", exportRate, "packages/s", target: "≥ 1,000 packages/s", met: exportRate >= 1000)
    Summary.record(
        "archive", "verify", mb / verify, "MB/s", baseline: mb / rawParallel, target: "ratio ≥ 0.7, ≥ 1,500 packages/s",
        met: rawParallel / verify >= 0.7 && Double(packages.count) / verify >= 1500)
    Summary.record("archive", "verify packages", Double(packages.count) / verify, "packages/s")
    print(
        String(
            format: "export   %8.0f packages/s  %7.1f MB/s   (best of %@ packages/s; target ≥ 1,000 packages/s: %@)",
            Double(packages.count) / export, mb / export,
            rounds.map { String(format: "%.0f", Double(count) / $0.seconds) }.joined(separator: ", "),
            Double(packages.count) / export >= 1000 ? "met" : "NOT MET"))
    print(
        String(
            format:
                "  floor  %8.0f packages/s: SHA-512, age headers, case key, seal check and signatures alone on %d cores; %.0f/s writing and syncing the files too; export runs at %.2f and %.2f of them",
            Double(packages.count) / floor, cores, Double(packages.count) / floorWithFiles, floor / export,
            floorWithFiles / export))
    let ms = { (seconds: Double) in seconds * 1000 / Double(packages.count) }
    print(
        String(
            format:
                "  processor time a package (every thread, least of the rounds): export %.2f ms (rounds %@), floor %.2f ms crypto alone, %.2f ms with the files; export uses %.2f times the latter",
            ms(exportProcessor), rounds.map { String(format: "%.2f", ms($0.processor)) }.joined(separator: ", "),
            ms(floorProcessor), ms(floorWithFilesProcessor), exportProcessor / floorWithFilesProcessor))
    Summary.record("archive", "export processor time", ms(exportProcessor), "ms/package")
    Summary.record(
        "archive", "export floor (crypto alone)", Double(packages.count) / floor, "packages/s",
        baseline: Double(packages.count) / export)
    Summary.record(
        "archive", "export floor (crypto and files)", Double(packages.count) / floorWithFiles, "packages/s",
        baseline: Double(packages.count) / export)
    print(
        String(
            format:
                "verify   %8.0f packages/s  %7.1f MB/s   raw SHA-512 %7.1f MB/s (%d cores %7.1f MB/s)   ratio %.2f of the %d-core rate   (targets ≥ 1,500/s and ≥ 0.7: %@)",
            Double(packages.count) / verify, mb / verify, mb / raw, cores, mb / rawParallel, rawParallel / verify,
            cores, Double(packages.count) / verify >= 1500 && rawParallel / verify >= 0.7 ? "met" : "NOT MET"))
    try benchArchiveMemory()
}

/// The workflow from registration to closure, with no personal text beyond what `n` already holds.
func runToClosure(_ n: CaseNumber, _ store: Store, clerk: UnlockedUser, head: UnlockedUser, at now: Timestamp) throws {
    let text = { (n: Int) in Personal(String(repeating: "市民來信內容。", count: n / 21)) }
    try store.apply(
        .assign(.init(lead: "transport", matter: text(500), requirements: text(500))), to: n, by: clerk, at: now)
    try store.apply(.signFor(handler: "head"), to: n, by: head, at: now)
    try store.apply(.startHandling, to: n, by: head, at: now)
    try store.apply(
        .draftFeedback(
            investigation: text(1000), opinion: text(1000), result: text(1000), senderSatisfaction: .satisfied),
        to: n, by: head, at: now)
    _ = try store.sealFeedback(n, by: head, at: now)
    try store.apply(.review(approve: true, reasons: nil), to: n, by: clerk, at: now)
    try store.apply(.reply(text: text(500), method: .phone), to: n, by: clerk, at: now)
    try store.apply(.close, to: n, by: clerk, at: now)
}

/// Peak memory of export as the attachment grows from 200 KB to 200 MB: each size in a fresh process
/// (`sealbox-bench archive-memory-worker BYTES`), which attaches from a file (streamed), closes the case, exports it,
/// and prints its peak resident set before and after the export.
func benchArchiveMemory() throws {
    var peaks: [(Int, Int, Int)] = []
    for size in [200_000, 20_000_000, 200_000_000] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = ["archive-memory-worker", "\(size)"]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        let numbers = output.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard child.terminationStatus == 0, numbers.count == 2 else { fatalError("archive-memory-worker: \(output)") }
        peaks.append((size, numbers[0], numbers[1]))
    }
    for (size, before, after) in peaks {
        print(
            String(
                format: "export peak memory, attachment %9.1f MB: %7.1f MB (before export %7.1f MB)",
                Double(size) / 1e6, Double(after) / 1024, Double(before) / 1024))
    }
    let growth = Double(peaks[2].2) / Double(peaks[0].2)
    Summary.record(
        "archive", "export peak memory, 200 MB attachment", Double(peaks[2].2) / 1024, "MB",
        baseline: Double(peaks[0].2) / 1024, target: "ratio ≤ 1.5", met: growth <= 1.5)
    print(
        String(
            format: "peak memory 200 MB / 200 KB attachment: ratio %.2f   (target flat, ≤ 1.5: %@)", growth,
            growth <= 1.5 ? "met" : "NOT MET"))
}

/// The child of `benchArchiveMemory`: prints the peak resident set (KiB, VmHWM) after setup and after the export.
func archiveMemoryWorker(_ arguments: [String]) throws {
    guard let size = arguments.first.flatMap({ Int($0) }) else { fatalError("usage: archive-memory-worker BYTES") }
    let bench = try BenchStore("memory")
    let store = bench.store
    let now = bench.now
    let (clerk, head, archivist) = try bench.archiveUsers()
    let file = bench.folder.appendingPathComponent("attachment.bin").path
    let writer = try FileStreams.Writer(path: file)
    let block = SecureRandom.bytes(1 << 20)
    var left = size
    while left > 0 {
        try block.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<min(left, block.count)])) }
        left -= min(left, block.count)
    }
    try writer.sync()
    let (n, _) = try store.register(sampleLetter(1, at: now), by: clerk.actor, at: now)
    try store.attach(fileAt: file, fileName: "video.mp4", mediaType: "video/mp4", to: n, by: clerk, at: now)
    try runToClosure(n, store, clerk: clerk, head: head, at: now)
    // VmHWM of this process image (getrusage's maxrss can carry the parent's high-water mark across exec).
    func peak() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
        return line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    }
    let before = peak()
    let out = bench.folder.appendingPathComponent("archive").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    _ = try store.exportArchive(to: out, by: archivist, at: now)
    print(before, peak())
}
