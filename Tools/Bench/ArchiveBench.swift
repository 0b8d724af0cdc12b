import Foundation
import SealboxArchive
import SealboxCore
import SealboxCrypto
import SealboxStore

/// `Tools/bench archive`: the reference workload — 200 closed cases (letter ~4 KB, slip ~1 KB, feedback ~3 KB,
/// attachment 200 KB) — exported and verified, next to the raw SHA-512 rate over the same package bytes.
func benchArchive(cases count: Int = 200) throws {
    let bench = try BenchStore("archive")
    let store = bench.store
    let now = bench.now
    let folder = bench.folder
    let clerk = try bench.user("clerk", [.clerk, .reviewer])
    let head = try bench.user("head", [.departmentHead, .handler], "transport")
    let archivist = try bench.user("archivist", [.archivist])
    try store.createDepartment("transport", members: [], sealHolders: ["head"], by: bench.admin, at: now)
    try store.grant("office", to: "clerk", usingRecovery: bench.recovery, at: now)
    try store.grant("archive", to: "archivist", withSeal: true, usingRecovery: bench.recovery, at: now)
    let attachment = SecureRandom.bytes(200 * 1024)
    let text = { (n: Int) in Personal(String(repeating: "市民來信內容。", count: n / 21)) }
    for i in 0..<count {
        var letter = sampleLetter(i, at: now)
        letter.content = text(4096)
        let (n, _) = try store.register(letter, by: clerk.actor, at: now)
        try store.attach(attachment, fileName: "photo.jpg", mediaType: "image/jpeg", to: n, by: clerk, at: now)
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
    let out = folder.appendingPathComponent("archive").path
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    var packages: [ExportedPackage] = []
    let export = try time { packages = try store.exportArchive(to: out, by: archivist, at: now) }
    let paths = packages.map { "\(out)/\($0.fileName)" }
    let bytes = try paths.reduce(0) {
        $0 + ((try FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0)
    }
    let (_, key) = try store.archiveKeys()
    var reports: [PackageReport] = []
    let verify = try time { reports = try ArchiveChain.verify(paths, trusting: key) }
    guard reports.allSatisfy({ $0.isValid }) else { fatalError("bench archive does not verify") }
    let raw = try time {
        for path in paths {
            var hash = SHA512()
            try FileStreams.forEachBlock(ofFile: path) { hash.update($0) }
            _ = hash.finalize()
        }
    }
    let mb = Double(bytes) / 1e6
    print("archive: \(packages.count) packages, \(String(format: "%.1f", mb)) MB")
    print(
        String(
            format: "export   %8.0f packages/s  %7.1f MB/s   (target ≥ 1,000 packages/s: %@)",
            Double(packages.count) / export, mb / export, Double(packages.count) / export >= 1000 ? "met" : "NOT MET"))
    print(
        String(
            format:
                "verify   %8.0f packages/s  %7.1f MB/s   raw SHA-512 %7.1f MB/s   ratio %.2f   (targets ≥ 1,500/s and ≥ 0.7: %@)",
            Double(packages.count) / verify, mb / verify, mb / raw, raw / verify,
            Double(packages.count) / verify >= 1500 && raw / verify >= 0.7 ? "met" : "NOT MET"))
}
