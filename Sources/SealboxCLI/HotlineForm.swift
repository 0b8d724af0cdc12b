import Foundation
internal import SealboxCore
internal import SealboxStore

/// The hotline form (`case register --form`): prompts in order for a clerk on the phone, validates each answer
/// as it is given, reads the letter back, and saves only on `y`.
enum HotlineForm {
    /// Asks until `check` accepts the answer (it returns an error message, or `nil` when fine).
    static func ask(_ prompt: String, default fallback: String? = nil, check: (String) -> String? = { _ in nil }) throws
        -> String
    {
        while true {
            print(fallback.map { "\(prompt) [\($0)]: " } ?? "\(prompt): ", terminator: "")
            fflush(nil)
            guard let line = readLine() else { throw CLIError(.noInput, "the form was left before it was saved") }
            let answer = line.trimmingCharacters(in: .whitespaces).isEmpty ? (fallback ?? "") : line
            if let problem = check(answer) {
                print("  \(problem)")
                continue
            }
            return answer.trimmingCharacters(in: .whitespaces)
        }
    }

    static func phoneOrEmail(_ text: String) -> String? {
        if text.isEmpty { return nil }
        if BlindIndex.normalise(text, as: .email) != nil || BlindIndex.normalise(text, as: .phone) != nil { return nil }
        return "a phone number (7+ digits) or an e-mail address, or leave empty"
    }

    /// Runs the form; returns the letter input, or `nil` when the clerk does not save.
    static func run() throws -> LetterInput? {
        print("Hotline letter (Enter keeps the value in brackets; content ends with a line holding a single dot)")
        let channel = try ask("channel", default: "hotline") {
            Channel(rawValue: $0) == nil ? "one of \(Channel.allCases.map(\.rawValue).joined(separator: ", "))" : nil
        }
        let name = try ask("sender name (empty if anonymous)", default: "")
        let contact = try ask("contact", default: "", check: phoneOrEmail)
        let id = try ask("ID number", default: "") {
            $0.isEmpty || BlindIndex.normalise($0, as: .idNumber) != nil ? nil : "15 or 18 characters, or empty"
        }
        var anonymous: String?
        if name.isEmpty && contact.isEmpty {
            anonymous = try ask("caller number or other identifier (M2.2.2)") {
                $0.isEmpty ? "needed to follow an anonymous letter up" : nil
            }
        }
        let subject = try ask("subject") { $0.isEmpty ? "a subject is needed (M2.2.1)" : nil }
        print("content (end with a line holding a single dot):")
        var lines: [String] = []
        while let line = readLine(), line != "." { lines.append(line) }
        let content = lines.joined(separator: "\n")
        guard !content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError(.dataError, "a letter needs content (M2.2.1)")
        }
        let priority = try ask("priority", default: "general") {
            Priority(rawValue: $0) == nil ? "general or urgent" : nil
        }
        print("— read back —")
        print("channel: \(channel)   priority: \(priority)")
        print(
            "sender: \(name.isEmpty ? "(anonymous)" : name)   contact: \(contact.isEmpty ? "-" : contact)   ID: \(id.isEmpty ? "-" : id)"
        )
        if let anonymous { print("identifier: \(anonymous)") }
        print("subject: \(subject)")
        print("content: \(content)")
        let save = try ask("save? (y/n)", default: "n") { ["y", "n"].contains($0) ? nil : "y or n" }
        guard save == "y" else { return nil }
        return LetterInput(
            channel: channel,
            sender: .init(
                name: name.isEmpty ? nil : name, contact: contact.isEmpty ? nil : contact,
                id_number: id.isEmpty ? nil : id,
                anonymous_identifier: anonymous),
            subject: subject, content: content, category: nil, priority: priority, restricted_readers: nil)
    }
}
