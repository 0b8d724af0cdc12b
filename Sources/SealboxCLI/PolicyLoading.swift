import Foundation
internal import SealboxCore
internal import SealboxStore

/// Finds and loads the `Policies/` folder: `--policies`, then `$SEALBOX_POLICIES`, then `./Policies`.
enum PolicyLoading {
    static func folder(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["SEALBOX_POLICIES"] ?? "Policies"
    }

    /// Reads every `.toml` file under the folder and loads it.
    /// - Throws: `CLIError` 66 when the folder is missing, 65 when a policy is invalid (naming file and key).
    static func load(_ option: String?) throws -> Policies {
        let path = folder(option)
        do {
            return try PolicyFiles.load(folder: path)
        } catch let error as StoreError where error.code == .notFound {
            throw CLIError(.noInput, error.message, hint: "pass --policies DIR or set SEALBOX_POLICIES")
        } catch let error as StoreError {
            throw CLIError(.dataError, error.message)
        } catch let error as CoreError {
            throw CLIError(.dataError, error.message)
        }
    }
}
