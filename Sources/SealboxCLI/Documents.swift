import ArgumentParser
import Foundation
import Mustache
internal import SealboxCore
internal import SealboxStore

/// `sealbox case document`: the slip, reminder, extension notice, supervision notice and reply, rendered from the
/// editable templates in `Policies/templates/<kind>.<lang>.mustache` (Chinese by default, English available).
struct DocumentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "document",
        abstract: "Render a case document from Policies/templates (the read is logged).")
    @OptionGroup var actor: ActorOptions
    @Argument var number: String
    @Option(help: "slip, reminder, extension-notice, supervision-notice, reply.") var kind: String
    @Option(help: "zh (default) or en.") var lang: String = "zh"

    static let kinds = ["slip", "reminder", "extension-notice", "supervision-notice", "reply"]

    func validate() throws {
        guard Self.kinds.contains(kind) else {
            throw ValidationError("--kind must be one of \(Self.kinds.joined(separator: ", "))")
        }
        guard ["zh", "en"].contains(lang) else { throw ValidationError("--lang must be zh or en") }
    }

    func run() async throws {
        let folder = PolicyLoading.folder(actor.store.policies) + "/templates"
        let path = "\(folder)/\(kind).\(lang).mustache"
        let text = try readText(path)
        let template: MustacheTemplate
        do { template = try MustacheTemplate(string: text) } catch {
            throw CLIError(.dataError, "\(path) is not a valid Mustache template")
        }
        let (store, user) = try actor.unlock()
        let n = try CaseCommand.number(number)
        let c = try storeCall { try store.read(n, purpose: "document:\(kind)", by: user, at: Clock.now) }
        guard let context = Self.context(c, kind: kind, policies: store.policies) else {
            throw CLIError(.dataError, "case \(n) has nothing for a \(kind) yet")
        }
        print(template.render(context), terminator: "")
    }

    /// The values a template may use; `nil` when the case lacks what the document needs.
    static func context(_ c: LetterCase, kind: String, policies: Policies) -> [String: Any]? {
        var v: [String: Any] = [
            "number": c.number.description, "subject": c.letter.subject.value,
            "sender_name": c.letter.sender.name?.value ?? "市民",
            "received": "\(policies.localDate(c.letter.receivedAt))",
        ]
        if let slip = c.activeSlip {
            v["slip_number"] = slip.number
            v["lead"] = slip.lead.rawValue
            v["co"] = slip.coDepartments.isEmpty ? nil : slip.coDepartments.map(\.rawValue).joined(separator: "、")
            v["matter"] = slip.matter.value
            v["requirements"] = slip.requirements.value
            v["deadline"] = slip.deadline.description
            v["deadline_explanation"] = slip.deadlineExplanation
            v["sign_for_due"] = slip.signForDue.description
            v["issued_by"] = slip.issuedBy.rawValue
            v["issued_at"] = "\(policies.localDate(slip.issuedAt))"
        }
        switch kind {
        case "slip", "reminder":
            return c.activeSlip == nil ? nil : v
        case "extension-notice":
            guard let notice = c.extensions.last(where: { $0.decision?.approved == true })?.decision?.senderNotice
            else {
                return nil
            }
            v["extension_notice"] = notice.value
            return v
        case "supervision-notice":
            guard let s = c.supervisions.last else { return nil }
            v["supervision_number"] = s.number
            v["supervised"] = s.department.rawValue
            v["supervision_reason"] = s.reason.rawValue
            v["supervision_method"] = s.method.rawValue
            v["supervision_notice"] = s.notice?.text.value ?? ""
            v["rectification_due"] = s.rectificationDue.description
            return v
        case "reply":
            guard let reply = c.reply else { return nil }
            v["reply"] = reply.text.value
            if v["lead"] == nil { v["lead"] = "市長信箱辦公室" }
            return v
        default:
            return nil
        }
    }
}
