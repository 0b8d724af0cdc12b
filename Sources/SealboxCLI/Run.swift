import ArgumentParser
internal import SealboxCrypto

extension SealboxCommand {
    /// Runs one command line and returns its `sysexits.h` exit code.
    ///
    /// Every refusal becomes one line on standard error. The executable is only this call.
    public static func runMain(_ arguments: [String]? = nil) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as CLIError {
            report(error)
            return error.status.rawValue
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit {
                print(fullMessage(for: error))
                return 0
            }
            if isArgumentParserError(error) {
                var text = fullMessage(for: error)
                if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
                FileStreams.writeStandardError("sealbox: error: \(text)\n")
                return code.rawValue == 1 ? CLIError.ExitStatus.usage.rawValue : code.rawValue
            }
            let refusal = CLIError.from(error)
            report(refusal)
            return refusal.status.rawValue
        }
    }

    private static func isArgumentParserError(_ error: any Error) -> Bool {
        error is ValidationError || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }

    private static func report(_ error: CLIError) {
        var line = "sealbox: error: \(error.message)"
        if let hint = error.hint { line += " (hint: \(hint))" }
        FileStreams.writeStandardError(line + "\n")
    }
}
