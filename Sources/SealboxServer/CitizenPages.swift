import Foundation
import HTTPTypes
import Hummingbird
import SealboxCore
import SealboxCrypto
import SealboxIntake
import SealboxStore
import Synchronization

/// A question any person answers and a script does not bother to, with no outside service and no JavaScript: a
/// small sum, signed by the server (HMAC under a key made at start), valid for 30 minutes, usable once.
final class Challenge: Sendable {
    private let key = SecureBytes.random(count: 32)
    private let used = Mutex<Set<String>>([])

    /// A new question and its token.
    func issue(now: Date = Date()) -> (question: String, token: String) {
        let a = Int.random(in: 2...9)
        let b = Int.random(in: 2...9)
        let body = "\(Int(now.timeIntervalSince1970) + 1800).\(a).\(b).\(Hex.encode(SecureRandom.bytes(8)))"
        return ("\(a) + \(b)", body + "." + mac(body))
    }

    private func mac(_ body: String) -> String {
        key.withUnsafeBytes { k in
            var h = HMACSHA256(key: k)
            h.update(Array(body.utf8))
            return Hex.encode(h.finalizePublic())
        }
    }

    /// Whether `answer` answers the question of `token`, which is then spent.
    func check(token: String, answer: String, now: Date = Date()) -> Bool {
        let parts = token.split(separator: ".").map(String.init)
        guard parts.count == 5, let expiry = Int(parts[0]), let a = Int(parts[1]), let b = Int(parts[2]),
            Double(expiry) > now.timeIntervalSince1970,
            SecureBytes(copying: Array(mac(parts[0...3].joined(separator: ".")).utf8))
                == SecureBytes(copying: Array(parts[4].utf8)),
            Int(answer.trimmingCharacters(in: .whitespaces)) == a + b
        else { return false }
        return used.withLock { spent in
            if spent.count > 200_000 { spent.removeAll() }
            return spent.insert(token).inserted
        }
    }
}

/// The citizen's pages (served by `sealbox serve intake`): write to the mayor, check a letter.
///
/// Plain HTML forms that work without JavaScript and on a phone, Chinese by default (`?lang=en`), nothing loaded
/// from elsewhere.
enum CitizenPages {
    struct Text {
        var title, intro, name, phone, email, idNumber, anonymous, anonymousHint, subject, content, files, filesHint,
            consent, question, send, sent, number, code, keep, check, checkTitle, status, received, due, replied,
            closed, notFound, back, problem, required, reply: String

        static func of(_ lang: String) -> Text {
            lang == "en"
                ? Text(
                    title: "Write to the Mayor", intro: "Your letter is registered at once and answered by the office.",
                    name: "Your name", phone: "Phone", email: "E-mail", idNumber: "ID number (optional)",
                    anonymous: "Write anonymously",
                    anonymousHint:
                        "Without a name or contact; your connection's address is kept, sealed, to follow the letter up.",
                    subject: "Subject", content: "Your letter", files: "Attachments (optional)",
                    filesHint: "Up to 5 files, 10 MB each: JPEG, PNG, GIF, PDF or text.",
                    consent: "The office may publish my letter and its reply with my personal details removed.",
                    question: "To show you are a person: how much is", send: "Send", sent: "Your letter is registered",
                    number: "Letter number", code: "Query code",
                    keep: "Keep both: with them you can check your letter. The code is shown only once.",
                    check: "Check my letter", checkTitle: "Check a letter", status: "Status", received: "Received",
                    due: "Due", replied: "Replied", closed: "Closed",
                    notFound: "No letter with that number and query code.", back: "Back", problem: "Not sent",
                    required: "required", reply: "The reply")
                : Text(
                    title: "給市長寫信", intro: "您的來信將即時登記，由市長信箱辦公室交辦並答覆。", name: "姓名", phone: "電話",
                    email: "電子郵件", idNumber: "身份證號（選填）", anonymous: "匿名來信",
                    anonymousHint: "不留姓名和聯繫方式；系統將加密保存您的網絡地址，以便跟進來信。", subject: "主題", content: "來信內容",
                    files: "附件（選填）", filesHint: "最多 5 個文件，每個不超過 10 MB：JPEG、PNG、GIF、PDF 或文本。",
                    consent: "同意市長信箱在隱去個人資料後選登我的來信及答覆。", question: "請回答（防止自動提交）：", send: "提交",
                    sent: "您的來信已登記", number: "來信編號", code: "查詢碼", keep: "請妥善保存：憑編號和查詢碼可查詢辦理情況。查詢碼只顯示這一次。",
                    check: "查詢來信", checkTitle: "查詢來信辦理情況", status: "辦理狀態", received: "收信日期", due: "辦理期限",
                    replied: "答覆日期", closed: "辦結日期", notFound: "沒有與此編號和查詢碼相符的來信。", back: "返回",
                    problem: "未能提交", required: "必填", reply: "答覆")
        }
    }

