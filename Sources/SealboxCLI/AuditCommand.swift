import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxLog
internal import SealboxStore

/// Where the store is: `--store`, then `$SEALBOX_STORE`, then `./sealbox-data/sealbox.db`.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store file (default: $SEALBOX_STORE or ./sealbox-data/sealbox.db).")
    var store: String?
    @Option(help: "The policy folder (default: $SEALBOX_POLICIES or ./Policies).")
    var policies: String?

    var path: String { store ?? ProcessInfo.processInfo.environment["SEALBOX_STORE"] ?? "sealbox-data/sealbox.db" }

    /// Opens an existing store (never creates one).
    func open() throws -> Store {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError(.noInput, "no store at \(path)", hint: "pass --store PATH or set SEALBOX_STORE")
        }
        do { return try Store(path: path, policies: PolicyLoading.load(policies)) } catch let error as StoreError {
            throw CLIError(error.code == .busy ? .tryAgain : .ioError, error.message)
        }
    }
}

/// Reads a small text file given on the command line (exit 66 when missing).
func readText(_ path: String) throws -> String {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw CLIError(.noInput, "cannot read \(path)")
    }
    return text
}

/// `sealbox audit …`: integrity checks that need no secret key and show no personal data (DESIGN §6).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the tamper-evident log, keep checkpoints, prove events (no secret key needed).",
        subcommands: [Verify.self, CheckpointCommand.self, Consistency.self, Prove.self, Log.self, Trust.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the tree, check every checkpoint and certificate; exit 65 naming what is wrong.")
        @OptionGroup var options: StoreOptions
        @Option(help: "The trust file from `sealbox audit trust export` (pins the root key).")
        var trust: String
        @Option(help: "A checkpoint saved earlier with `sealbox audit checkpoint`.")
        var since: String?

        func run() async throws {
            let store = try options.open()
            let report: AuditReport
            do {
                report = try store.audit(trust: readText(trust), since: since.map(readText))
            } catch let error as StoreError {
                throw CLIError(.dataError, error.message)
            }
            print(
                "events: \(report.events), checkpoints: \(report.checkpoints), root \(Data(report.root).base64EncodedString())"
            )
            for note in report.notes { print("note: \(note)") }
            for problem in report.problems { print("FAIL: \(problem)") }
            guard report.isIntact else {
                throw CLIError(.dataError, "the log does not verify: \(report.problems.count) problem(s), listed above")
            }
            print("log verified")
        }
    }

    struct CheckpointCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint", abstract: "Print the latest signed checkpoint, for an auditor to keep.")
        @OptionGroup var options: StoreOptions

        func run() async throws {
            guard let note = try options.open().latestCheckpoint() else {
                throw CLIError(.noInput, "the log has no signed checkpoint yet")
            }
            print(note.serialised, terminator: "")
        }
    }

    struct Consistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prove (RFC 9162 §2.1.4) that the latest checkpoint extends one you saved; exit 65 if not.")
        @OptionGroup var options: StoreOptions
        @Option(help: "A checkpoint saved earlier with `sealbox audit checkpoint`.") var since: String

        func run() async throws {
            let saved: Checkpoint
            do { saved = try Checkpoint(parsing: SignedNote(parsing: readText(since)).text) } catch {
                throw CLIError(.dataError, "\(since) is not a signed checkpoint")
            }
            let (latest, proof) = try storeCall { try options.open().consistencyProof(from: saved.size) }
            let current = try Checkpoint(parsing: latest.text)
            for hash in proof { print(Data(hash).base64EncodedString()) }
            guard
                current.origin == saved.origin,
                Merkle.verifyConsistency(
                    first: saved.size, second: current.size, firstRoot: saved.root, secondRoot: current.root,
                    proof: proof)
            else {
                throw CLIError(
                    .dataError,
                    "the log at \(current.size) events is not an extension of your checkpoint at \(saved.size)")
            }
            print("consistent: \(saved.size) → \(current.size) events (\(proof.count) hashes)")
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a detached inclusion proof (C2SP tlog-proof) for one event.")
        @OptionGroup var options: StoreOptions
        @Option(help: "The event's sequence number (1-based).")
        var event: Int

        func run() async throws {
            do { print(try options.open().prove(event: event).serialised, terminator: "") } catch let error
                as StoreError
            {
                throw CLIError(error.code == .notFound ? .noInput : .dataError, error.message)
            }
        }
    }

    struct Log: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events (PII-free), oldest first.")
        @OptionGroup var options: StoreOptions
        @Option(name: .customLong("case"), help: "Only this case (YYYY-NNNNNN).")
        var caseNumber: String?
        @Option(help: "Only this kind, e.g. case.read.")
        var kind: String?
        @Flag(help: "One JSON object per line.")
        var json = false

        func run() async throws {
            var number: CaseNumber?
            if let caseNumber {
                do { number = try CaseNumber(parsing: caseNumber) } catch { throw CLIError(.usage, error.message) }
            }
            for e in try options.open().events(case: number, kind: kind) {
                if json {
                    let fields = [
                        "sequence": "\(e.sequence)", "at": e.at.description, "actor": e.actor, "kind": e.kind,
                        "case": e.caseNumber ?? "",
                    ]
                    let head = EventLeaf.detailsText(fields).dropLast()
                    print("\(head),\"details\":\(e.details)}")
                } else {
                    print("\(e.sequence)\t\(e.at)\t\(e.actor)\t\(e.kind)\t\(e.caseNumber ?? "-")\t\(e.details)")
                }
            }
        }
    }

    struct Trust: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The auditor's trust file (log origin and root key).", subcommands: [Export.self])

        struct Export: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the trust file to pin.")
            @OptionGroup var options: StoreOptions

            func run() async throws { print(try options.open().trustFile(), terminator: "") }
        }
    }
}
