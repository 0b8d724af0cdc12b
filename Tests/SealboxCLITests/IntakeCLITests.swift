import Foundation
import GRDB
import SealboxServer
import Testing

/// `sealbox intake`, `sealbox status` and `sealbox serve intake` through the binary (M2.1, M2.2).
struct IntakeCLITests {
    typealias W = WorkflowCLITests

    static func mail(_ id: String, from: String, subject: String, body: String) -> Data {
        Data(
            """
            From: \(from)\r
            Subject: \(subject)\r
            Message-ID: <\(id)>\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            \(body)
            """.utf8)
    }

    @Test func mailIntakeFromAMaildirIsIdempotentAndQuarantinesWhatItCannotRead() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let maildir = dir.appendingPathComponent("Maildir")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(
                at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try Self.mail("a@x", from: "張三 <zhang@example.cn>", subject: "路燈", body: "路燈壞了")
            .write(to: maildir.appendingPathComponent("new/1"))
        try Self.mail("b@x", from: "zhang@example.cn", subject: "又是路燈", body: "還沒修")
            .write(to: maildir.appendingPathComponent("new/2"))
        try Data("Subject: no sender\r\n\r\nbody".utf8).write(to: maildir.appendingPathComponent("cur/3"))

        // Without --as: public keys only, no repeat-writer flags yet.
        let first = try W.run(["intake", "mail", maildir.path], dir: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("mail intake: 2 registered, 0 duplicate, 1 quarantined"), "\(first.stdout)")
        #expect(first.stdout.contains("no From header"))
        #expect(!first.stdout.contains("張三") && !first.stdout.contains("路燈壞了"))
        let again = try W.run(["intake", "mail", maildir.path], dir: dir)
        #expect(again.stdout.contains("mail intake: 0 registered, 2 duplicate, 1 quarantined"), "\(again.stdout)")
        #expect(again.stdout.contains("(already)"))
        // A clerk flags the repeat writer; the auditor lists the quarantine without content.
        let flag = try W.run(["intake", "flag", "--as", "clerk"], dir: dir)
        #expect(flag.stdout.contains("2026-000002\trepeat writer: earlier 2026-000001"), "\(flag.stdout)\(flag.stderr)")
        let list = try W.run(["intake", "quarantine"], dir: dir)
        #expect(list.stdout.contains("#1") && list.stdout.contains("1 quarantined message(s)"))
        let out = dir.appendingPathComponent("q1.eml").path
        #expect(
            try W.run(["intake", "quarantine", "--open", "1", "--out", out, "--as", "head"], dir: dir).status == 77)
        #expect(
            try W.run(["intake", "quarantine", "--open", "1", "--out", out, "--as", "clerk"], dir: dir).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data("Subject: no sender\r\n\r\nbody".utf8))
        // With --as, repeat writers are flagged at once.
        try Self.mail("c@x", from: "ZHANG@example.cn", subject: "第三封", body: "請回覆")
            .write(to: dir.appendingPathComponent("one.eml"))
        let third = try W.run(
            ["intake", "mail", dir.appendingPathComponent("one.eml").path, "--as", "clerk"], dir: dir)
        #expect(third.stdout.contains("repeat writer: earlier 2026-000001, 2026-000002"), "\(third.stdout)")
    }

    @Test func jsonBatchAndStatusLookup() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let batch = """
            {"id":"w1","submission":{"name":"李四","phone":"13912345678","subject":"噪音","content":"工地夜間施工"}}
            {"anonymous":true,"subject":"垃圾","content":"沒人收"}
            {"name":"王五","subject":"x","content":"y"}
            """
        let file = dir.appendingPathComponent("batch.jsonl")
        try Data(batch.utf8).write(to: file)
        let run = try W.run(["intake", "json", file.path], dir: dir)
        #expect(run.status == 65, "one refused: exit 65, the others registered")
        #expect(run.stdout.contains("refused\t#3\tphone: a phone number or an e-mail address is needed"))
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("registered\t2026-000001") })
        let code = try #require(line.components(separatedBy: "query code ").last)
        #expect(try W.run(["intake", "json", file.path], dir: dir).stdout.contains("duplicate\t2026-000001"))

        let status = try W.run(["status", "2026-000001"], dir: dir, input: code + "\n")
        #expect(status.status == 0 && status.stdout.contains("status\tregistered"), "\(status.stderr)")
        #expect(!status.stdout.contains("噪音"))
        let wrong = try W.run(["status", "2026-000001"], dir: dir, input: "AAAAAAAAAA\n")
        let unknown = try W.run(["status", "2026-999999"], dir: dir, input: code + "\n")
        #expect(wrong.status == 66 && unknown.status == 66 && wrong.stderr == unknown.stderr)
    }

    /// Starts `sealbox serve intake` on a free port and returns the process and the port.
    static func startServer(_ dir: URL, extra: [String] = []) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = ["serve", "intake", "--port", "0"] + extra
        var env = ProcessInfo.processInfo.environment
        env["SEALBOX_STORE"] = dir.appendingPathComponent("s.db").path
        env["SEALBOX_POLICIES"] = PolicyCLITests.policies
        env.removeValue(forKey: "SEALBOX_PASSPHRASE")
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("listening on"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard
            let port = text.split(separator: ":").last.flatMap({
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            })
        else {
            process.terminate()
            throw CLIError("the server did not start: \(text)")
        }
        return (process, port)
    }

    struct CLIError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    /// The server holds no secret key: the test removes every sealed secret from the store before starting it,
    /// the server registers letters all the same, and once the secrets are back a clerk reads them.
    @Test func theIntakeServerSealsWithoutAnySecretAndRefusesBadRequests() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let db = try DatabaseQueue(path: dir.appendingPathComponent("s.db").path)
        let secrets = try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM group_secrets") }
        let keyrings = try db.read { db in try Row.fetchAll(db, sql: "SELECT id, sealed_secrets FROM users") }
        try db.write { db in
            try db.execute(sql: "DELETE FROM group_secrets")
            try db.execute(sql: "UPDATE users SET sealed_secrets = zeroblob(length(sealed_secrets))")
        }
        func count(_ table: String) throws -> Int {
            try db.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1 }
        }
        let (server, port) = try Self.startServer(dir, extra: ["--max-body", "100000", "--rate", "1000"])
        defer { server.terminate() }
        let json = ["Content-Type": "application/json"]
        let good = Array(#"{"name":"趙六","phone":"13900001111","subject":"公園","content":"公園的燈不亮"}"#.utf8)
        let created = try LoopbackClient.request(
            port: port, method: "POST", path: "/letters", headers: json, body: good)
        #expect(created.status == 201, "\(created.text)")
        let answer = try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: String]
        let number = try #require(answer?["number"])
        let code = try #require(answer?["query_code"])
        #expect(!created.text.contains("趙六"))

        // Malformed, oversized and hostile bodies: 4xx, and the store does not change.
        let (cases, events) = (try count("cases"), try count("events"))
        for (headers, body, status) in [
            (json, Array("{not json".utf8), 400),
            (json, Array(#"{"name":"a","phone":"13900001111","subject":"s","content":"c","admin":true}"#.utf8), 400),
            (json, Array(#"{"anonymous":true,"subject":"","content":"c"}"#.utf8), 400),
            (["Content-Type": "text/plain"], good, 415),
            (json, [UInt8](repeating: 0x20, count: 200_000), 413),
            (json, Array(#"[{"subject":"s"}]"#.utf8), 400),
        ] {
            let r = try LoopbackClient.request(
                port: port, method: "POST", path: "/letters", headers: headers, body: body)
            #expect(r.status == status, "\(r.status) \(r.text)")
        }
        #expect(try count("cases") == cases && count("events") == events)

        // Status: the right code answers dates only; a wrong code and an unknown number answer the same.
        let ok = try LoopbackClient.request(
            port: port, method: "GET", path: "/letters/\(number)/status", headers: ["X-Query-Code": code])
        #expect(ok.status == 200 && ok.text.contains("\"status\":\"registered\""))
        let wrong = try LoopbackClient.request(
            port: port, method: "GET", path: "/letters/\(number)/status", headers: ["X-Query-Code": "0000000000"])
        let unknown = try LoopbackClient.request(
            port: port, method: "GET", path: "/letters/2026-999999/status", headers: ["X-Query-Code": code])
        #expect(wrong.status == 404 && unknown.status == 404 && wrong.body == unknown.body)
        server.terminate()
        server.waitUntilExit()

        // Secrets back: the clerk reads what the keyless server sealed.
        try db.write { db in
            for row in secrets {
                try db.execute(
                    sql:
                        "INSERT INTO group_secrets(\(row.columnNames.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: row.count).joined(separator: ", ")))",
                    arguments: StatementArguments(Array(row.databaseValues)))
            }
            for row in keyrings {
                try db.execute(
                    sql: "UPDATE users SET sealed_secrets = ? WHERE id = ?",
                    arguments: [row["sealed_secrets"], row["id"]])
            }
        }
        let show = try W.run(["case", "show", number, "--purpose", "test", "--as", "clerk"], dir: dir)
        #expect(show.status == 0 && show.stdout.contains("公園的燈不亮"), "\(show.stderr)")
    }

    @Test func theServerLimitsTheRatePerClient() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let (server, port) = try Self.startServer(dir, extra: ["--rate", "3"])
        defer { server.terminate() }
        let statuses = try (0..<5).map { _ in
            try LoopbackClient.request(port: port, method: "GET", path: "/letters/2026-000001/status").status
        }
        #expect(statuses.filter { $0 == 404 }.count == 3 && statuses.filter { $0 == 429 }.count == 2, "\(statuses)")
    }
}
