import Foundation
import SealboxCore
import Testing

struct PolicyTests {
    @Test func shippedPoliciesLoadWithTheSpecDefaults() throws {
        let p = try Fixtures.policies()
        #expect(p.deadlines.general == 15)  // M4.2.1
        #expect(p.deadlines.maximumWithExtension == 30)  // M4.2.2
        #expect(p.deadlines.urgent == 3)  // M4.2.3
        #expect(p.deadlines.urgentProgressEvery == 1)  // M3.2.2
        #expect(p.deadlines.signFor == 1)  // M3.1.3
        #expect(p.deadlines.reminderLead == 3)  // M5.1.2
        #expect(p.deadlines.rectification == 5)  // M5.2.3
        #expect(p.utcOffsetSeconds == 8 * 3600)
        #expect(p.calendar.years == [2025, 2026])
        #expect(Set(p.roles.keys) == Set(Role.allCases))
        #expect(p.defaultRetention.name == "standard")
        #expect(p.retentionClasses["permanent"] == 0)
        #expect(p.idleLockMinutes == 10 && p.maxFailedUnlocks == 5 && p.lockMinutes == 15)
    }

    @Test func everyKeyInEveryPolicyFileHasAComment() throws {
        for (name, text) in try Fixtures.policyFiles() {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for (index, line) in lines.enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard let eq = trimmed.firstIndex(of: "="), !trimmed.hasPrefix("#"), !trimmed.hasPrefix("\""),
                    trimmed.first?.isLetter == true
                else { continue }
                let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
                let previous = index > 0 ? lines[index - 1].trimmingCharacters(in: .whitespaces) : ""
                #expect(previous.hasPrefix("#"), "Policies/\(name): key '\(key)' has no comment above it")
            }
        }
    }

    /// Replaces `old` with `new` in one file and expects a load error naming the file and `mention`.
    @Test(arguments: [
        ("deadlines.toml", "general_working_days = 15", "general_working_days = \"15\"", "general_working_days"),
        ("deadlines.toml", "general_working_days = 15", "general_working_dayz = 15", "general_working_dayz"),
        ("deadlines.toml", "general_working_days = 15", "general_working_days = 45", "maximum_with_extension"),
        ("deadlines.toml", "reminder_lead = 3", "reminder_lead = -1", "reminder_lead"),
        ("deadlines.toml", "[time]", "[tyme]", "tyme"),
        ("deadlines.toml", "open_on_returned_feedback = true", "open_on_returned_feedback = yes", "unsupported value"),
        ("roles.toml", "scope = \"office\"", "scope = \"city\"", "scope"),
        ("roles.toml", "\"case.register\",", "\"case.regster\",", "case.regster"),
        ("roles.toml", "[roles.auditor]", "[roles.mayor]", "mayor"),
        ("retention.toml", "default_class = \"standard\"", "default_class = \"forever\"", "forever"),
        ("assessment.toml", "on_time = 0.4", "on_time = 0.5", "add up to 1"),
        ("assessment.toml", "minimum_cases = 3", "minimum_cases = 3\nmaximum_cases = 9", "maximum_cases"),
        (
            "calendars/cn-2026.toml", "days_off = \"2026-10-01..2026-10-07\"", "days_off = \"2026-10-07..2026-10-01\"",
            "days_off"
        ),
    ])
    func malformedOrUnknownKeysAreClearErrors(file: String, old: String, new: String, mention: String) throws {
        var files = try Fixtures.policyFiles()
        let original = try #require(files[file])
        #expect(original.contains(old), "fixture text not found in \(file)")
        files[file] = original.replacingOccurrences(of: old, with: new)
        let error = #expect(throws: CoreError.self) { try Policies.load(files: files) }
        #expect(error?.code == .invalidPolicy)
        #expect(error?.message.contains("Policies/\(file)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(mention) == true, "\(error?.message ?? "")")
    }

    @Test func missingFilesAndCalendarsAreClearErrors() throws {
        var files = try Fixtures.policyFiles()
        files["roles.toml"] = nil
        #expect(throws: CoreError(.invalidPolicy, "Policies/roles.toml is missing")) { try Policies.load(files: files) }
        files = try Fixtures.policyFiles().filter { !$0.key.hasPrefix("calendars/") }
        let error = #expect(throws: CoreError.self) { try Policies.load(files: files) }
        #expect(error?.message.contains("no cn-YEAR.toml") == true)
    }

    @Test func tomlReaderRefusesWhatItDoesNotSupport() throws {
        for text in ["[[holiday]]\n", "a = 1\na = 2\n", "a = [1, \n", "a = 'x'\n", "a = \"x\n", "= 1\n", "a b = 1\n"] {
            #expect(throws: CoreError.self, "\(text)") { try TOMLDocument(parsing: text, fileName: "t.toml") }
        }
        #expect(throws: Never.self) {
            try TOMLDocument(
                parsing: "# c\na = [\n  \"x\", # one\n  \"y\",\n]\nb = \"#not a comment\"\n", fileName: "t")
        }
        // `#`, `=`, `,`, brackets and escaped quotes inside strings are text, not syntax.
        let document = try TOMLDocument(
            parsing: #"""
                "k=v" = "a = \"b\" # c"
                list = ["x, [y]", "\"#\"", "z"] # a comment
                """#, fileName: "t")
        let root = document.tables[""] ?? [:]
        #expect(root["k=v"]?.value == .string(#"a = "b" # c"#))
        #expect(root["list"]?.value == .array([.string("x, [y]"), .string(##""#""##), .string("z")]))
    }

    @Test func denyByDefaultAndScopes() throws {
        let p = try Fixtures.policies()
        #expect(p.scope(of: Fixtures.clerk, for: .register) == .office)
        #expect(p.scope(of: Fixtures.clerk, for: .review) == nil)
        #expect(p.scope(of: Fixtures.handler, for: .draftFeedback) == .handler)
        #expect(p.scope(of: Fixtures.head, for: .sealFeedback) == .department)
        #expect(p.scope(of: Fixtures.admin, for: .readPersonal) == nil)  // administrators read no personal data
        #expect(p.scope(of: Fixtures.auditor, for: .readPersonal) == nil)  // nor do auditors
        #expect(p.scope(of: Actor(id: "nobody", roles: []), for: .readMetadata) == nil)
    }
}
