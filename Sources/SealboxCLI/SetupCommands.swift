import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxStore

/// Reads a new passphrase: `--new-passphrase-fd`, `$SEALBOX_NEW_PASSPHRASE`, or the terminal twice.
func newPassphrase(fd: Int32?, for user: String) throws -> SecureBytes {
    if let fd { return try Passphrase.read(fileDescriptor: fd) }
    if let env = Passphrase.fromEnvironment("SEALBOX_NEW_PASSPHRASE") { return env }
    let first = try Passphrase.readFromTerminal(prompt: "new passphrase for \(user): ")
    let second = try Passphrase.readFromTerminal(prompt: "again: ")
    guard first == second else { throw CLIError(.usage, "the two passphrases differ") }
    return first
}

/// `sealbox init`: a new store, its root key, recovery key and first administrator.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a store: root key, recovery key (shown once), first administrator.")
    @OptionGroup var store: StoreOptions
    @Option(help: "The first administrator's login.")
    var admin: String
    @Option(help: "Read the administrator's new passphrase from this descriptor.")
    var newPassphraseFd: Int32?
    @Option(help: "Also write the recovery identity to this new file (mode 0600).")
    var recoveryOut: String?

    func run() async throws {
        let path = store.path
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CLIError(.cannotCreate, "a store already exists at \(path)")
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let policies = try PolicyLoading.load(store.policies)
        let passphrase = try newPassphrase(fd: newPassphraseFd, for: admin)
        let created = try storeCall { try Store(path: path, policies: policies) }
        let result = try storeCall {
            try created.initialise(admin: UserID(admin), passphrase: passphrase, kdf: .interactive(), at: Clock.now)
        }
        if let recoveryOut { try FileStreams.writeSecretFile(recoveryOut, result.recovery.identityFile()) }
        print("store created: \(path)")
        print("RECOVERY KEY (shown once; it opens every key group):")
        fflushStandardOutput()
        FileStreams.writeStandardOutput(result.recovery.encodedSecret())
        print("Keep it offline: print it, seal it in an envelope, store it apart from the server. Never on this host.")
        print("Next: sealbox user add …, sealbox dept add …, sealbox group grant office --to CLERK --recovery FILE")
    }
}

/// `sealbox user add`: a user with roles, certified by the root key.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Add.self, Disable.self, Passwd.self])

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user and delete their group keys; then rotate their groups with `group remove`.")
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The user to disable.") var login: String

        func run() async throws {
            let (store, admin) = try actor.unlock(sensitive: true)
            let groups = try storeCall { try store.disableUser(UserID(login), by: admin, at: Clock.now) }
            print("user \(login) disabled; rotate: \(groups.isEmpty ? "nothing" : groups.joined(separator: ", "))")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change your passphrase (re-seals only your keyring).")
        @OptionGroup var actor: ActorOptions
        @Option(help: "Read the new passphrase from this descriptor.") var newPassphraseFd: Int32?

        func run() async throws {
            let store = try actor.store.open()
            let old = try actor.passphrase(for: actor.user)
            let new = try newPassphrase(fd: newPassphraseFd, for: actor.user)
            try storeCall { try store.changePassphrase(UserID(actor.user), from: old, to: new, at: Clock.now) }
            print("passphrase changed for \(actor.user)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user; their keys are certified by the root key.")
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The new user's login.")
        var login: String
        @Option(help: "A role (clerk, reviewer, handler, department_head, archivist, auditor, administrator).")
        var role: [String]
        @Option(help: "The user's department, for handlers and department heads.")
        var department: String?
        @Option(help: "Read the new user's passphrase from this descriptor.")
        var newPassphraseFd: Int32?

        func run() async throws {
            let roles = try Set(
                role.map { text -> Role in
                    guard let r = Role(rawValue: text) else { throw CLIError(.usage, "unknown role \(text)") }
                    return r
                })
            guard !roles.isEmpty else { throw CLIError(.usage, "give at least one --role") }
            let (store, admin) = try actor.unlock()
            let passphrase = try newPassphrase(fd: newPassphraseFd, for: login)
            try storeCall {
                try store.addUser(
                    UserID(login), roles: roles, department: department.map { DepartmentID($0) },
                    passphrase: passphrase,
                    by: admin, at: Clock.now)
            }
            print("user \(login) added")
        }
    }
}

/// `sealbox dept add`: a department's key group and seal.
struct DeptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dept", abstract: "Manage departments (administrators).", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a department's key group; its seal (公章) goes to the seal holders only.")
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The department code, e.g. transport.")
        var code: String
        @Option(help: "A member (repeat).")
        var member: [String] = []
        @Option(help: "A member who may apply the department seal (repeat).")
        var sealHolder: [String] = []

        func run() async throws {
            let (store, admin) = try actor.unlock()
            try storeCall {
                try store.createDepartment(
                    DepartmentID(code), members: member.map { UserID($0) }, sealHolders: sealHolder.map { UserID($0) },
                    by: admin, at: Clock.now)
            }
            print("department \(code) created")
        }
    }
}

/// `sealbox group grant`: hand a group key to a user (by a holder, or with the recovery key at set-up).
struct GroupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "group", abstract: "Key group memberships.", subcommands: [Grant.self, Remove.self])

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member from a group and rotate it: new key, every case key re-sealed (a holder).")
        @OptionGroup var actor: ActorOptions
        @Argument(help: "The group.") var group: String
        @Option(help: "The member to remove.") var member: String

        func run() async throws {
            let (store, holder) = try actor.unlock(sensitive: true)
            try storeCall { try store.removeMember(UserID(member), from: group, by: holder, at: Clock.now) }
            print("removed \(member) from \(group); group rotated")
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Grant a key group (office, archive, dept:CODE).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The group.")
        var group: String
        @Option(help: "The user to grant it to.")
        var to: String
        @Flag(help: "Grant the department seal too.")
        var seal = false
        @Option(name: .customLong("as"), help: "The granting holder (asks for the passphrase).")
        var user: String?
        @Option(help: "Grant with the recovery identity file instead (set-up).")
        var recovery: String?
        @Option(help: "Read the passphrase from this descriptor.")
        var passphraseFd: Int32?

        func run() async throws {
            let now = Clock.now
            if let recovery {
                let opened = try store.open()
                let identity = try AgeIdentity.parseFile(FileStreams.readSecretFile(recovery))
                guard let first = identity.first else { throw CLIError(.dataError, "\(recovery) holds no identity") }
                try storeCall {
                    try opened.grant(group, to: UserID(to), withSeal: seal, usingRecovery: first, at: now)
                }
            } else {
                guard let user else { throw CLIError(.usage, "give --as HOLDER or --recovery FILE") }
                let actor = try ActorOptions.parse(
                    ["--as", user, "--store", store.path] + (store.policies.map { ["--policies", $0] } ?? [])
                        + (passphraseFd.map { ["--passphrase-fd", "\($0)"] } ?? []))
                let (opened, holder) = try actor.unlock(sensitive: true)
                try storeCall { try opened.grant(group, to: UserID(to), withSeal: seal, by: holder, at: now) }
            }
            print("granted \(group) to \(to)")
        }
    }
}

/// Flushes Swift's buffered standard output before a raw write.
func fflushStandardOutput() {
    fflush(nil)
}
