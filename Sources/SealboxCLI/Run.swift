import ArgumentParser
internal import SealboxCrypto

extension SealboxCommand {
    /// Parses `arguments`, runs the command, and turns every refusal into one line on standard error with its
    /// `sysexits.h` code. The executable is only this call.
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
                let text = fullMessage(for: error)
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

