internal import ArgumentParser
import Foundation
internal import SealboxServer

/// `sealbox serve intake`: the web intake endpoint (docs/intake.md).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run a Sealbox service.", subcommands: [Intake.self])

    struct Intake: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Accept web-form letters over HTTP, sealing them to the office public key (no secret key held).",
            discussion: """
                POST /letters (application/json, docs/intake.md) answers 201 with the number and the citizen's \
                query code; GET /letters/NUMBER/status with the code in X-Query-Code answers the status and dates. \
                Listens on loopback by default: put a TLS reverse proxy in front, and pass --trust-forwarded-for \
                only behind one. It never asks for a passphrase and never unlocks a user.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(help: "Port (0 picks a free one).") var port = 8080
        @Option(help: "Largest request body, in bytes.") var maxBody = 16 << 20
        @Option(help: "Requests per minute from one client address.") var rate = 30
        @Flag(help: "Take the client address from X-Forwarded-For (behind a reverse proxy only).")
        var trustForwardedFor = false

        func run() async throws {
            let opened = try store.open()
            var configuration = IntakeServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.maxBodyBytes = maxBody
            configuration.requestsPerMinute = rate
            configuration.trustForwardedFor = trustForwardedFor
            let host = self.host
            do {
                try await IntakeServer.run(store: opened, configuration: configuration) { port in
                    print("sealbox intake listening on http://\(host):\(port)")
                    fflushStandardOutput()
                }
            } catch {
                throw CLIError(.unavailable, "the intake server stopped: \(type(of: error))")
            }
        }
    }
}
