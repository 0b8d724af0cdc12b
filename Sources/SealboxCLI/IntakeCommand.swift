internal import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxIntake
internal import SealboxStore

/// Who takes letters in: an office holder (`--as`, indexes at once and flags repeat writers) or, without `--as`,
/// the intake host itself, which holds no secret key and seals to the office public key only.
struct IntakeActor: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(
        name: .customLong("as"),
        help: "An office holder: index at once and flag repeat writers. Without it, intake uses public keys only.")
    var user: String?
    @Option(help: "Read the passphrase from this open file descriptor.") var passphraseFd: Int32?

    /// The store, the intake actor, and the unlocked office holder when `--as` was given.
    func open(channel: Channel) throws -> (Store, Actor, UnlockedUser?) {
        guard let user else {
            return (try store.open(), Actor(id: UserID("intake.\(channel.rawValue)"), roles: [.clerk]), nil)
        }
        let (store, unlocked) = try ActorOptions.unlock(user, store: store, passphraseFd: passphraseFd)
        return (store, unlocked.actor, unlocked)
    }
}

/// `sealbox intake …`: letters by e-mail and from the website (M2.1, M2.2).
struct IntakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Take letters in from e-mail and web-form batches; flag repeat writers; list the quarantine.",
        subcommands: [Mail.self, JSON.self, Flag.self, Quarantine.self])

    /// Prints a receipt line (no personal data: number, query code, repeat-writer numbers).
    static func report(_ receipt: IntakeReceipt, origin: String) {
        if receipt.duplicate {
            print("duplicate\t\(receipt.number)\t\(origin)")
            fflushStandardOutput()
            return
        }
        var line = "registered\t\(receipt.number)\t\(origin)"
        if let code = receipt.queryCode { line += "\tquery code \(code)" }
        if !receipt.repeatOf.isEmpty {
            line += "\trepeat writer: earlier \(receipt.repeatOf.map(\.description).joined(separator: ", "))"
        }
        // Printed only after the commit, and flushed at once: a number on the screen is a letter in the store.
        print(line)
        fflushStandardOutput()
    }

    struct Mail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register each message of .eml files, mbox files and Maildir folders (idempotent by Message-ID).",
            discussion: """
                A message that cannot be parsed is quarantined, sealed to the office, with the reason; the run goes \
                on. The summary counts registered, duplicate and quarantined messages. Safe to run from cron.
                """)
        @OptionGroup var actor: IntakeActor
        @Argument(help: "Files and folders to read.") var paths: [String]

        func run() async throws {
            let (store, actor, indexer) = try actor.open(channel: .email)
            var counts = (registered: 0, duplicate: 0, quarantined: 0)
            for path in paths {
                let messages: [RawMessage]
                do { messages = try Mailbox.messages(at: path) } catch {
                    throw CLIError(.noInput, error.reason)
                }
                for raw in messages {
                    let now = Clock.now
                    do {
                        guard raw.bytes.count <= Mailbox.maxMessageBytes else {
                            throw MailError("larger than \(Mailbox.maxMessageBytes) bytes")
                        }
                        let message = try MailParser.parse(raw.bytes)
                        let (letter, files) = try MailIntake.letter(from: message, receivedAt: now)
                        let receipt = try storeCall {
                            try store.intake(
                                letter, attachments: files, source: MailIntake.sourceKey(message, raw: raw.bytes),
                                by: actor, indexer: indexer, queryCode: true, at: now)
                        }
                        IntakeCommand.report(receipt, origin: raw.origin)
                        if receipt.duplicate { counts.duplicate += 1 } else { counts.registered += 1 }
                    } catch let error as MailError {
                        let (id, again) = try storeCall {
                            try store.quarantine(raw.bytes, channel: .email, reason: error.reason, at: now)
                        }
                        print("quarantined\t#\(id)\t\(raw.origin)\t\(error.reason)\(again ? " (already)" : "")")
                        counts.quarantined += 1
                    }
                }
            }
            print(
                "mail intake: \(counts.registered) registered, \(counts.duplicate) duplicate, "
                    + "\(counts.quarantined) quarantined")
        }
    }

    struct JSON: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "json",
            abstract:
                "Register web-form submissions from a file: a JSON array, or one object per line (docs/intake.md).",
            discussion: """
                Each submission is validated on its own; a refused one is reported with its position and the field, \
                and the others are registered. Give each object an "id" in a wrapper to make re-runs idempotent: \
                {"id": "…", "submission": {…}}.
                """)
        @OptionGroup var actor: IntakeActor
        @Argument(help: "The file (- for standard input).") var file: String

        func run() async throws {
            let (store, actor, indexer) = try actor.open(channel: .website)
            let bytes: [UInt8]
            if file == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError(.noInput, "cannot read \(file)")
                }
                bytes = Array(data)
            }
            let items = try Self.items(bytes)
            var refused = 0
            for (index, item) in items.enumerated() {
                let now = Clock.now
                do {
                    let submission = try WebSubmission.decode(item.body)
                    let (letter, files) = submission.letter(receivedAt: now, clientAddress: nil)
                    let receipt = try storeCall {
                        try store.intake(
                            letter, attachments: files, source: item.id.map { "web:\($0)" }, by: actor,
                            indexer: indexer, at: now)
                    }
                    IntakeCommand.report(receipt, origin: "#\(index + 1)")
                } catch let error as SubmissionError {
                    print("refused\t#\(index + 1)\t\(error)")
                    refused += 1
                }
            }
            guard refused == 0 else {
                throw CLIError(
                    .dataError, "\(refused) of \(items.count) submission(s) refused; the others are registered")
            }
        }

        /// The submissions in `bytes`, each with its optional id.
        static func items(_ bytes: [UInt8]) throws -> [(id: String?, body: [UInt8])] {
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            var objects: [Any] = []
            if text.hasPrefix("[") {
                guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any] else {
                    throw CLIError(.dataError, "the file is not a JSON array")
                }
                objects = array
            } else {
                for (n, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
                        throw CLIError(.dataError, "line \(n + 1) is not JSON")
                    }
                    objects.append(object)
                }
            }
            return try objects.map { object in
                var id: String?
                var body = object
                if let wrapper = object as? [String: Any], let inner = wrapper["submission"] {
                    id = wrapper["id"] as? String
                    body = inner
                }
                guard JSONSerialization.isValidJSONObject(body) else {
                    throw CLIError(.dataError, "a submission is not a JSON object")
                }
                return (id, Array(try JSONSerialization.data(withJSONObject: body)))
            }
        }
    }

    struct Flag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Index letters taken in without the office key and list their repeat writers (重復來信).")
        @OptionGroup var actor: ActorOptions

        func run() async throws {
            let (store, user) = try actor.unlock()
            let flagged = try storeCall { try store.flagRepeatWriters(by: user) }
            for (number, earlier) in flagged {
                print("\(number)\trepeat writer: earlier \(earlier.map(\.description).joined(separator: ", "))")
            }
            print("\(flagged.count) letter(s) from repeat writers")
        }
    }

    struct Quarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List quarantined messages, or write one out (sealed to the office) for registering by hand.")
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("as"), help: "An office holder, to open one message.") var user: String?
        @Option(help: "Read the passphrase from this open file descriptor.") var passphraseFd: Int32?
        @Option(help: "The message to open.") var open: Int?
        @Option(help: "Where to write it (a new file, mode 0600).") var out: String?

        func run() async throws {
            guard let id = open else {
                let entries = try storeCall { try store.open().quarantined() }
                for e in entries { print("#\(e.id)\t\(e.receivedAt)\t\(e.channel)\t\(e.reason)") }
                print("\(entries.count) quarantined message(s)")
                return
            }
            guard let user, let out else { throw CLIError(.usage, "--open needs --as USER and --out FILE") }
            let (opened, unlocked) = try ActorOptions.unlock(user, store: store, passphraseFd: passphraseFd)
            let bytes = try storeCall { try opened.quarantinedMessage(id, by: unlocked) }
            guard !FileStreams.exists(out) else { throw CLIError(.cannotCreate, "\(out) exists; not overwritten") }
            do { try FileStreams.writeSecretFile(out, bytes) } catch {
                throw CLIError(.cannotCreate, "cannot write \(out)")
            }
            print("quarantined message #\(id) written to \(out)")
        }
    }
}

/// `sealbox status NUMBER`: what a citizen may learn with the query code (read from standard input).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "A letter's status and dates for its query code (read from standard input); never its content.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "The letter number.") var number: String

    func run() async throws {
        let code = try readStandardInput().trimmingCharacters(in: .whitespacesAndNewlines)
        let opened = try store.open()
        guard let status = try storeCall({ try opened.citizenStatus(number: number, code: code) }) else {
            throw CLIError(.noInput, "no letter with that number and query code")
        }
        print("number\t\(status.number)")
        print("status\t\(status.status.rawValue)")
        print("received\t\(status.received)")
        if let d = status.deadline { print("due\t\(d)") }
        if let d = status.replied { print("replied\t\(d)") }
        if let d = status.closed { print("closed\t\(d)") }
        if let text = status.reply { print("reply\t\(text.replacingOccurrences(of: "\n", with: " "))") }
    }
}
