import Foundation
import Testing

/// The workflow through the `sealbox` binary: exit codes and one-line refusals, no personal data on screens
/// that should not show it.
struct WorkflowCLITests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `sealbox` with a store in `dir`, the given passphrase in the environment, and `input` on stdin.
    static func positional(_ args: [String], _ dir: URL, _ passphrase: String, _ input: String) throws -> Output {
        try run(args, dir: dir, passphrase: passphrase, input: input)
    }

    /// The environment of a test run: the store in `dir`, the shipped policies, passphrases, a pinned clock.
    static func environment(_ dir: URL, passphrase: String = "pw") -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SEALBOX_STORE"] = dir.appendingPathComponent("s.db").path
        env["SEALBOX_POLICIES"] = PolicyCLITests.policies
        env["SEALBOX_PASSPHRASE"] = passphrase
        env["SEALBOX_NEW_PASSPHRASE"] = "pw"
        env["SEALBOX_NOW"] = "1772413200"  // 2026-03-02T01:00:00Z: deadlines stay inside the calendars shipped
        return env
    }

    static func run(
        _ args: [String], dir: URL, passphrase: String = "pw", input: String = "", environment: [String: String] = [:]
    ) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = args
        process.environment = Self.environment(dir, passphrase: passphrase).merging(environment) { _, new in new }
        let inFile = dir.appendingPathComponent("stdin-\(UUID().uuidString)")
        try Data(input.utf8).write(to: inFile)
        let out = Pipe()
        let err = Pipe()
        process.standardInput = try FileHandle(forReadingFrom: inFile)
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    @Test func aCaseThroughTheCLIWithItsRefusals() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let recovery = dir.appendingPathComponent("recovery.key").path
        let initResult = try Self.run(["init", "--admin", "admin", "--recovery-out", recovery], dir: dir)
        #expect(initResult.status == 0, "\(initResult.stderr)")
        #expect(initResult.stdout.contains("RECOVERY KEY"))
        #expect(try Self.run(["init", "--admin", "admin"], dir: dir).status == 73)
        for (login, extra) in [
            ("clerk", ["--role", "clerk"]), ("head", ["--role", "department_head", "--department", "transport"]),
            ("handler", ["--role", "handler", "--department", "transport"]), ("auditor", ["--role", "auditor"]),
        ] {
            #expect(try Self.run(["user", "add", login] + extra + ["--as", "admin"], dir: dir).status == 0)
        }
        #expect(
            try Self.run(
                ["dept", "add", "transport", "--member", "handler", "--seal-holder", "head", "--as", "admin"], dir: dir
            ).status == 0)
        #expect(
            try Self.run(["group", "grant", "office", "--to", "clerk", "--recovery", recovery], dir: dir).status == 0)
        // A clerk may not add users (77); a wrong passphrase is 77 too; unknown user 66.
        let notAdmin = try Self.run(["user", "add", "x", "--role", "clerk", "--as", "clerk"], dir: dir)
        #expect(notAdmin.status == 77 && notAdmin.stderr.hasPrefix("sealbox: error:"))
        #expect(try Self.run(["case", "list", "--as", "clerk"], dir: dir, passphrase: "wrong").status == 77)
        #expect(try Self.run(["case", "list", "--as", "nobody"], dir: dir).status == 66)

        let letter =
            #"{"channel":"email","sender":{"name":"趙六","contact":"zhao@example.cn"},"subject":"垃圾","content":"垃圾未清運"}"#
        let registered = try Self.run(["case", "register", "--as", "clerk"], dir: dir, input: letter)
        #expect(registered.status == 0, "\(registered.stderr)")
        let number = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(number.hasSuffix("-000001"))
        #expect(try Self.run(["case", "register", "--as", "clerk"], dir: dir, input: "{not json").status == 65)
        // Closing a case that was never answered is refused with the clause (65).
        let early = try Self.run(["case", "close", number, "--as", "clerk"], dir: dir)
        #expect(early.status == 65 && early.stderr.contains("refused:"))
        let slip = #"{"matter":"清運","requirements":"三日內清運"}"#
        #expect(
            try Self.run(["case", "assign", number, "--lead", "transport", "--as", "clerk"], dir: dir, input: slip)
                .status == 0)
        #expect(
            try Self.run(["case", "sign-for", number, "--handler", "handler", "--as", "head"], dir: dir).status == 0)
        // The handler reads the letter (logged); the auditor may not (77); nobody's screen shows it otherwise.
        let shown = try Self.run(["case", "show", number, "--purpose", "handling", "--as", "handler"], dir: dir)
        #expect(shown.status == 0 && shown.stdout.contains("趙六"))
        let denied = try Self.run(["case", "show", number, "--purpose", "x", "--as", "auditor"], dir: dir)
        #expect(denied.status == 77 && !denied.stderr.contains("趙六"))
        let listed = try Self.run(["case", "list", "--as", "auditor"], dir: dir)
        #expect(listed.status == 0 && listed.stdout.contains("accepted") && !listed.stdout.contains("趙六"))
        let log = try Self.run(["audit", "log", "--kind", "case.read"], dir: dir)
        #expect(log.stdout.contains("handler") && log.stdout.contains("handling"))
        let database = try Data(contentsOf: dir.appendingPathComponent("s.db"))
        #expect(database.range(of: Data("趙六".utf8)) == nil)
    }
}

