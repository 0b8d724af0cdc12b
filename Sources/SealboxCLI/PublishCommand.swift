internal import ArgumentParser
import Foundation
internal import SealboxCore
internal import SealboxCrypto
internal import SealboxIntake
internal import SealboxStore

/// `sealbox publish`: the published-replies page (信件選登) behind the redaction gate.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Render replied letters whose writers consented as a static page, after the redaction gate.",
        discussion: """
            Each letter's subject, text and reply go through the redaction gate: names the writer gave, phone \
            numbers, e-mail addresses, checksum-valid ID numbers and addresses are masked, and what was masked is \
            listed for the clerk. A finding the gate cannot decide (a long number, an ID-shaped number that fails \
            its checksum) is held: nothing is published while one is unresolved, unless the clerk decides for all \
            of them with --mask-held or --keep-held. Letters without consent, or not yet replied, are refused.
            """)
    @OptionGroup var actor: ActorOptions
    @Option(help: "The page to write (a new file).") var out: String
    @Flag(help: "Mask the held findings too.") var maskHeld = false
    @Flag(help: "Publish the held findings as they are (the clerk judged them not personal).") var keepHeld = false
    @Argument(help: "Letter numbers.") var numbers: [String]

    struct Entry {
        var number: CaseNumber
        var received: CivilDate
        var replied: CivilDate
        var parts: [(label: String, result: Redaction.Result)]
    }

    func run() async throws {
        guard !(maskHeld && keepHeld) else { throw CLIError(.usage, "give --mask-held or --keep-held, not both") }
        guard !FileStreams.exists(out) else { throw CLIError(.cannotCreate, "\(out) exists; not overwritten") }
        let (store, user) = try actor.unlock()
        // Publishing speaks for the office: those who reply to writers (M4.4) publish, no one else.
        guard store.policies.scope(of: user.actor, for: .reply) != nil else {
            throw CLIError(.noPermission, "\(user.id) may not publish letters (office staff who reply do)")
        }
        var entries: [Entry] = []
        var held = 0
        for text in numbers {
            let number = try CaseNumber(parsing: text)
            let c = try storeCall { try store.read(number, purpose: "publish", by: user, at: Clock.now) }
            guard c.letter.publicationConsent == true else {
                throw CLIError(.dataError, "\(number): the writer did not consent to publication")
            }
            guard let reply = c.reply, [.replied, .closed, .archived].contains(c.status) else {
                throw CLIError(.dataError, "\(number): not replied yet")
            }
            let names = [c.letter.sender.name?.value].compactMap { $0 }
            var parts: [(String, Redaction.Result)] = []
            for (label, value) in [
                ("subject", c.letter.subject.value), ("letter", c.letter.content.value), ("reply", reply.text.value),
            ] {
                let result = Redaction.scan(value, names: names)
                for finding in result.findings {
                    let state =
                        finding.kind == .undecided ? (maskHeld ? "masked" : keepHeld ? "kept" : "HELD") : "masked"
                    print("\(number)\t\(label)\t\(finding.kind.rawValue)\t\(state)\t\(finding.text)")
                }
                held += result.held.count
                parts.append((label, result))
            }
            entries.append(
                Entry(
                    number: number, received: store.policies.localDate(c.letter.receivedAt),
                    replied: store.policies.localDate(reply.at), parts: parts))
        }
        guard held == 0 || maskHeld || keepHeld else {
            throw CLIError(
                .dataError,
                "\(held) finding(s) held: nothing published; decide with --mask-held or --keep-held after reading them")
        }
        let html = Self.page(entries, maskHeld: maskHeld)
        do { try FileStreams.writeFile(out, Array(html.utf8), exclusive: true) } catch {
            throw CLIError(.cannotCreate, "cannot write \(out)")
        }
        print("\(entries.count) letter(s) published to \(out)")
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }

    static func page(_ entries: [Entry], maskHeld: Bool) -> String {
        var body = ""
        for e in entries {
            func part(_ label: String) -> String {
                e.parts.first { $0.label == label }.map {
                    escape(maskHeld ? $0.result.maskedWithHeld : $0.result.masked)
                } ?? ""
            }
            body += """
                <article id="letter-\(e.number)">
                <h2>\(part("subject"))</h2>
                <p class="meta">來信編號 \(e.number) · 收信 \(e.received) · 答覆 \(e.replied)</p>
                <h3>來信</h3><p>\(part("letter").replacingOccurrences(of: "\n", with: "<br>"))</p>
                <h3>答覆</h3><p>\(part("reply").replacingOccurrences(of: "\n", with: "<br>"))</p>
                </article>

                """
        }
        return """
            <!DOCTYPE html>
            <html lang="zh-Hant"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>市長信箱 · 信件選登</title>
            <style>body { font-family: "Noto Sans CJK TC", sans-serif; max-width: 44rem; margin: 1.5rem auto; padding: 0 1rem;
            line-height: 1.6; color: #1f2328; } article { border-top: 1px solid #d1d9e0; padding: .5rem 0 1rem; }
            .meta { color: #59636e; font-size: .9rem; }</style></head>
            <body><h1>市長信箱 · 信件選登</h1>
            <p class="meta">經來信人同意刊登；個人資料已隱去。</p>
            \(body)</body></html>

            """
    }
}