    static func escape(_ text: String) -> String { HTML.escape(text) }

    static func page(_ lang: String, _ title: String, _ body: String, status: HTTPResponse.Status = .ok) -> Response {
        let html = """
            <!DOCTYPE html>
            <html lang="\(lang == "en" ? "en" : "zh-Hant")">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>
            body { font-family: "Noto Sans CJK TC", sans-serif; max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem;
              color: #1f2328; line-height: 1.5; }
            label { display: block; margin-top: .9rem; font-weight: 600; } .hint { color: #59636e; font-size: .9rem; }
            input[type=text], input[type=tel], input[type=email], textarea { width: 100%; box-sizing: border-box;
              padding: .5rem; font-size: 1rem; border: 1px solid #8c959f; border-radius: 6px; }
            textarea { min-height: 10rem; } .check label { display: inline; font-weight: normal; }
            button { margin-top: 1.2rem; padding: .6rem 1.6rem; font-size: 1rem; }
            .box { border: 2px solid #1f6feb; border-radius: 8px; padding: 1rem; font-size: 1.2rem; }
            .error { border-color: #cf222e; } nav a { margin-right: 1rem; }
            </style></head>
            <body>
            <nav><a href="/?lang=\(lang)">\(escape(Text.of(lang).title))</a><a href="/check?lang=\(lang)">\(escape(Text.of(lang).check))</a></nav>
            <h1>\(escape(title))</h1>
            \(body)
            </body></html>

            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("Content-Security-Policy") ?? .via] =
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func form(_ lang: String, challenge: Challenge) -> Response {
        let t = Text.of(lang)
        let (question, token) = challenge.issue()
        let body = """
            <p>\(escape(t.intro))</p>
            <form method="post" action="/write?lang=\(lang)" enctype="multipart/form-data">
            <label for="name">\(escape(t.name))</label><input type="text" id="name" name="name" autocomplete="name" maxlength="100">
            <label for="phone">\(escape(t.phone))</label><input type="tel" id="phone" name="phone" autocomplete="tel" maxlength="30">
            <label for="email">\(escape(t.email))</label><input type="email" id="email" name="email" autocomplete="email" maxlength="200">
            <label for="id_number">\(escape(t.idNumber))</label><input type="text" id="id_number" name="id_number" maxlength="18">
            <p class="check"><input type="checkbox" id="anonymous" name="anonymous" value="1"> <label for="anonymous">\(escape(t.anonymous))</label><br><span class="hint">\(escape(t.anonymousHint))</span></p>
            <label for="subject">\(escape(t.subject)) (\(escape(t.required)))</label><input type="text" id="subject" name="subject" required maxlength="200">
            <label for="content">\(escape(t.content)) (\(escape(t.required)))</label><textarea id="content" name="content" required maxlength="20000"></textarea>
            <label for="files">\(escape(t.files))</label><input type="file" id="files" name="files" multiple accept=".jpg,.jpeg,.png,.gif,.pdf,.txt">
            <p class="hint">\(escape(t.filesHint))</p>
            <p class="check"><input type="checkbox" id="consent" name="consent_to_publish" value="1"> <label for="consent">\(escape(t.consent))</label></p>
            <label for="answer">\(escape(t.question)) \(question)?</label><input type="text" id="answer" name="answer" inputmode="numeric" required maxlength="3">
            <input type="hidden" name="token" value="\(escape(token))">
            <button type="submit">\(escape(t.send))</button>
            </form>
            """
        return page(lang, t.title, body)
    }

    static func problem(_ lang: String, _ message: String, status: HTTPResponse.Status) -> Response {
        let t = Text.of(lang)
        return page(
            lang, t.problem,
            "<p class=\"box error\" role=\"alert\">\(escape(message))</p><p><a href=\"/?lang=\(lang)\">\(escape(t.back))</a></p>",
            status: status)
    }

    static let mediaTypes: [String: String] = [
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "pdf": "application/pdf",
        "txt": "text/plain",
    ]

    /// A web submission object from the form's fields (the JSON schema's field names).
    static func submission(_ fields: [String: [FormData.Field]]) -> [String: Any] {
        func text(_ name: String) -> String? {
            fields[name]?.first.map(\.text).flatMap {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0
            }
        }
        var object: [String: Any] = [
            "subject": text("subject") ?? "", "content": text("content") ?? "", "anonymous": text("anonymous") != nil,
            "consent_to_publish": text("consent_to_publish") != nil,
        ]
        for key in ["name", "phone", "email", "id_number"] { if let v = text(key) { object[key] = v } }
        let files = (fields["files"] ?? []).filter { $0.fileName != nil }
        if !files.isEmpty {
            object["attachments"] = files.map { file -> [String: String] in
                let name = file.fileName ?? "file"
                let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
                return [
                    "file_name": name, "media_type": mediaTypes[ext] ?? file.mediaType ?? "application/octet-stream",
                    "content_base64": Base64.encode(file.value),
                ]
            }
        }
        return object
    }

    static func confirmation(_ lang: String, _ receipt: IntakeReceipt) -> Response {
        let t = Text.of(lang)
        let body = """
            <div class="box" role="status"><p>\(escape(t.number)): <strong id="number">\(receipt.number)</strong></p>
            <p>\(escape(t.code)): <strong id="code">\(escape(receipt.queryCode ?? ""))</strong></p></div>
            <p>\(escape(t.keep))</p>
            """
        return page(lang, t.sent, body, status: .created)
    }

    static func lookupForm(_ lang: String) -> Response {
        let t = Text.of(lang)
        let body = """
            <form method="post" action="/check?lang=\(lang)">
            <label for="number">\(escape(t.number))</label><input type="text" id="number" name="number" required maxlength="20" placeholder="2026-000123">
            <label for="code">\(escape(t.code))</label><input type="text" id="code" name="code" required maxlength="20" autocomplete="off">
            <button type="submit">\(escape(t.check))</button>
            </form>
            """
        return page(lang, t.checkTitle, body)
    }

    /// The status page, or the one answer for an unknown number and for a wrong code (same status, same body).
    static func status(_ lang: String, _ status: CitizenStatus?) -> Response {
        let t = Text.of(lang)
        guard let s = status else {
            return page(
                lang, t.checkTitle, "<p class=\"box\" role=\"status\">\(escape(t.notFound))</p>", status: .notFound)
        }
        var rows = [
            (t.number, s.number.description), (t.status, s.status.rawValue), (t.received, s.received.description),
        ]
        if let d = s.deadline { rows.append((t.due, d.description)) }
        if let d = s.replied { rows.append((t.replied, d.description)) }
        if let d = s.closed { rows.append((t.closed, d.description)) }
        let list = rows.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined()
        let reply = s.reply.map {
            "<h2>\(escape(t.reply))</h2><p id=\"reply\">\(escape($0).replacingOccurrences(of: "\n", with: "<br>"))</p>"
        }
        return page(lang, t.checkTitle, "<dl class=\"box\" role=\"status\">\(list)</dl>" + (reply ?? ""))
    }
}
