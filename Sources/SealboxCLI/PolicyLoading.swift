import Foundation
internal import SealboxCore

/// Finds and loads the `Policies/` folder: `--policies`, then `$SEALBOX_POLICIES`, then `./Policies`.
enum PolicyLoading {
    static func folder(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["SEALBOX_POLICIES"] ?? "Policies"
    }

    /// Reads every `.toml` file under the folder and loads it.
    /// - Throws: `CLIError` 66 when the folder is missing, 65 when a policy is invalid (naming file and key).
    static func load(_ option: String?) throws -> Policies {
        let path = folder(option)
        let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
        guard type == .typeDirectory else {
            throw CLIError(
                .noInput, "policy folder \(path) not found", hint: "pass --policies DIR or set SEALBOX_POLICIES")
        }
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".toml") else { continue }
            guard let text = try? String(contentsOfFile: "\(path)/\(relative)", encoding: .utf8) else {
                throw CLIError(.dataError, "\(path)/\(relative) is not readable UTF-8 text")
            }
            files[relative] = text
        }
        do {
            return try Policies.load(files: files)
        } catch {
            throw CLIError(.dataError, error.message.replacingOccurrences(of: "Policies/", with: "\(path)/"))
        }
    }
}
