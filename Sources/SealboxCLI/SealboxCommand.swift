public import ArgumentParser

/// The `sealbox` command: the guarded CLI of the mayor's mailbox records service.
public struct SealboxCommand: AsyncParsableCommand {
    /// The version printed by `sealbox --version`.
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "sealbox",
        abstract: "Records service for the mayor's mailbox (市長信箱): encrypted store, signed trail, sealed archive.",
        discussion: """
            Clerks register and follow letters (`case`), departments feed back under their seal, archivists export \
            signed packages (`archive`), auditors verify the signed log (`audit`) with no secret key, and letters \
            arrive by e-mail and the website (`intake`, `serve`). See README.md for the walkthrough.
            """,
        version: version,
        subcommands: [
            InitCommand.self, ShellCommand.self, ArchiveCommand.self, UserCommand.self, DeptCommand.self,
            GroupCommand.self,
            CaseCommand.self, IntakeCommand.self, StatusCommand.self, ServeCommand.self, ReportCommand.self,
            RemindCommand.self, TrackCommand.self, PublishCommand.self,
            AuditCommand.self,
            PoliciesCommand.self, DeadlineCommand.self, CryptoCommand.self,
        ]
    )

    public init() {}
}
