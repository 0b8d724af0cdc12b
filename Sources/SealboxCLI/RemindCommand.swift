internal import ArgumentParser
import Foundation
import Mustache
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxStore

/// `sealbox remind`: one reminder notice per department into an outbox folder (M5.1.2); safe to run from cron.
struct RemindCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remind",
        abstract: "Remind departments of letters due soon or overdue: one notice per department into an outbox.",
        discussion: """
            Finds the cases due within the policy's lead time, overdue, progress-overdue or sign-for-overdue; records \
            a reminder.sent event for each (at most once per case and day: a second run the same day sends nothing \
            again); and writes one notice per department, rendered from \
            Policies/templates/department-reminder.<lang>.mustache, as OUTBOX/<date>/<department>.txt (a later run \
            the same day adds <department>-2.txt for newly due cases). Notices name numbers and dates only. \
            Cron, weekdays at 8:00: 0 8 * * 1-5 sealbox remind --outbox /srv/sealbox/outbox --as office.bot
            """)
    @OptionGroup var actor: ActorOptions
    @Option(help: "The outbox folder.") var outbox: String
    @Option(help: "zh (default) or en.") var lang = "zh"

    func run() async throws {
        guard ["zh", "en"].contains(lang) else { throw CLIError(.usage, "--lang must be zh or en") }
        let path = PolicyLoading.folder(actor.store.policies) + "/templates/department-reminder.\(lang).mustache"
        let template: MustacheTemplate
        do { template = try MustacheTemplate(string: try readText(path)) } catch let error as CLIError {
            throw error
        } catch { throw CLIError(.dataError, "\(path) is not a valid Mustache template") }
        let (store, user) = try actor.unlock()
        // Today, always: a reminder is sent on the day it is recorded (once per case and day).
        let today = store.policies.localDate(Clock.now)
        let groups: [(department: DepartmentID, items: [Tracking.Item])]
        do { groups = try store.remindDue(on: today, by: user, at: Clock.now) } catch let error as CoreError {
            throw CLIError(.dataError, error.message)
        } catch { throw CLIError.from(store: error) }
        let folder = "\(outbox)/\(today)"
        do { try FileStreams.makeDirectory(folder) } catch { throw CLIError(.cannotCreate, "cannot create \(folder)") }
        for group in groups {
            let cases: [[String: String]] = group.items.map { item in
                let days =
                    item.workingDaysLeft >= 0
                    ? (lang == "zh" ? "剩餘 \(item.workingDaysLeft) 個工作日" : "\(item.workingDaysLeft) working days left")
                    : (lang == "zh"
                        ? "已逾期 \(-item.workingDaysLeft) 個工作日" : "\(-item.workingDaysLeft) working days overdue")
                return [
                    "number": item.number.description, "deadline": item.deadline.description, "days": days,
                    "reasons": item.flags.map(\.rawValue).joined(separator: ", "),
                ]
            }
            let text = template.render([
                "department": group.department.rawValue, "date": today.description, "cases": cases,
            ])
            var name = "\(folder)/\(group.department.rawValue).txt"
            var n = 2
            while FileStreams.exists(name) {
                name = "\(folder)/\(group.department.rawValue)-\(n).txt"
                n += 1
            }
            do { try FileStreams.writeFile(name, Array(text.utf8), exclusive: true) } catch {
                throw CLIError(.cannotCreate, "cannot write \(name)")
            }
            print("\(group.department)\t\(group.items.count) case(s)\t\(name)")
        }
        let total = groups.reduce(0) { $0 + $1.items.count }
        print("\(total) reminder(s) to \(groups.count) department(s) on \(today)")
    }
}
