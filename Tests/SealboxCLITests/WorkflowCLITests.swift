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
    static func run(_ args: [String], dir: URL, passphrase: String = "pw", input: String = "") throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["SEALBOX_STORE"] = dir.appendingPathComponent("s.db").path
        env["SEALBOX_POLICIES"] = PolicyCLITests.policies
        env["SEALBOX_PASSPHRASE"] = passphrase
        env["SEALBOX_NEW_PASSPHRASE"] = "pw"
        process.environment = env
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
