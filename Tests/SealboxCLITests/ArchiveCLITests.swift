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
        // Where the archive stands, from the store alone (no key): nothing recorded, one closed case waiting.
        let before = try run(["archive", "status"], dir, "pw", "")
        #expect(before.status == 0, "\(before.stderr)")
        #expect(before.stdout == "packages recorded: 0\nclosed cases waiting to be archived: 1 (from \(n))\n")
        let export = try run(["archive", "export", "--out", archive, "--as", "archivist"], dir, "pw", "")
        #expect(export.status == 0 && export.stdout.contains("000001-\(n).tar"), "\(export.stderr)")
        let package = "\(archive)/000001-\(n).tar"
        let after = try run(["archive", "status"], dir, "pw", "")
        #expect(after.stdout.hasPrefix("packages recorded: 1\nlast package: 1\t\(n)\t000001-\(n).tar\t"))
        #expect(after.stdout.hasSuffix("closed cases waiting to be archived: 0\n"), "\(after.stdout)")
        let verified = try run(["archive", "verify", "--key", pub, package], dir, "pw", "")
        #expect(verified.status == 0 && verified.stdout.contains("1 package(s) verified"))
        #expect(verified.stderr.contains("checkpoint signatures not checked"))
        // A folder stands for its packages, in name (sequence) order; an empty one is refused.
        let folder = try run(["archive", "verify", "--key", pub, archive], dir, "pw", "")
        #expect(folder.status == 0 && folder.stdout.contains("1 package(s) verified"), "\(folder.stderr)")
        let folderJSON = try run(["archive", "verify", "--json", "--key", pub, archive], dir, "pw", "")
        let good = try JSONSerialization.jsonObject(with: Data(folderJSON.stdout.utf8)) as? [String: Any]
        #expect(folderJSON.status == 0 && good?["valid"] as? Bool == true && good?["bag"] as? String == n)
        #expect((good?["problems"] as? [String])?.isEmpty == true && good?["path"] as? String == package)
        let empty = dir.appendingPathComponent("empty").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(try run(["archive", "verify", "--key", pub, empty], dir, "pw", "").status == 66)
        // With the store's trust file, the log proof's checkpoint signature is checked as well.
        let trust = try run(["audit", "trust", "export"], dir, "pw", "")
        let trustFile = dir.appendingPathComponent("trust").path
        try Data(trust.stdout.utf8).write(to: URL(fileURLWithPath: trustFile))
        let pinned = try run(["archive", "verify", "--key", pub, "--trust", trustFile, package], dir, "pw", "")
        #expect(pinned.status == 0 && !pinned.stderr.contains("not checked"), "\(pinned.stdout)\(pinned.stderr)")
        let badTrust = try run(["archive", "verify", "--key", pub, "--trust", pub, package], dir, "pw", "")
        #expect(badTrust.status == 65 || badTrust.status == 64, "\(badTrust.status)")
        // The catalog (M6.1.1 findable): from the packages' clear metadata, no key, no personal data; filtered.
        let catalog = try run(["archive", "catalog", archive], dir, "pw", "")
        let columns = catalog.stdout.split(separator: "\n").first.map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
        #expect(catalog.status == 0 && catalog.stderr.contains("1 package(s) listed"), "\(catalog.stderr)")
        let closedYear = try #require(columns.flatMap { Int($0[2].prefix(4)) })
        #expect(
            columns == [
                "1", n, columns?[2] ?? "", "", "transport", "replied", "standard", "\(closedYear + 30)-12-31", package,
            ],
            "\(catalog.stdout)")
        #expect(!catalog.stdout.contains("13900008888"))
        for (filter, listed) in [
            (["--department", "transport"], 1), (["--department", "parks"], 0), (["--closed", "\(closedYear)"], 1),
            (["--closed", "\(closedYear + 1)"], 0), (["--due-by", "\(closedYear + 30)-12-31"], 1),
            (["--due-by", "\(closedYear + 30)-12-30"], 0),
        ] {
            let out = try run(["archive", "catalog"] + filter + [package], dir, "pw", "")
            #expect(out.status == 0 && out.stderr.contains("\(listed) package(s) listed"), "\(filter): \(out.stderr)")
        }
        let json = try run(["archive", "catalog", "--json", archive], dir, "pw", "")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(
            object?["number"] == n && object?["keep_until"] == "\(closedYear + 30)-12-31" && object?["sequence"] == "1")
        #expect(try run(["archive", "catalog", "--closed", "2026-Q9", archive], dir, "pw", "").status == 64)
        let unreadable = try run(["archive", "catalog", pub, package], dir, "pw", "")
        #expect(unreadable.status == 65 && unreadable.stderr.contains("cannot catalog \(pub)"), "\(unreadable.stderr)")
        #expect(unreadable.stdout.contains(n))
        #expect(try run(["archive", "catalog", "\(archive)/nothing.tar"], dir, "pw", "").status == 66)
        try disposeOf(package, in: archive, closedYear: closedYear, key: pub, dir: dir)
        // A flipped byte in a sealed payload: exit 65, the file named.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: package))
        let at = try #require(bytes.range(of: Data("letter.json.age".utf8))).upperBound + 700
        bytes[at] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: package))
        let broken = try run(["archive", "verify", "--key", pub, package], dir, "pw", "")
        #expect(broken.status == 65)
        #expect(broken.stdout.contains("FAIL") && broken.stdout.contains("letter.json.age: SHA-512 does not match"))
        // The same verdicts as JSON, one object a package, for an auditor's tools.
        let brokenJSON = try run(["archive", "verify", "--json", "--key", pub, package], dir, "pw", "")
        let verdict = try JSONSerialization.jsonObject(with: Data(brokenJSON.stdout.utf8)) as? [String: Any]
        #expect(brokenJSON.status == 65 && verdict?["valid"] as? Bool == false && verdict?["sequence"] as? Int == 1)
        #expect((verdict?["problems"] as? [String])?.contains { $0.contains("SHA-512 does not match") } == true)
    }

    /// `archive dispose` on a copy of the archive: refused before the retention ends and without a clean reference;
    /// after it, a signed record stands for the package, and verify, catalog and status say so.
    func disposeOf(_ package: String, in archive: String, closedYear: Int, key pub: String, dir: URL) throws {
        let (copy, leftover) = (
            dir.appendingPathComponent("disposal").path, dir.appendingPathComponent("leftover").path
        )
        try FileManager.default.copyItem(atPath: archive, toPath: copy)
        try FileManager.default.copyItem(atPath: archive, toPath: leftover)
        let target = "\(copy)/" + (package as NSString).lastPathComponent
        func dispose(_ authorization: String, on day: String) throws -> WorkflowCLITests.Output {
            let moment = try #require(ISO8601DateFormatter().date(from: "\(day)T04:00:00Z"))
            let seconds = Int64(moment.timeIntervalSince1970)
            return try WorkflowCLITests.run(
                ["archive", "dispose", "--authorization", authorization, "--as", "archivist", target], dir: dir,
                environment: ["SEALBOX_NOW": "\(seconds)"])
        }
        let early = try dispose("DA-1", on: "\(closedYear + 30)-12-31")
        #expect(early.status == 65 && early.stderr.contains("must be kept until \(closedYear + 30)-12-31"))
        #expect(try dispose("陳先生", on: "\(closedYear + 31)-01-02").status == 65)
        #expect(
            try WorkflowCLITests.positional(
                ["archive", "dispose", "--authorization", "DA-1", "--as", "clerk", target], dir, "pw", ""
            ).status == 77)
        let done = try dispose("DA-\(closedYear + 31)-001", on: "\(closedYear + 31)-01-02")
        #expect(done.status == 0 && done.stdout.contains("disposed of 000001-"), "\(done.stderr)")
        #expect(!FileManager.default.fileExists(atPath: target))
        let verified = try WorkflowCLITests.positional(["archive", "verify", "--key", pub, copy], dir, "pw", "")
        #expect(verified.status == 0 && verified.stdout.contains("(1 of them disposed of"), "\(verified.stdout)")
        let catalog = try WorkflowCLITests.positional(["archive", "catalog", copy], dir, "pw", "")
        #expect(
            catalog.status == 0 && catalog.stdout.contains("disposed \(closedYear + 31)-01-02"), "\(catalog.stdout)")
        let due = try WorkflowCLITests.positional(
            ["archive", "catalog", "--due-by", "\(closedYear + 40)-01-01", copy], dir, "pw", "")
        #expect(due.stderr.contains("0 package(s) listed"))
        let status = try WorkflowCLITests.positional(["archive", "status"], dir, "pw", "")
        #expect(status.stdout.hasSuffix("packages disposed of after their retention: 1\n"), "\(status.stdout)")
        // Reconcile, on a folder that still holds the package but no record: the recorded disposal is completed (the
        // package removed) and the missing record named.
        let reconcile = try WorkflowCLITests.positional(["archive", "reconcile", "--out", leftover], dir, "pw", "")
        let name = (target as NSString).lastPathComponent
        #expect(reconcile.status == 65 && reconcile.stdout.contains("removed\t\(name)"), "\(reconcile.stdout)")
        #expect(reconcile.stdout.contains("missing\t\(name.dropLast(4)).disposal"), "\(reconcile.stdout)")
    }
}
