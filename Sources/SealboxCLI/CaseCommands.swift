import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxStore

/// A letter as the clerk's JSON (from a web form export, a hotline form, or typed by hand) on standard input.
struct LetterInput: Decodable {
    struct SenderInput: Decodable {
        var name: String?
        var contact: String?
        var id_number: String?
        var anonymous_identifier: String?
    }
    var channel: String
    var sender: SenderInput
    var subject: String
    var content: String
    var category: String?
    var priority: String?
    var restricted_readers: [String]?
}

/// The letter workflow (`sealbox case …`).
///
/// Personal text comes on standard input, never in arguments (which `ps` shows).
struct CaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "case", abstract: "Register and handle letters (M2–M5).",
        subcommands: [
            Register.self, Answer.self, Assign.self, Reassign.self, SignFor.self, Start.self, Contact.self,
            Progress.self,
            Extension.self, Contribute.self, Feedback.self, Seal.self, Review.self, Reply.self, Satisfaction.self,
            Close.self, Restrict.self, Remind.self, Supervise.self, Track.self, Search.self, Show.self, List.self,
            DocumentCommand.self,
        ])

    static func number(_ text: String) throws -> CaseNumber {
        do { return try CaseNumber(parsing: text) } catch { throw CLIError(.usage, error.message) }
    }

    /// Applies one command and prints the new state.
    static func apply(_ command: Command, _ number: String, _ actor: ActorOptions) throws {
        let (store, user) = try actor.unlock()
        let n = try Self.number(number)
        let (c, events) = try storeCall { try store.apply(command, to: n, by: user, at: Clock.now) }
        print("\(n): \(c.status.rawValue) (\(events.map(\.kind).joined(separator: ", ")))")
    }

    struct Register: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Register a letter (M2.2) from JSON on standard input, or with the hotline form; prints its number.")
        @OptionGroup var actor: ActorOptions
        @Flag(help: "Ask for each field in turn (for a clerk on the phone), read it back, save on y.") var form = false

        func run() async throws {
            let input: LetterInput
            if form {
                guard let filled = try HotlineForm.run() else {
                    print("not saved")
                    return
                }
                input = filled
            } else {
                input = try decodeStandardInput(LetterInput.self, what: "the letter")
            }
            guard let channel = Channel(rawValue: input.channel) else {
                throw CLIError(.dataError, "unknown channel \(input.channel)")
            }
            let s = input.sender
            let letter = Letter(
                channel: channel, receivedAt: Clock.now,
                sender: Sender(
                    name: s.name.map { Personal($0) }, contact: s.contact.map { Personal($0) },
                    idNumber: s.id_number.map { Personal($0) },
                    anonymousIdentifier: s.anonymous_identifier.map { Personal($0) }),
                subject: Personal(input.subject), content: Personal(input.content))
            let (store, user) = try actor.unlock()
            let priority = Priority(rawValue: input.priority ?? "general") ?? .general
            let (number, _) = try storeCall {
                try store.register(
                    letter, category: input.category, priority: priority,
                    restrictedReaders: input.restricted_readers.map { $0.map { UserID($0) } }, by: user.actor,
                    indexer: user, at: Clock.now)
            }
            print(number)
            // M2.2: a repeat writer (重復來信) is flagged to the clerk at once, on standard error.
            let earlier = try storeCall { try store.earlierLetters(sameWriterAs: number, by: user.actor) }
            if !earlier.isEmpty {
                FileStreams.writeStandardError(
                    "note: repeat writer (重復來信): earlier letter(s) \(earlier.map(\.description).joined(separator: ", "))\n"
                )
            }
        }
    }

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assign with a slip (M3.1): JSON {\"matter\", \"requirements\"} on standard input.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "The lead department.") var lead: String
        @Option(help: "A co-department (repeat; M3.2.1).") var co: [String] = []
        @Flag(help: "Urgent or major (M3.2.2).") var urgent = false

        struct Slip: Decodable {
            var matter: String
            var requirements: String
        }

        func run() async throws {
            let slip = try decodeStandardInput(Slip.self, what: "the slip")
            try CaseCommand.apply(
                .assign(
                    .init(
                        lead: DepartmentID(lead), coDepartments: co.map { DepartmentID($0) },
                        matter: Personal(slip.matter),
                        requirements: Personal(slip.requirements), priority: urgent ? .urgent : nil)), number, actor)
        }
    }

    struct SignFor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-for", abstract: "Sign for the slip and name the handler (M3.1.3).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "The dedicated handler.") var handler: String

        func run() async throws { try CaseCommand.apply(.signFor(handler: UserID(handler)), number, actor) }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start handling (the named handler).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String

        func run() async throws { try CaseCommand.apply(.startHandling, number, actor) }
    }

    struct Progress: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report progress (M3.2.2, M4.1.3); the note on standard input.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "Expected completion date told to the sender, YYYY-MM-DD.") var expected: String?

        func run() async throws {
            let note = try readStandardInput()
            let date = try expected.map(parseDate)
            try CaseCommand.apply(.reportProgress(note: Personal(note), expectedCompletion: date), number, actor)
        }
    }

    struct Feedback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draft feedback (M4.3.2): JSON {investigation, opinion, result, satisfaction?} on standard input."
        )
        @OptionGroup var actor: ActorOptions
        @Argument var number: String

        struct Draft: Decodable {
            var investigation: String
            var opinion: String
            var result: String
            var satisfaction: String?
        }

        func run() async throws {
            let d = try decodeStandardInput(Draft.self, what: "the feedback")
            try CaseCommand.apply(
                .draftFeedback(
                    investigation: Personal(d.investigation), opinion: Personal(d.opinion), result: Personal(d.result),
                    senderSatisfaction: d.satisfaction.flatMap { SealboxCore.Satisfaction(rawValue: $0) }), number,
                actor)
        }
    }

    struct Seal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the department seal (公章) to the feedback (M4.3.1; department heads holding the seal).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String

        func run() async throws {
            let (store, user) = try actor.unlock()
            let n = try CaseCommand.number(number)
            let (c, _) = try storeCall { try store.sealFeedback(n, by: user, at: Clock.now) }
            print("\(n): \(c.status.rawValue) (sealed by \(c.feedback?.seal?.department.rawValue ?? "?"))")
        }
    }

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve, or return with reasons on standard input (M4.3.3).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Flag(help: "Approve the feedback.") var approve = false
        @Flag(name: .customLong("return"), help: "Return it for rework.") var sendBack = false

        func validate() throws {
            guard approve != sendBack else { throw ValidationError("give exactly one of --approve and --return") }
        }

        func run() async throws {
            let reasons = sendBack ? Personal(try readStandardInput()) : nil
            try CaseCommand.apply(.review(approve: approve, reasons: reasons), number, actor)
        }
    }

    struct Reply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reply to the sender (M4.3.3); text on standard input.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "phone, sms, email, letter, website, in_person.") var method: String = "phone"

        func run() async throws {
            let m: SealboxCore.Reply.Method = try parseChoice(method, "method")
            try CaseCommand.apply(.reply(text: Personal(try readStandardInput()), method: m), number, actor)
        }
    }

    struct Satisfaction: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record the sender's satisfaction (M4.3.2).")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Argument(help: "very_satisfied, satisfied, basically_satisfied, dissatisfied, unreachable.") var level: String

        func run() async throws {
            let s: SealboxCore.Satisfaction = try parseChoice(level, "level")
            try CaseCommand.apply(.recordSatisfaction(s), number, actor)
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a replied case.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String

        func run() async throws { try CaseCommand.apply(.close, number, actor) }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a case with its personal data, where policy and keys allow; the read is logged.")
        @OptionGroup var actor: ActorOptions
        @Argument var number: String
        @Option(help: "Why you read it (recorded in the log).") var purpose: String

        func run() async throws {
            let (store, user) = try actor.unlock()
            let n = try CaseCommand.number(number)
            // Revealing a restricted sender is a sensitive step: inside a session it asks for the passphrase again.
            if try storeCall({ try store.isRestricted(n) }) { _ = try actor.unlock(sensitive: true) }
            let c = try storeCall { try store.read(n, purpose: purpose, by: user, at: Clock.now) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(c), as: UTF8.self))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List cases by metadata (no personal data).")
        @OptionGroup var actor: ActorOptions
        @Option(help: "Only this status.") var status: String?
        @Option(help: "Only this department.") var department: String?
        @Option(help: "Only cases due on or before this date, YYYY-MM-DD.") var dueBefore: String?
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let due = try dueBefore.map(parseDate)
            let (store, user) = try actor.unlock()
            let summaries = try storeCall {
                try store.list(
                    status: status.flatMap { CaseStatus(rawValue: $0) },
                    department: department.map { DepartmentID($0) },
                    by: user.actor)
            }.filter { s in due.map { d in s.deadline.map { $0 <= d } ?? false } ?? true }
            for s in summaries {
                if json {
                    print(
                        jsonLine([
                            "number": s.number.description, "status": s.status.rawValue,
                            "priority": s.priority.rawValue,
                            "lead": s.leadDepartment?.rawValue ?? "", "deadline": s.deadline?.description ?? "",
                            "channel": s.channel.rawValue, "restricted": "\(s.restricted)",
                        ]))
                } else {
                    print(
                        "\(s.number)\t\(s.status.rawValue)\t\(s.priority.rawValue)\t\(s.leadDepartment?.rawValue ?? "-")\t"
                            + "\(s.deadline?.description ?? "-")\t\(s.channel.rawValue)\(s.restricted ? "\trestricted" : "")"
                    )
                }
            }
        }
    }
}

/// One JSON object with string values on one line (for `--json` listings).
func jsonLine(_ fields: [String: String]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(fields)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}
