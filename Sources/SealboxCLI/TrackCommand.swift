internal import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxStore

/// `sealbox track`: the overdue dashboard, one line per department (M5.1.1), from metadata only.
struct TrackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract:
            "Per department: due soon, overdue, progress and sign-for overdue, supervised, the oldest overdue case.",
        discussion: "Colour only on a terminal (and never with NO_COLOR set). `case track` lists the cases one by one.")
    @OptionGroup var actor: ActorOptions
    @Option(help: "The day to track on, YYYY-MM-DD (default today).") var on: String?
    @Flag(help: "One JSON object per department.") var json = false

    struct Row {
        var department: DepartmentID
        var counts: [Tracking.Flag: Int] = [:]
        var supervised = 0
        var oldest: Tracking.Item?
    }

    /// The dashboard rows, worst first (most overdue, then most due soon).
    static func rows(_ items: [Tracking.Item]) -> [Row] {
        var rows: [DepartmentID: Row] = [:]
        for item in items {
            var row = rows[item.department] ?? Row(department: item.department)
            for flag in item.flags { row.counts[flag, default: 0] += 1 }
            if item.isSupervised { row.supervised += 1 }
            if item.flags.contains(.overdue), item.workingDaysLeft < (row.oldest?.workingDaysLeft ?? 1) {
                row.oldest = item
            }
            rows[item.department] = row
        }
        return rows.values.sorted {
            let a = ($0.counts[.overdue] ?? 0, $0.counts[.dueSoon] ?? 0)
            let b = ($1.counts[.overdue] ?? 0, $1.counts[.dueSoon] ?? 0)
            return a != b ? a > b : $0.department < $1.department
        }
    }

    /// The cases needing attention on `on` (default today), for `track` and `case track`.
    static func items(_ actor: ActorOptions, on: String?) throws -> (CivilDate, [Tracking.Item]) {
        let (store, user) = try actor.unlock()
        let today = try on.map(parseDate) ?? store.policies.localDate(Clock.now)
        do { return (today, try store.track(on: today, by: user, at: Clock.now)) } catch let error as CoreError {
            throw CLIError(.dataError, error.message)
        } catch { throw CLIError.from(store: error) }
    }

    func run() async throws {
        let (today, items) = try Self.items(actor, on: on)
        let rows = Self.rows(items)
        if json {
            for r in rows {
                var fields = [
                    "department": r.department.rawValue, "supervised": "\(r.supervised)",
                    "oldest_overdue": r.oldest?.number.description ?? "",
                ]
                for flag in Tracking.Flag.allCases { fields[flag.rawValue] = "\(r.counts[flag] ?? 0)" }
                print(jsonLine(fields))
            }
            return
        }
        let colour = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        func paint(_ text: String, _ code: String, when: Bool) -> String {
            colour && when ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
        }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        print("tracking on \(today): \(items.count) case(s) need attention in \(rows.count) department(s)")
        print(
            pad("department", 14) + pad("overdue", 9) + pad("due soon", 10) + pad("progress", 10) + pad("sign-for", 10)
                + pad("supervised", 12) + "oldest overdue")
        for r in rows {
            let overdue = r.counts[.overdue] ?? 0
            let soon = r.counts[.dueSoon] ?? 0
            let oldest = r.oldest.map { "\($0.number) (\(-$0.workingDaysLeft) working days late)" } ?? "—"
            print(
                pad(r.department.rawValue, 14) + paint(pad("\(overdue)", 9), "1;31", when: overdue > 0)
                    + paint(pad("\(soon)", 10), "33", when: soon > 0) + pad("\(r.counts[.progressOverdue] ?? 0)", 10)
                    + pad("\(r.counts[.signForOverdue] ?? 0)", 10) + pad("\(r.supervised)", 12) + oldest)
        }
        if rows.isEmpty { print("nothing needs attention") }
    }
}
