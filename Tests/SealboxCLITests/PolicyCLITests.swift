import Foundation
import Testing

/// `sealbox policies check` and `sealbox deadline`, run as a user would.
struct PolicyCLITests {
    static let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Policies").path

    @Test func checkReportsWhatIsInForce() throws {
        let result = try CLITests.sealbox(["policies", "check", "--policies", Self.policies])
        #expect(result.status == 0)
        #expect(result.stdout.contains("general 15 (M4.2.1)"))
        #expect(result.stdout.contains("years 2025, 2026"))
    }

    @Test func aBrokenPolicyIsExit65NamingFileAndKey() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Self.policies, toPath: dir.appendingPathComponent("P").path)
        let file = dir.appendingPathComponent("P/deadlines.toml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "reminder_lead = 3", with: "reminder_leed = 3").write(
            to: file, atomically: true, encoding: .utf8)
        let result = try CLITests.sealbox(["policies", "check", "--policies", dir.appendingPathComponent("P").path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("deadlines.toml"))
        #expect(result.stderr.contains("reminder_leed"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let missing = try CLITests.sealbox(["policies", "check", "--policies", "/nonexistent"])
        #expect(missing.status == 66)
    }

    @Test func deadlineExplainsAndRefusesUncoveredYears() throws {
        let ok = try CLITests.sealbox(["deadline", "--from", "2026-02-13", "--policies", Self.policies])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("skipping Spring Festival"))
        #expect(ok.stdout.hasSuffix(": 2026-03-12\n"))
        let urgent = try CLITests.sealbox(["deadline", "--from", "2026-09-30", "--urgent", "--policies", Self.policies])
        #expect(urgent.stdout.hasSuffix(": 2026-10-10\n"))
        let uncovered = try CLITests.sealbox(["deadline", "--from", "2026-12-24", "--policies", Self.policies])
        #expect(uncovered.status == 65)
        #expect(uncovered.stderr.contains("cn-2027.toml"))
        let bad = try CLITests.sealbox(["deadline", "--from", "2026-02-30", "--policies", Self.policies])
        #expect(bad.status == 64)
    }
}
