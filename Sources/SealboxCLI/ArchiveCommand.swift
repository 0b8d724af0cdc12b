import ArgumentParser
import Foundation
internal import SealboxArchive
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxReport
internal import SealboxStore

/// `sealbox archive …`: signed, chained archive packages (M6.1).
struct ArchiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Export closed cases as signed, chained packages; verify packages.",
        subcommands: [
            Key.self, Identity.self, Status.self, Export.self, Verify.self, Catalog.self, Open.self, Reconcile.self,
            Dispose.self,
        ])

    /// Package files named, or found as `*.tar` (and disposal records, `*.disposal`) in a named folder, sorted by
    /// name: sequence order.
    /// - Throws: `CLIError.noInput` for a path that does not exist.
    static func packageFiles(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            guard FileStreams.exists(path) else { throw CLIError(.noInput, "\(path) does not exist") }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                files.append(path)
                continue
            }
            files += names.filter { ($0.hasSuffix(".tar") || DisposalRecord.isRecord($0)) && !$0.hasPrefix(".") }
                .sorted().map { "\(path)/\($0)" }
        }
        return files
    }

    struct Key: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the archive's age recipient and write its minisign public key (no secret involved).")
        @OptionGroup var options: StoreOptions
        @Option(help: "Write the minisign public key here.") var minisignOut: String?

        func run() async throws {
            let (recipient, signer) = try storeCall { try options.open().archiveKeys() }
            print("age recipient: \(recipient)")
            print("minisign key: \(signer.base64)")
            if let minisignOut { try FileStreams.writeFile(minisignOut, Array(signer.fileText.utf8)) }
        }
    }

    struct Identity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the archive's age identity to a new file (mode 0600) for opening packages (asks again).")
        @OptionGroup var actor: ActorOptions
        @Option(help: "The new identity file.") var out: String

        func run() async throws {
            if FileStreams.exists(out) { throw CLIError(.cannotCreate, "\(out) already exists; not overwriting it") }
            let (store, user) = try actor.unlock(sensitive: true)
            let identity = try storeCall { try store.archiveIdentity(by: user, at: Clock.now) }
            try FileStreams.writeSecretFile(out, identity.identityFile())
            print("archive identity written to \(out) (recipient \(identity.recipient))")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Where the archive stands: packages recorded, the chain's head, closed cases waiting (no key).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let opened = try store.open()
            let status = try storeCall { try opened.archiveStatus() }
            print("packages recorded: \(status.packages)")
            if let last = status.last {
                print("last package: \(last.sequence)\t\(last.caseNumber)\t\(last.fileName)\t\(last.tagDigest)")
            }
            print(
                "closed cases waiting to be archived: \(status.waiting)"
                    + (status.firstWaiting.map { " (from \($0))" } ?? ""))
            if status.disposed > 0 { print("packages disposed of after their retention: \(status.disposed)") }
        }
    }

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After a crash: rename recorded packages left partial, remove files no record names (no key).",
            discussion: "`archive export` does this first by itself; this runs it alone and says what it did.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The archive folder.") var out: String

        func run() async throws {
            let opened = try store.open()
            let result = try storeCall { try opened.reconcileArchive(folder: out) }
            for name in result.completed { print("completed\t\(name)") }
            for name in result.removed { print("removed\t\(name)") }
            for name in result.missing { print("missing\t\(name)") }
            print(
                "reconciled \(out): \(result.completed.count) completed, \(result.removed.count) removed, "
                    + "\(result.missing.count) missing")
            guard result.missing.isEmpty else {
                throw CLIError(.dataError, "\(result.missing.count) recorded package(s) are not in \(out)")
            }
        }
    }

    struct Open: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decrypt a package's payload into a folder with the archive identity (age format).")
        @Argument(help: "The package.") var package: String
        @Option(help: "The age identity file.") var identity: String
        @Option(help: "Where to write the payload.") var to: String

        func run() async throws {
            guard FileStreams.exists(identity) else { throw CLIError(.noInput, "\(identity) does not exist") }
            let identities = try AgeIdentity.parseFile(FileStreams.readSecretFile(identity))
            do {
                for file in try PackageOpener.open(package, identities: identities, into: to) { print(file) }
            } catch let error as ArchiveError {
                throw CLIError(error.code == .io ? .noInput : .dataError, error.message)
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive every closed case into DIR, one package each (archivists holding the archive key).")
        @OptionGroup var actor: ActorOptions
        @Option(help: "The folder for the packages.") var out: String
        @Option(help: "A further age recipient (repeat).") var recipient: [String] = []
        @Option(help: "Cases per batch: each batch is synced and recorded at once (1–1000).") var batchSize = 64

        func run() async throws {
            guard (1...1000).contains(batchSize) else { throw CLIError(.usage, "--batch-size must be 1–1000") }
            let extra = try recipient.map { text -> AgeRecipient in
                do { return try AgeRecipient(parsing: text) } catch {
                    throw CLIError(.usage, "\(text) is not an age recipient")
                }
            }
            try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let (store, user) = try actor.unlock()
            let terminal = isatty(STDERR_FILENO) == 1
            let packages = try storeCall {
                try store.exportArchive(
                    to: out, by: user, extraRecipients: extra, at: Clock.now, batchSize: batchSize
                ) { done, total in
                    if terminal { FileStreams.writeStandardError("\rarchiving \(done)/\(total)") }
                }
            }
            if terminal && !packages.isEmpty { FileStreams.writeStandardError("\n") }
            for p in packages { print("\(p.sequence)\t\(p.caseNumber)\t\(p.fileName)") }
            if packages.isEmpty { print("no closed case waits to be archived") }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify packages as a chain, streaming, with no secret key; exit 65 naming each problem.")
        @Option(help: "The archive's minisign public key file (from `sealbox archive key`).") var key: String
        @Option(
            help: """
                The store's trust file (from `sealbox audit trust export`): also check each log proof's checkpoint \
                signature, by a user the pinned root key certified.
                """) var trust: String?
        @Flag(help: "One JSON object a package (path, bag, sequence, valid, problems), then none of the text lines.")
        var json = false
        @Argument(
            help: """
                Package files, or folders of them (their *.tar files and disposal records, in name order: sequence \
                order).
                """)
        var packages: [String]

        /// One package's verdict as `--json` prints it.
        struct Verdict: Encodable {
            var path: String
            var bag: String
            var sequence: Int?
            var valid: Bool
            var problems: [String]
            var disposal: Bool
        }

        func run() async throws {
            let packages = try ArchiveCommand.packageFiles(packages)
            guard !packages.isEmpty else { throw CLIError(.noInput, "no package to verify (a folder holds no *.tar)") }
            var log: LogTrust?
            if let trust {
                do {
                    let (origin, root) = try Store.parseTrust(readText(trust))
                    log = LogTrust(origin: origin, root: root)
                } catch let error as StoreError { throw CLIError.from(store: error) }
            } else {
                FileStreams.writeStandardError(
                    "note: log checkpoint signatures not checked; give --trust FILE (sealbox audit trust export)\n")
            }
            let trusted: Minisign.PublicKey
            do { trusted = try Minisign.PublicKey(parsing: readText(key)) } catch let error as CLIError {
                throw error
            } catch {
                throw CLIError(.dataError, "\(key) is not a minisign public key")
            }
            let reports: [PackageReport]
            do { reports = try ArchiveChain.verify(packages, trusting: trusted, log: log) } catch let error
                as ArchiveError
            {
                throw CLIError(error.code == .io ? .noInput : .dataError, error.message)
            }
            var failures = 0
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for r in reports {
                let problems = r.bag.problems + r.problems
                if json {
                    let verdict = Verdict(
                        path: r.path, bag: r.bag.name, sequence: r.sequence, valid: r.isValid, problems: problems,
                        disposal: r.isDisposal)
                    print(String(decoding: try encoder.encode(verdict), as: UTF8.self))
                } else {
                    print(
                        "\(r.isValid ? "OK  " : "FAIL")\t\(r.sequence.map(String.init) ?? "?")\t\(r.bag.name)\t\(r.path)"
                    )
                    for p in problems { print("      \(p)") }
                }
                if !r.isValid { failures += 1 }
            }
            guard failures == 0 else {
                throw CLIError(.dataError, "\(failures) of \(reports.count) package(s) do not verify")
            }
            let disposals = reports.filter(\.isDisposal).count
            if !json {
                print(
                    "\(reports.count) package(s) verified as one chain"
                        + (disposals > 0 ? " (\(disposals) of them disposed of, each a signed disposal record)" : ""))
            }
        }
    }

    struct Dispose: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dispose of packages whose retention has ended: a signed disposal record takes each one's place.",
            discussion: """
                Each package must verify against the archive key, be the one the store recorded, and have passed \
                its last day to keep (31 December of its closing year plus the longer of its class's years then \
                and now; permanent classes never end). A disposal record (NAME.disposal, signed: NAME.disposal.minisig, \
                which minisign -V checks) stands for it in the chain, the disposal is logged, and the package file \
                is removed. The record is clear text: --authorization is a decision's reference, not a name.
                """)
        @OptionGroup var actor: ActorOptions
        @Option(help: "The reference of the decision authorising the disposal (printable ASCII, no names).")
        var authorization: String
        @Argument(help: "The package files (*.tar).") var packages: [String]

        func run() async throws {
            for package in packages where !FileStreams.exists(package) {
                throw CLIError(.noInput, "\(package) does not exist")
            }
            // Irreversible: inside `sealbox shell`, the passphrase is asked again.
            let (store, user) = try actor.unlock(sensitive: true)
            for package in packages {
                let record = try storeCall {
                    try store.disposeArchivePackage(at: package, authorization: authorization, by: user, at: Clock.now)
                }
                print(
                    "disposed of \(record.packageFile) (package \(record.sequence), case \(record.caseNumber), kept "
                        + "until \(record.keepUntil)): \(DisposalRecord.fileName(forPackage: record.packageFile))")
            }
        }
    }

    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "List packages from their PII-free metadata (no key), filtered; find what retention ends (M6.1.1).",
            discussion: """
                Reads each package's data/metadata.json and bag-info.txt without extracting and without a key. \
                Prints sequence, case number, closing date, category, departments, outcome, retention class, \
                the last day to keep the package and its file, one package a line (--json: one object a line). \
                A package is kept until 31 December of the year it closed plus its class's years (counted, as \
                archives count, in whole years from 1 January after closing); a class of 0 years is permanent. \
                A finding aid, not a check: `archive verify` checks every byte.
                """)
        @Option(help: "Only packages handled by this department.") var department: String?
        @Option(help: "Only packages of this category.") var category: String?
        @Option(help: "Only packages closed in this period: 2026, 2026-Q3, 2026-07 or 2026-07-01..2026-09-30.")
        var closed: String?
        @Option(help: "Only packages whose retention ends on or before this date (YYYY-MM-DD): due for review.")
        var dueBy: String?
        @Flag(help: "One JSON object a line.") var json = false
        @Argument(help: "Package files, or folders of them (their *.tar files).") var packages: [String]

        func run() async throws {
            var period: (CivilDate, CivilDate)?
            var due: CivilDate?
            do {
                if let closed { period = try AssessmentReport.period(closed) }
                if let dueBy { due = try CivilDate(parsing: dueBy) }
            } catch { throw CLIError(.usage, error.message) }
            var (listed, unreadable) = (0, 0)
            for path in try ArchiveCommand.packageFiles(packages) {
                let entry: CatalogEntry
                do {
                    entry =
                        DisposalRecord.isRecord(path)
                        ? try ArchiveCatalog.entry(ofDisposal: path) : try ArchiveCatalog.entry(ofPackage: path)
                } catch let error as ArchiveError {
                    FileStreams.writeStandardError("sealbox: cannot catalog \(path): \(error.message)\n")
                    unreadable += 1
                    continue
                }
                let m = entry.metadata
                let closedOn = m["closed"].flatMap { try? CivilDate(parsing: $0) }
                let keepUntil = Self.keepUntil(closed: closedOn, years: m["retention_years"])
                if let department,
                    !(m["departments"] ?? "").split(separator: ",").contains(where: { $0 == department })
                {
                    continue
                }
                if let category, m["category"] != category { continue }
                if let (from, to) = period {
                    guard let closedOn, from <= closedOn, closedOn <= to else { continue }
                }
                if let due {
                    guard entry.disposed == nil, case .date(let last)? = keepUntil, last <= due else { continue }
                }
                let sequence = entry.sequence.map(String.init) ?? "?"
                let keep = keepUntil?.description ?? "unknown"
                if json {
                    var fields = m
                    (fields["sequence"], fields["keep_until"], fields["file"]) = (sequence, keep, path)
                    fields["disposed"] = entry.disposed
                    print(jsonLine(fields))
                } else {
                    let columns = [
                        sequence, m["number"] ?? entry.bag, m["closed"] ?? "", m["category"] ?? "",
                        m["departments"] ?? "", entry.disposed.map { "disposed \($0)" } ?? m["outcome"] ?? "",
                        m["retention_class"] ?? "", keep, path,
                    ]
                    print(columns.joined(separator: "\t"))
                }
                listed += 1
            }
            FileStreams.writeStandardError("\(listed) package(s) listed\n")
            guard unreadable == 0 else { throw CLIError(.dataError, "\(unreadable) package(s) could not be read") }
        }

        /// The last day to keep a package, from its metadata.
        enum KeepUntil: CustomStringConvertible {
            case date(CivilDate)
            case permanent

            var description: String {
                switch self {
                case .date(let d): "\(d)"
                case .permanent: "permanent"
                }
            }
        }

        /// 31 December of the closing year plus `years`, or permanent for 0 years; nil when either is missing or
        /// not a number.
        static func keepUntil(closed: CivilDate?, years: String?) -> KeepUntil? {
            guard let closed, let years = years.flatMap({ Int($0) }), years >= 0 else { return nil }
            return Store.keepUntil(closed: closed, years: years).map { .date($0) } ?? .permanent
        }
    }
}
