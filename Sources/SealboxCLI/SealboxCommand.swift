public import ArgumentParser

/// The `sealbox` command: the guarded CLI of the mayor's mailbox records service.
public struct SealboxCommand: AsyncParsableCommand {
    /// The version printed by `sealbox --version`.
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "sealbox",
        abstract: "Records service for the mayor's mailbox (市長信箱): encrypted store, signed trail, sealed archive.",
        discussion: """
            Built so far: the workflow engine and its policies (`sealbox policies check`, `sealbox deadline`) and \
            the standard-format tools the archive will use (`sealbox crypto`). The encrypted store, the letter \
            workflow commands, the log and the archive arrive with their issues (see README).
            """,
        version: version,
        subcommands: [
            InitCommand.self, ShellCommand.self, ArchiveCommand.self, UserCommand.self, DeptCommand.self,
            GroupCommand.self,
            CaseCommand.self,
            AuditCommand.self,
            PoliciesCommand.self, DeadlineCommand.self, CryptoCommand.self,
        ]
    )

    public init() {}
}