/// The side paths through the CLI: answer on the spot, extension, supervision, tracking, search, restriction.
struct SidePathCLITests {
    typealias W = WorkflowCLITests

    static func setUp(_ dir: URL) throws {
        let recovery = dir.appendingPathComponent("recovery.key").path
        #expect(try W.run(["init", "--admin", "admin", "--recovery-out", recovery], dir: dir).status == 0)
        for (login, extra) in [
            ("clerk", ["--role", "clerk"]), ("reviewer", ["--role", "reviewer"]),
            ("head", ["--role", "department_head", "--department", "transport"]),
            ("handler", ["--role", "handler", "--department", "transport"]),
        ] {
            #expect(try W.run(["user", "add", login] + extra + ["--as", "admin"], dir: dir).status == 0)
        }
        #expect(
            try W.run(
                ["dept", "add", "transport", "--member", "handler", "--seal-holder", "head", "--as", "admin"], dir: dir
            ).status == 0)
        for user in ["clerk", "reviewer"] {
            #expect(
                try W.run(["group", "grant", "office", "--to", user, "--recovery", recovery], dir: dir).status == 0)
        }
    }

    static func register(_ dir: URL, phone: String) throws -> String {
        let letter =
            #"{"channel":"website","sender":{"name":"錢七","contact":"\#(phone)"},"subject":"路面","content":"路面坑洞"}"#
        return try W.run(["case", "register", "--as", "clerk"], dir: dir, input: letter).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func sidePaths() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.setUp(dir)
        let a = try Self.register(dir, phone: "13900001111")
        let letter =
            #"{"channel":"hotline","sender":{"name":"錢七","contact":"139-0000-1111"},"subject":"路面","content":"又壞"}"#
        let second = try W.run(["case", "register", "--as", "clerk"], dir: dir, input: letter)
        let b = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The clerk is told at once that the writer wrote before (M2.2), on standard error; stdout is the number.
        #expect(second.stderr.contains("repeat writer (重復來信): earlier letter(s) \(a)"), "\(second.stderr)")
        let c = try Self.register(dir, phone: "13600000000")
        // Repeat writers by phone, whatever the formatting (M2.2, blind index).
        let found = try W.run(
            ["case", "search", "--by", "phone", "--as", "clerk"], dir: dir, input: "+86 139 0000 1111")
        #expect(found.stdout.split(separator: "\n").map(String.init) == [a, b])
        // On the spot (M4.1.3).
        let spot = try W.run(["case", "answer", c, "--as", "clerk"], dir: dir, input: "已當場答覆")
        #expect(spot.status == 0 && spot.stdout.contains("replied"))
        // Extension (M4.2.2): over the cap refused, a reasonable one approved with a notice.
        let slip = #"{"matter":"修補","requirements":"修補坑洞"}"#
        #expect(
            try W.run(["case", "assign", a, "--lead", "transport", "--as", "clerk"], dir: dir, input: slip).status == 0)
        #expect(try W.run(["case", "sign-for", a, "--handler", "handler", "--as", "head"], dir: dir).status == 0)
        #expect(
            try W.run(["case", "extension", a, "--request", "40", "--as", "handler"], dir: dir, input: "複雜").status
                == 65)
        #expect(
            try W.run(["case", "extension", a, "--request", "5", "--as", "handler"], dir: dir, input: "複雜").status == 0)
        let approved = try W.run(["case", "extension", a, "--approve", "--as", "reviewer"], dir: dir, input: "需協調")
        #expect(approved.status == 0 && approved.stdout.contains("sender.notified"))
        // Supervision (M5.2): open, notice, rectify (by the department), close.
        #expect(
            try W.run(["case", "supervise", a, "open", "--method", "phone", "--as", "reviewer"], dir: dir).status == 0)
        #expect(try W.run(["case", "supervise", a, "notice", "--as", "reviewer"], dir: dir, input: "限期整改").status == 0)
        #expect(try W.run(["case", "supervise", a, "rectify", "--as", "head"], dir: dir, input: "已整改").status == 0)
        #expect(try W.run(["case", "supervise", a, "close", "--as", "reviewer"], dir: dir).status == 0)
        #expect(try W.run(["case", "supervise", a, "close", "--as", "reviewer"], dir: dir).status == 65)
        // Tracking far ahead: the case is overdue (M5.1.1).
        let track = try W.run(["case", "track", "--on", "2026-12-30", "--as", "clerk"], dir: dir)
        #expect(track.status == 0, "\(track.stderr)")
        #expect(track.stdout.contains(a) && track.stdout.contains("overdue"))
        // Restriction (M6.2.2): the clerk loses the key, the reviewer keeps it.
        #expect(try W.run(["case", "restrict", b, "--reader", "reviewer", "--as", "reviewer"], dir: dir).status == 0)
        #expect(try W.run(["case", "show", b, "--purpose", "x", "--as", "clerk"], dir: dir).status == 77)
        #expect(try W.run(["case", "show", b, "--purpose", "x", "--as", "reviewer"], dir: dir).status == 0)
    }
}

