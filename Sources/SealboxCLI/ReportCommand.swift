internal import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxReport
internal import SealboxStore

/// The report's output formats.
enum ReportFormat: String, CaseIterable { case html, csv, json }

/// `sealbox report …`: the assessment report (M7) from clear metadata only.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Assessment reports (M7): HTML with SVG charts, CSV or JSON; no personal data.",
        subcommands: [Assess.self, Refresh.self])

    struct Assess: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assess departments over a period: on-time rate, quality, satisfaction, supervisions, ranks.",
            discussion: """
                The period: 2026-Q3, 2026-07, 2026, or 2026-07-01..2026-09-30. Read from clear metadata only \
                (no case is opened): any user who may read case metadata can run it. Commendations and notices \
                follow the thresholds in Policies/assessment.toml.
                """)
        @OptionGroup var actor: ActorOptions
        @Option(help: "The period.") var period: String
        @Option(help: "html, csv or json.") var format = "html"
        @Option(help: "zh or en (HTML labels).") var lang = "zh"
        @Option(help: "Write to this file (default: standard output).") var out: String?

        func run() async throws {
            let chosen: ReportFormat = try parseChoice(format, "format")
            let language: AssessmentReport.Language = try parseChoice(lang, "language")
            let (from, to): (CivilDate, CivilDate)
            do { (from, to) = try AssessmentReport.period(period) } catch { throw CLIError(.usage, error.message) }
            let (store, user) = try actor.unlock()
            let (facts, stale) = try storeCall { try store.reportFacts(by: user.actor) }
            let report: AssessmentReport
            do {
                report = try AssessmentReport(
                    facts: facts, from: from, to: to, policies: store.policies,
                    generatedOn: store.policies.localDate(Clock.now), stale: stale)
            } catch { throw CLIError(.dataError, error.message) }
            let text =
                switch chosen {
                case .csv: report.csv()
                case .json: report.json()
                case .html: report.html(language: language)
                }
            if let out {
                do { try FileStreams.writeFile(out, Array(text.utf8)) } catch {
                    throw CLIError(.cannotCreate, "cannot write \(out)")
                }
                print(
                    "assessment \(report.report.from)..\(report.report.to): "
                        + "\(report.report.departments.count) department(s) → \(out)")
            } else {
                print(text, terminator: "")
            }
            if stale > 0 {
                FileStreams.writeStandardError(
                    "note: \(stale) case(s) lack assessment facts; run sealbox report refresh --as CLERK\n")
            }
        }
    }

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill the assessment facts of cases written before this version (an office holder).")
        @OptionGroup var actor: ActorOptions

        func run() async throws {
            let (store, user) = try actor.unlock()
            let n = try storeCall { try store.refreshReportFacts(by: user) }
            print("\(n) case(s) refreshed")
        }
    }
}
