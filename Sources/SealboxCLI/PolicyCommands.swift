import ArgumentParser
internal import SealboxCore

/// `sealbox policies check`: validates `Policies/` and prints what is in force.
struct PoliciesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policies", abstract: "Validate and show the policies in force (Policies/*.toml).",
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load every policy file; report the first problem with its file and key (exit 65).")

        @Option(help: "The policy folder (default: $SEALBOX_POLICIES or ./Policies).")
        var policies: String?

        func run() async throws {
            let p = try PolicyLoading.load(policies)
            let d = p.deadlines
            print("policies: \(PolicyLoading.folder(policies)) valid")
            print(
                "deadlines (working days): general \(d.general) (M4.2.1), with extension at most "
                    + "\(d.maximumWithExtension) (M4.2.2), urgent \(d.urgent) (M4.2.3), urgent progress every "
                    + "\(d.urgentProgressEvery) (M3.2.2), sign-for \(d.signFor) (M3.1.3), reminder lead "
                    + "\(d.reminderLead) (M5.1.2), rectification \(d.rectification) (M5.2.3)")
            let years = p.calendar.years.sorted().map(String.init).joined(separator: ", ")
            print("calendar: \(p.calendar.region), years \(years), \(p.calendar.holidays.count) holidays")
            for role in Role.allCases {
                guard let r = p.roles[role] else {
                    print("role \(role.rawValue): no permissions (deny by default)")
                    continue
                }
                print("role \(role.rawValue): scope \(r.scope.rawValue), \(r.permissions.count) permissions")
            }
            let classes = p.retentionClasses.sorted { $0.key < $1.key }.map {
                "\($0.key) \($0.value == 0 ? "permanent" : "\($0.value)y")"
            }
            print("retention: \(classes.joined(separator: ", ")); default \(p.defaultRetention)")
        }
    }
}

/// `sealbox deadline`: a working-day deadline that explains itself.
struct DeadlineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadline",
        abstract: "Compute a deadline in working days under the national calendar, and explain it.")

    @Option(help: "Day 0, YYYY-MM-DD (the assignment date).")
    var from: String
    @Option(help: "Working days to add (default: the general deadline, M4.2.1).")
    var days: Int?
    @Flag(help: "Use the urgent deadline (M4.2.3).")
    var urgent = false
    @Option(help: "The policy folder (default: $SEALBOX_POLICIES or ./Policies).")
    var policies: String?

    func validate() throws {
        if let days, days < 0 || days > 365 { throw ValidationError("--days must be 0...365") }
    }

    func run() async throws {
        let p = try PolicyLoading.load(policies)
        let start = try parseDate(from)
        let count = days ?? (urgent ? p.deadlines.urgent : p.deadlines.general)
        do {
            print(try p.calendar.adding(workingDays: count, to: start))
        } catch {
            throw CLIError(.dataError, error.message)
        }
    }
}