/// `sealbox shell`: one unlock for many commands; sensitive steps ask again; the shell acts as one user only.
struct ShellCLITests {
    @Test func oneUnlockManyCommandsAndSensitiveStepsAskAgain() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        // The passphrase is the first line of standard input (--passphrase-fd 0); the environment holds a wrong
        // one, so any second unlock would fail: the commands below prove the session is reused.
        let script =
            [
                "pw",
                "case register",
                #"{"channel":"post","sender":{"name":"孫八","contact":"13700000000"},"subject":"s","content":"c"}"#,
                ".",
                "case list",
                "case list --as reviewer",
                "group grant office --to head",
                "pw",
                "exit",
            ].joined(separator: "\n") + "\n"
        let out = try WorkflowCLITests.run(
            ["shell", "--as", "clerk", "--passphrase-fd", "0"], dir: dir, passphrase: "wrong", input: script)
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("clerk unlocked"))
        #expect(out.stdout.contains("2026-000001\tregistered"))
        #expect(out.stderr.contains("this shell acts as clerk"))
        #expect(out.stdout.contains("granted office to head"))
        // A wrong answer to the sensitive re-ask is refused (77) and counted.
        let bad = try WorkflowCLITests.run(
            ["shell", "--as", "clerk", "--passphrase-fd", "0"], dir: dir, passphrase: "wrong",
            input: "pw\ngroup grant office --to handler\nnot-the-passphrase\nexit\n")
        #expect(bad.stdout.contains("(exit 77)"))
        #expect(!bad.stdout.contains("granted office to handler"))
    }
}

/// Documents from templates and `--json` listings.
struct DocumentCLITests {
    @Test func slipAndReplyRenderFromTemplatesInBothLanguages() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let n = try SidePathCLITests.register(dir, phone: "13900002222")
        let slip = #"{"matter":"修補坑洞","requirements":"五日內修補"}"#
        #expect(
            try WorkflowCLITests.run(
                ["case", "assign", n, "--lead", "transport", "--as", "clerk"], dir: dir, input: slip
            ).status == 0)
        let zh = try WorkflowCLITests.run(["case", "document", n, "--kind", "slip", "--as", "clerk"], dir: dir)
        #expect(zh.status == 0 && zh.stdout.hasPrefix("市長信箱來信交辦單") && zh.stdout.contains("修補坑洞"))
        #expect(zh.stdout.contains("辦理期限：2026-03-23"))
        let en = try WorkflowCLITests.run(
            ["case", "document", n, "--kind", "slip", "--lang", "en", "--as", "clerk"], dir: dir)
        #expect(en.stdout.hasPrefix("Mayor's Mailbox Letter Assignment Slip"))
        let early = try WorkflowCLITests.run(["case", "document", n, "--kind", "reply", "--as", "clerk"], dir: dir)
        #expect(early.status == 65 && early.stderr.contains("nothing for a reply"))
        #expect(
            try WorkflowCLITests.run(["case", "document", n, "--kind", "poem", "--as", "clerk"], dir: dir).status == 64)
        let json = try WorkflowCLITests.run(
            ["case", "list", "--json", "--due-before", "2026-03-31", "--as", "clerk"], dir: dir)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["number"] == n && object?["status"] == "assigned")
        let none = try WorkflowCLITests.run(["case", "list", "--due-before", "2026-03-20", "--as", "clerk"], dir: dir)
        #expect(none.status == 0 && none.stdout.isEmpty)
    }
}

