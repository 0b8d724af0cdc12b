public import ArgumentParser

/// The `sealbox` command: the guarded CLI of the mayor's mailbox records service.
public struct SealboxCommand: AsyncParsableCommand {
    /// The version printed by `sealbox --version`.
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "sealbox",
        abstract: "Records service for the mayor's mailbox (市長信箱): encrypted store, signed trail, sealed archive.",
        discussion: """
            Only the foundation is built so far: `sealbox crypto` holds the age and minisign tools the archive will \
            use. The letter workflow, store, log and archive commands arrive with their issues (see README).
            """,
        version: version,
        subcommands: [CryptoCommand.self]
    )

    public init() {}
}
