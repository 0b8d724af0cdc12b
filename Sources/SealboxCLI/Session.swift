import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxStore

/// The acting user of a command and how their passphrase is read.
///
/// `--as`, then the passphrase from `--passphrase-fd`, `$SEALBOX_PASSPHRASE`, or the terminal (echo off) — never
/// from an argument. Each command unlocks once (sessions: issue #5).
struct ActorOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @Option(name: .customLong("as"), help: "The acting user.")
    var user: String
    @Option(help: "Read the passphrase from this open file descriptor.")
    var passphraseFd: Int32?

    func passphrase(for user: String) throws -> SecureBytes {
        try Self.passphrase(for: user, fd: passphraseFd)
    }

    /// The passphrase from `fd`, the shell's way of asking, `SEALBOX_PASSPHRASE`, or the terminal (never argv).
    static func passphrase(for user: String, fd: Int32?) throws -> SecureBytes {
        // Inside a shell, commands ask the way the shell was told to.
        let passphraseFd = fd ?? ShellSession.active?.passphraseFd
        if passphraseFd == 0, ShellSession.active != nil {
            // Inside a scripted shell, standard input is buffered line by line: take the next line.
            guard let line = readLine(), !line.isEmpty else { throw CLIError(.noPermission, "no passphrase given") }
            return SecureBytes(copying: Array(line.utf8))
        }
        if let fd = passphraseFd { return try Passphrase.read(fileDescriptor: fd) }
        if let env = Passphrase.fromEnvironment("SEALBOX_PASSPHRASE") { return env }
        return try Passphrase.readFromTerminal(prompt: "passphrase for \(user): ")
    }

    /// Opens the store and unlocks the acting user, or reuses the unlocked user of a `sealbox shell`.
    ///
    /// A `sensitive` step (granting keys, restricting a case) asks for the passphrase again even in a session.
    func unlock(sensitive: Bool = false) throws -> (Store, UnlockedUser) {
        try Self.unlock(user, store: store, passphraseFd: passphraseFd, sensitive: sensitive)
    }

    /// `unlock` for commands whose acting user is optional.
    static func unlock(_ user: String, store: StoreOptions, passphraseFd: Int32?, sensitive: Bool = false) throws -> (
        Store, UnlockedUser
    ) {
        func passphrase(for user: String) throws -> SecureBytes { try Self.passphrase(for: user, fd: passphraseFd) }
        if let session = ShellSession.active, session.user.id.rawValue == user {
            if sensitive {
                let again = try passphrase(for: user)
                do { _ = try session.store.unlock(UserID(user), passphrase: again, at: Clock.now) } catch {
                    throw CLIError.from(store: error)
                }
            }
            return (session.store, session.user)
        }
        let opened = try store.open()
        let now = Clock.now
        do {
            return (opened, try opened.unlock(UserID(user), passphrase: passphrase(for: user), at: now))
        } catch {
            throw CLIError.from(store: error)
        }
    }
}

/// The wall clock, read in one place (Core never reads it).
///
/// `SEALBOX_NOW` (seconds since the epoch) pins it, for tests and demos that must not depend on today's date
/// (deadlines near the year end would otherwise need next year's calendar).
enum Clock {
    static var now: Timestamp {
        if let pinned = ProcessInfo.processInfo.environment["SEALBOX_NOW"].flatMap({ Int64($0) }) {
            return Timestamp(secondsSinceEpoch: pinned)
        }
        return Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970))
    }
}

extension CLIError {
    /// Maps store errors to sysexits codes and one-line messages.
    static func from(store error: any Error) -> CLIError {
        guard let e = error as? StoreError else { return from(error) }
        switch e.code {
        case .wrongPassphrase, .noKey, .notPermitted, .disabled:
            return CLIError(.noPermission, e.message)
        case .locked, .busy:
            return CLIError(.tryAgain, e.message)
        case .notFound, .notInitialised:
            return CLIError(.noInput, e.message)
        case .refused:
            return CLIError(.dataError, "refused: \(e.message)" + (e.clause.map { " (\($0))" } ?? ""))
        case .alreadyInitialised:
            return CLIError(.cannotCreate, e.message)
        case .database:
            return CLIError(.ioError, e.message)
        case .corrupted, .invalidInput:
            return CLIError(.dataError, e.message)
        }
    }
}

/// Runs `body`, mapping store errors.
func storeCall<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as CLIError { throw error } catch { throw CLIError.from(store: error) }
}

/// Reads all of standard input as UTF-8 text (personal text never comes from arguments, which `ps` shows).
///
/// Inside `sealbox shell`, the text is the following lines up to a line holding a single dot.
func readStandardInput() throws -> String {
    if ShellSession.active != nil {
        var lines: [String] = []
        while let line = readLine(), line != "." { lines.append(line) }
        return lines.joined(separator: "\n")
    }
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let text = String(data: data, encoding: .utf8) else {
        throw CLIError(.dataError, "standard input is not UTF-8")
    }
    // `echo` and editors end the text with a newline that is not part of it.
    var trimmed = Substring(text)
    while let last = trimmed.last, last.isNewline { trimmed.removeLast() }
    return String(trimmed)
}

/// Decodes a JSON document from standard input.
func decodeStandardInput<T: Decodable>(_ type: T.Type, what: String) throws -> T {
    do { return try JSONDecoder().decode(type, from: Data(try readStandardInput().utf8)) } catch let error as CLIError {
        throw error
    } catch {
        throw CLIError(.dataError, "\(what) on standard input is not valid JSON for this command")
    }
}

/// Parses a `YYYY-MM-DD` option; a bad date is a usage error (exit 64).
func parseDate(_ text: String) throws -> CivilDate {
    do { return try CivilDate(parsing: text) } catch { throw CLIError(.usage, error.message) }
}

/// Parses a named choice (`--method phone`); an unknown name is a usage error (exit 64) listing the choices.
func parseChoice<T: RawRepresentable & CaseIterable>(_ text: String, _ what: String) throws -> T
where T.RawValue == String {
    guard let value = T(rawValue: text) else {
        throw CLIError(.usage, "unknown \(what) \(text) (one of \(T.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    return value
}