/// The role matrix through the CLI.
///
/// Every role × read/write command × own / other department / restricted case.
/// Allowed where `Policies/roles.toml` allows, exit 77 everywhere else (65 where the state, not the role, refuses).
struct RoleMatrixCLITests {
    @Test func rolesReachOnlyWhatTheyMay() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = WorkflowCLITests.positional
        let recovery = dir.appendingPathComponent("recovery.key").path
        #expect(try run(["init", "--admin", "admin", "--recovery-out", recovery], dir, "pw", "").status == 0)
        let people: [(String, [String])] = [
            ("clerk", ["--role", "clerk"]), ("reviewer", ["--role", "reviewer"]),
            ("head", ["--role", "department_head", "--department", "transport"]),
            ("handler", ["--role", "handler", "--department", "transport"]),
            ("otherhead", ["--role", "department_head", "--department", "health"]),
            ("archivist", ["--role", "archivist"]), ("auditor", ["--role", "auditor"]),
        ]
        for (login, extra) in people {
            #expect(try run(["user", "add", login] + extra + ["--as", "admin"], dir, "pw", "").status == 0)
        }
        #expect(
            try run(
                ["dept", "add", "transport", "--member", "handler", "--seal-holder", "head", "--as", "admin"], dir,
                "pw", ""
            ).status == 0)
        #expect(
            try run(["dept", "add", "health", "--seal-holder", "otherhead", "--as", "admin"], dir, "pw", "").status == 0
        )
        for user in ["clerk", "reviewer"] {
            #expect(
                try run(["group", "grant", "office", "--to", user, "--recovery", recovery], dir, "pw", "").status == 0)
        }
        #expect(
            try run(["group", "grant", "archive", "--to", "archivist", "--recovery", recovery], dir, "pw", "").status
                == 0)
        let own = try SidePathCLITests.register(dir, phone: "13900003333")  // transport, handler named
        let other = try SidePathCLITests.register(dir, phone: "13900004444")  // health
        let restricted = try SidePathCLITests.register(dir, phone: "13900005555")  // restricted to reviewer
        let fresh = try SidePathCLITests.register(dir, phone: "13900006666")  // registered, for write attempts
        let slip = #"{"matter":"事項","requirements":"要求"}"#
        #expect(try run(["case", "assign", own, "--lead", "transport", "--as", "clerk"], dir, "pw", slip).status == 0)
        #expect(try run(["case", "sign-for", own, "--handler", "handler", "--as", "head"], dir, "pw", "").status == 0)
        #expect(try run(["case", "assign", other, "--lead", "health", "--as", "clerk"], dir, "pw", slip).status == 0)
        #expect(
            try run(["case", "restrict", restricted, "--reader", "reviewer", "--as", "reviewer"], dir, "pw", "").status
                == 0)

        let users = ["clerk", "reviewer", "head", "handler", "otherhead", "archivist", "auditor", "admin"]
        // Reading personal data: who may read which case.
        let readable: [String: Set<String>] = [
            own: ["clerk", "reviewer", "head", "handler"], other: ["clerk", "reviewer", "otherhead"],
            restricted: ["reviewer"],
        ]
        var cells = 0
        for (number, allowed) in readable {
            for user in users {
                let result = try run(["case", "show", number, "--purpose", "matrix", "--as", user], dir, "pw", "")
                #expect(
                    result.status == (allowed.contains(user) ? 0 : 77), "show \(number) as \(user): \(result.stderr)")
                if result.status != 0 { #expect(result.stderr.split(separator: "\n").count == 1) }
                cells += 1
            }
        }
        // Metadata listing: every role granted case.read_metadata (not handlers, not the administrator).
        for user in users {
            let denied = user == "admin" || user == "handler"
            #expect(
                try run(["case", "list", "--as", user], dir, "pw", "").status == (denied ? 77 : 0), "list as \(user)")
            cells += 1
        }
        // Writing: assigning is the clerk's; sealing is the lead department head's; reviewing the reviewer's.
        for user in users {
            let assign = try run(["case", "assign", fresh, "--lead", "transport", "--as", user], dir, "pw", slip)
            #expect(assign.status == (user == "clerk" ? 0 : 77), "assign as \(user): \(assign.stderr)")
            if user == "clerk" { break }  // assigned now; the rest of the matrix would test the state
            cells += 1
        }
        for user in users where user != "reviewer" {
            let review = try run(["case", "review", own, "--approve", "--as", user], dir, "pw", "")
            #expect(review.status == 77, "review as \(user)")
            cells += 1
        }
        // The reviewer may review, but the case has no sealed feedback: the state refuses (65), not the role.
        #expect(try run(["case", "review", own, "--approve", "--as", "reviewer"], dir, "pw", "").status == 65)
        for user in ["clerk", "handler", "otherhead", "archivist", "auditor", "admin"] {
            #expect(try run(["case", "seal", own, "--as", user], dir, "pw", "").status == 77, "seal as \(user)")
            cells += 1
        }
        print("role matrix through the CLI: \(cells) cells checked")
    }
}

