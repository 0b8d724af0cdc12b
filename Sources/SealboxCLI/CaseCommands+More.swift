import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxStore

extension CaseCommand {
    struct Answer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer on the spot (M4.1.3); the answer on standard input.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "How it was answered.") var method: String = "phone"

        func run() async throws {
            let m: SealboxCore.Reply.Method = try parseChoice(method, "method")
            try CaseCommand.apply(.answerOnSpot(text: Personal(try readStandardInput()), method: m), number, actor)
        }
    }

    struct Contact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a contact with the sender (M4.1.2); the summary on standard input.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "phone, sms, email, letter, visit.") var method: String = "phone"

        func run() async throws {
            let m: ContactRecord.Method = try parseChoice(method, "method")
            try CaseCommand.apply(.recordContact(method: m, summary: Personal(try readStandardInput())), number, actor)
        }
    }

    struct Extension: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Request an extension (reason on stdin) or decide one (notice to the sender on stdin) (M4.2.2).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "Request this many more working days.") var request: Int?
        @Flag(help: "Approve the pending request.") var approve = false
        @Flag(help: "Refuse the pending request.") var refuse = false

        func validate() throws {
            guard [request != nil, approve, refuse].filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --request N, --approve, --refuse")
            }
        }

        func run() async throws {
            let text = Personal(try readStandardInput())
            if let request {
                try CaseCommand.apply(.requestExtension(workingDays: request, reason: text), number, actor)
            } else {
                try CaseCommand.apply(
                    .decideExtension(approve: approve, senderNotice: text.value.isEmpty ? nil : text), number, actor)
            }
        }
    }

    struct Contribute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A co-department's contribution to a joint matter (M3.2.1); text on standard input.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String

        func run() async throws {
            try CaseCommand.apply(.contribute(text: Personal(try readStandardInput())), number, actor)
        }
    }

    struct Reassign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reassign with a new slip, keeping history: JSON {matter, requirements, reason} on stdin.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "The new lead department.") var lead: String
        @Option(help: "A co-department (repeat).") var co: [String] = []

        struct Input: Decodable {
            var matter: String
            var requirements: String
            var reason: String
        }

        func run() async throws {
            let i = try decodeStandardInput(Input.self, what: "the reassignment")
            try CaseCommand.apply(
                .reassign(
                    .init(
                        lead: DepartmentID(lead), coDepartments: co.map { DepartmentID($0) },
                        matter: Personal(i.matter),
                        requirements: Personal(i.requirements)), reason: Personal(i.reason)), number, actor)
        }
    }

    struct Restrict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Restrict a case to named readers (M6.2.2): its key leaves the office group.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "A reader who keeps access (repeat).") var reader: [String]

        func run() async throws {
            let (store, user) = try actor.unlock(sensitive: true)
            let n = try CaseCommand.number(number)
            try storeCall { try store.restrict(n, readers: reader.map { UserID($0) }, by: user, at: Clock.now) }
            print("\(n): restricted to \(reader.joined(separator: ", "))")
        }
    }

    struct Remind: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a reminder to the lead department (M5.1.2).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "due_soon, overdue, progress_overdue, sign_for_overdue, manual.") var reason: String = "manual"

        func run() async throws { try CaseCommand.apply(.remind(reason: reason), number, actor) }
    }

    struct Supervise: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Supervision (督辦, M5.2): open, notice (stdin), rectify (stdin), close.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Argument(help: "open, notice, rectify, close.") var step: String
        @Option(help: "With open: overdue, returned_feedback, poor_handling, manual.") var reason: String = "manual"
        @Option(help: "With open: phone, written, on_site.") var method: String = "written"

        func run() async throws {
            let command: Command
            switch step {
            case "open":
                let r: Supervision.Reason = try parseChoice(reason, "reason")
                let m: Supervision.Method = try parseChoice(method, "method")
                command = .openSupervision(reason: r, method: m)
            case "notice": command = .issueSupervisionNotice(text: Personal(try readStandardInput()))
            case "rectify": command = .reportRectification(text: Personal(try readStandardInput()))
            case "close": command = .closeSupervision
            default: throw CLIError(.usage, "unknown supervision step \(step) (open, notice, rectify, close)")
            }
            try CaseCommand.apply(command, number, actor)
        }
    }

    struct Track: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Cases due soon, overdue, with progress or sign-for overdue (M5.1.1); metadata and keys of the office.")
        @OptionGroup var actor: ActorOptions
        @Option(help: "The day to track on, YYYY-MM-DD (default today).") var on: String?
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let (today, items) = try TrackCommand.items(actor, on: on)
            for item in items where json {
                print(
                    jsonLine([
                        "number": item.number.description, "department": item.department.rawValue,
                        "deadline": item.deadline.description, "working_days_left": "\(item.workingDaysLeft)",
                        "flags": item.flags.map(\.rawValue).joined(separator: ","),
                        "supervised": "\(item.isSupervised)",
                    ]))
            }
            for item in items where !json {
                print(
                    "\(item.number)\t\(item.department)\t\(item.deadline)\t\(item.workingDaysLeft) working days\t"
                        + item.flags.map(\.rawValue).joined(separator: ",") + (item.isSupervised ? "\tsupervised" : ""))
            }
            if items.isEmpty && !json { print("nothing needs attention on \(today)") }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find a repeat writer's letters (重復來信) by blind index; the value on standard input.")
        @OptionGroup var actor: ActorOptions
        @Option(help: "phone, email, id_number, ip.") var by: String = "phone"
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let kind: BlindIndex.Kind = try parseChoice(by, "kind")
            let value = try readStandardInput().trimmingCharacters(in: .whitespacesAndNewlines)
            let (store, user) = try actor.unlock()
            for number in try storeCall({ try store.repeatWriters(value, kind: kind, by: user) }) {
                print(json ? jsonLine(["number": number.description]) : number.description)
            }
        }
    }
}
