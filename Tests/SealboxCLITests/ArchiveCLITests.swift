import Foundation
import Testing

/// `sealbox archive key/export/verify` through the binary, after a case closed through the binary.
struct ArchiveCLITests {
    @Test func exportThenVerifyAndCatchATamper() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = WorkflowCLITests.positional
        try SidePathCLITests.setUp(dir)
        let recovery = dir.appendingPathComponent("recovery.key").path
        #expect(
            try run(["user", "add", "archivist", "--role", "archivist", "--as", "admin"], dir, "pw", "").status == 0)
        #expect(
            try run(
                ["group", "grant", "archive", "--to", "archivist", "--seal", "--recovery", recovery], dir, "pw", ""
            ).status == 0)
        let n = try SidePathCLITests.register(dir, phone: "13900008888")
        for (args, input) in [
            (["case", "assign", n, "--lead", "transport", "--as", "clerk"], #"{"matter":"m","requirements":"r"}"#),
            (["case", "sign-for", n, "--handler", "handler", "--as", "head"], ""),
            (["case", "start", n, "--as", "handler"], ""),
            (["case", "feedback", n, "--as", "handler"], #"{"investigation":"i","opinion":"o","result":"r"}"#),
            (["case", "seal", n, "--as", "head"], ""),
            (["case", "review", n, "--approve", "--as", "reviewer"], ""),
            (["case", "reply", n, "--as", "clerk"], "已處理"),
            (["case", "close", n, "--as", "clerk"], ""),
        ] {
            let out = try run(args, dir, "pw", input)
            #expect(out.status == 0, "\(args): \(out.stderr)")
        }
        // The assessment report (M7) from clear metadata: any metadata reader, no personal data.
        let csv = try run(
            ["report", "assess", "--period", "2026-Q1", "--format", "csv", "--as", "reviewer"], dir, "pw", "")
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.contains("\n1,transport,1,1,1,1,0,1.0000,"), "\(csv.stdout)")
        let html = try run(["report", "assess", "--period", "2026-Q1", "--as", "reviewer"], dir, "pw", "")
        #expect(html.stdout.contains("<svg id=\"chart-on-time\"") && !html.stdout.contains("已處理"))
        #expect(try run(["report", "assess", "--period", "2026-Q9", "--as", "reviewer"], dir, "pw", "").status == 64)
        let pub = dir.appendingPathComponent("archive.pub").path
        #expect(try run(["archive", "key", "--minisign-out", pub], dir, "pw", "").status == 0)
        let archive = dir.appendingPathComponent("packages").path
        #expect(try run(["archive", "export", "--out", archive, "--as", "clerk"], dir, "pw", "").status == 77)
        #expect(
            try run(["archive", "export", "--out", archive, "--as", "archivist", "--batch-size", "0"], dir, "pw", "")
                .status == 64)
        let export = try run(["archive", "export", "--out", archive, "--as", "archivist"], dir, "pw", "")
        #expect(export.status == 0 && export.stdout.contains("000001-\(n).tar"), "\(export.stderr)")
        let package = "\(archive)/000001-\(n).tar"
        let verified = try run(["archive", "verify", "--key", pub, package], dir, "pw", "")
        #expect(verified.status == 0 && verified.stdout.contains("1 package(s) verified"))
        #expect(verified.stderr.contains("checkpoint signatures not checked"))
        // With the store's trust file, the log proof's checkpoint signature is checked as well.
        let trust = try run(["audit", "trust", "export"], dir, "pw", "")
        let trustFile = dir.appendingPathComponent("trust").path
        try Data(trust.stdout.utf8).write(to: URL(fileURLWithPath: trustFile))
        let pinned = try run(["archive", "verify", "--key", pub, "--trust", trustFile, package], dir, "pw", "")
        #expect(pinned.status == 0 && !pinned.stderr.contains("not checked"), "\(pinned.stdout)\(pinned.stderr)")
        let badTrust = try run(["archive", "verify", "--key", pub, "--trust", pub, package], dir, "pw", "")
        #expect(badTrust.status == 65 || badTrust.status == 64, "\(badTrust.status)")
        // A flipped byte in a sealed payload: exit 65, the file named.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: package))
        let at = try #require(bytes.range(of: Data("letter.json.age".utf8))).upperBound + 700
        bytes[at] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: package))
        let broken = try run(["archive", "verify", "--key", pub, package], dir, "pw", "")
        #expect(broken.status == 65)
        #expect(broken.stdout.contains("FAIL") && broken.stdout.contains("letter.json.age: SHA-512 does not match"))
    }
}