/// The hotline form: prompts in order, validation as the clerk types, read-back, save only on `y`.
struct HotlineFormCLITests {
    @Test func formValidatesReadsBackAndSavesOnlyOnYes() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        // channel, name, contact (bad, then good), ID, subject (empty, then given), content, priority, save.
        let answers = ["", "周九", "12", "13900000010", "", "", "公交改線", "公交改線後", "不方便", ".", "", "y"]
        let saved = try WorkflowCLITests.run(
            ["case", "register", "--form", "--as", "clerk"], dir: dir, input: answers.joined(separator: "\n") + "\n")
        #expect(saved.status == 0, "\(saved.stderr)")
        #expect(saved.stdout.contains("a phone number (7+ digits) or an e-mail address"))
        #expect(saved.stdout.contains("a subject is needed (M2.2.1)"))
        #expect(saved.stdout.contains("— read back —") && saved.stdout.contains("sender: 周九"))
        #expect(saved.stdout.hasSuffix("2026-000001\n"))
        let declined = try WorkflowCLITests.run(
            ["case", "register", "--form", "--as", "clerk"], dir: dir,
            input: ["", "周九", "13900000010", "", "s", "c", ".", "", "n"].joined(separator: "\n") + "\n")
        #expect(declined.status == 0 && declined.stdout.hasSuffix("not saved\n"))
        let abandoned = try WorkflowCLITests.run(
            ["case", "register", "--form", "--as", "clerk"], dir: dir, input: "\n")
        #expect(abandoned.status == 66)
        let list = try WorkflowCLITests.run(["case", "list", "--as", "clerk"], dir: dir)
        #expect(list.stdout.split(separator: "\n").count == 1)
    }
}

/// Refusals leave the store unchanged: each a one-line error with its exit code, and no event written.
struct RefusalCLITests {
    @Test func refusalsAreOneLineWithTheirCodeAndChangeNothing() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let n = try SidePathCLITests.register(dir, phone: "13900007777")
        func eventCount() throws -> Int {
            try WorkflowCLITests.run(["audit", "log"], dir: dir).stdout.split(separator: "\n").count
        }
        let before = try eventCount()
        let cases: [([String], String, Int32)] = [
            (["case", "show", "2026-009999", "--purpose", "x", "--as", "clerk"], "", 66),  // unknown case
            (["case", "show", "2026-1", "--purpose", "x", "--as", "clerk"], "", 64),  // malformed number
            (["case", "register", "--as", "clerk"], "{", 65),  // malformed JSON
            (["case", "progress", n, "--expected", "2026-02-30", "--as", "clerk"], "x", 64),  // invalid date
            (["case", "review", n, "--approve", "--as", "reviewer"], "", 65),  // no sealed feedback
            (["case", "seal", n, "--as", "head"], "", 77),  // not assigned to transport: no key
            (["case", "close", n, "--as", "clerk"], "", 65),  // not answered
        ]
        for (args, input, code) in cases {
            let out = try WorkflowCLITests.run(args, dir: dir, input: input)
            #expect(out.status == code, "\(args): \(out.stderr)")
            #expect(out.stderr.split(separator: "\n").count == 1, "\(args)")
            #expect(out.stderr.hasPrefix("sealbox: error:") && !out.stderr.contains("錢七"))
        }
        // Reads are logged (the failed ones are not); nothing else changed.
        #expect(try eventCount() == before)
        // Five wrong passphrases lock the account (75, try again later), logged.
        for _ in 0..<5 {
            #expect(
                try WorkflowCLITests.run(["case", "list", "--as", "clerk"], dir: dir, passphrase: "bad").status == 77)
        }
        let locked = try WorkflowCLITests.run(["case", "list", "--as", "clerk"], dir: dir)
        #expect(locked.status == 75 && locked.stderr.contains("locked"))
        let log = try WorkflowCLITests.run(["audit", "log", "--kind", "user.locked"], dir: dir)
        #expect(log.stdout.contains("clerk"))
    }
}
