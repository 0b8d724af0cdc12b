import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxStore
import Synchronization

/// The unlocked user of a `sealbox shell`, shared with the commands it runs.
///
/// Dropped (and the keys freed and zeroed) on exit and after the idle time.
final class ShellSession: Sendable {
    let store: Store
    let user: UnlockedUser
    let passphraseFd: Int32?

    init(store: Store, user: UnlockedUser, passphraseFd: Int32?) {
        self.store = store
        self.user = user
        self.passphraseFd = passphraseFd
    }

    /// The session in force, if any; `generation` changes on every command so an idle timer knows it is stale.
    static let current = Mutex<(session: ShellSession?, generation: Int)>((nil, 0))

    static var active: ShellSession? { current.withLock { $0.session } }
}

/// Splits a command line into words, honouring single and double quotes and backslash escapes.
func shellWords(_ line: String) throws -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var escaped = false
    for c in line {
        if escaped {
            current.append(c)
            escaped = false
        } else if c == "\\" && quote != "'" {
            escaped = true
            inWord = true
        } else if let q = quote {
            if c == q { quote = nil } else { current.append(c) }
        } else if c == "'" || c == "\"" {
            quote = c
            inWord = true
        } else if c.isWhitespace {
            if inWord { words.append(current) }
            current = ""
            inWord = false
        } else {
            current.append(c)
            inWord = true
        }
    }
    guard quote == nil, !escaped else { throw CLIError(.usage, "unterminated quote") }
    if inWord { words.append(current) }
    return words
}

/// `sealbox shell`: unlock once for a working session (DESIGN §4).
struct ShellCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract:
            "Unlock once and run commands for a working session; locks after the idle time in Policies/security.toml.",
        discussion: """
            Type commands as on the command line, without `sealbox` and without `--as`. Text a command reads from \
            standard input (a letter, a reply) is typed on the following lines and ended with a line holding a \
            single dot. Sensitive steps (granting keys, restricting a case) ask for the passphrase again. `exit` \
            locks and leaves.
            """)
    @OptionGroup var actor: ActorOptions

    /// Top-level commands that act as the session's user (they take `--as`).
    static let actingCommands: Set<String> = ["case", "user", "dept", "group"]

    func run() async throws {
        let (store, user) = try actor.unlock()
        let idleSeconds = Int64(store.policies.idleLockMinutes) * 60
        Self.begin(ShellSession(store: store, user: user, passphraseFd: actor.passphraseFd), idle: idleSeconds)
        print(
            "sealbox shell: \(user.id) unlocked; idle lock after \(store.policies.idleLockMinutes) min; `exit` to leave"
        )
        defer { ShellSession.current.withLock { $0 = (nil, $0.generation + 1) } }
        while true {
            print("sealbox[\(user.id)]> ", terminator: "")
            fflush(nil)
            guard let line = readLine() else { break }
            let words: [String]
            do { words = try shellWords(line) } catch {
                FileStreams.writeStandardError("sealbox: error: unterminated quote\n")
                continue
            }
            guard let first = words.first else { continue }
            if first == "exit" || first == "quit" { break }
            if ShellSession.active == nil {
                // Locked after idling: ask again (the same way as at the start).
                print("session locked after idling; unlocking again")
                let (again, relocked) = try actor.unlock()
                Self.begin(
                    ShellSession(store: again, user: relocked, passphraseFd: actor.passphraseFd), idle: idleSeconds)
            }
            var args = words
            if Self.actingCommands.contains(first) {
                if let i = args.firstIndex(of: "--as"), i + 1 < args.count, args[i + 1] != user.id.rawValue {
                    FileStreams.writeStandardError("sealbox: error: this shell acts as \(user.id)\n")
                    continue
                }
                if !args.contains("--as") && !args.contains("--recovery") { args += ["--as", user.id.rawValue] }
            }
            let status = await SealboxCommand.runMain(args)
            if status != 0 { print("(exit \(status))") }
            Self.touch(idle: idleSeconds)
        }
    }

    static func begin(_ session: ShellSession, idle: Int64) {
        ShellSession.current.withLock { $0 = (session, $0.generation + 1) }
        touch(idle: idle)
    }

    /// Restarts the idle timer: when it fires with no command since, the session (and its keys) is dropped.
    static func touch(idle: Int64) {
        let generation = ShellSession.current.withLock { state -> Int in
            state.generation += 1
            return state.generation
        }
        Task.detached {
            try? await Task.sleep(nanoseconds: UInt64(idle) * 1_000_000_000)
            ShellSession.current.withLock { state in
                if state.generation == generation { state = (nil, state.generation + 1) }
            }
        }
    }
}
