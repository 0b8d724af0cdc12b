import Foundation
public import SealboxCore

/// Reads a `Policies/` folder from disk for `Policies.load(files:)` (Core itself does no I/O).
public enum PolicyFiles {
    /// Every `.toml` file under `folder`, keyed by its path relative to it.
    /// - Throws: `StoreError.notFound` when the folder is missing; `.invalidInput` for a file that is not UTF-8.
    public static func read(folder: String) throws -> [String: String] {
        let type = (try? FileManager.default.attributesOfItem(atPath: folder))?[.type] as? FileAttributeType
        guard type == .typeDirectory else { throw StoreError(.notFound, "policy folder \(folder) not found") }
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            guard relative.hasSuffix(".toml") else { continue }
            guard let text = try? String(contentsOfFile: "\(folder)/\(relative)", encoding: .utf8) else {
                throw StoreError(.invalidInput, "\(folder)/\(relative) is not readable UTF-8 text")
            }
            files[relative] = text
        }
        return files
    }

    /// Reads and loads the policies in `folder`.
    /// - Throws: `StoreError` for the folder, `CoreError.invalidPolicy` naming file and key.
    public static func load(folder: String) throws -> Policies {
        let files = try read(folder: folder)
        do { return try Policies.load(files: files) } catch {
            throw CoreError(.invalidPolicy, error.message.replacingOccurrences(of: "Policies/", with: "\(folder)/"))
        }
    }
}
