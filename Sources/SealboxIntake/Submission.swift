import Foundation
public import SealboxCore
import SealboxCrypto
public import SealboxStore

/// Why a submission was refused: the field and what is wrong with it, never the value.
public struct SubmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field (`subject`, `attachments[1].content_base64` …), or empty for the whole body.
    public var field: String
    /// What is wrong.
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// A file uploaded with a web submission.
public struct WebAttachment: Sendable, Decodable {
    public var fileName: String
    public var mediaType: String
    public var contentBase64: String

    enum CodingKeys: String, CodingKey, CaseIterable {
        case fileName = "file_name", mediaType = "media_type", contentBase64 = "content_base64"
    }
}

/// A letter from the website form: the JSON schema in `docs/intake.md` (M2.2.1 fields, M2.2.2 anonymity).
public struct WebSubmission: Sendable, Decodable {
    public var name: String?
    public var phone: String?
    public var email: String?
    public var idNumber: String?
    public var anonymous: Bool
    public var subject: String
    public var content: String
    public var consentToPublish: Bool
    public var attachments: [WebAttachment]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, phone, email, idNumber = "id_number", anonymous, subject, content
        case consentToPublish = "consent_to_publish", attachments
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        phone = try c.decodeIfPresent(String.self, forKey: .phone)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        idNumber = try c.decodeIfPresent(String.self, forKey: .idNumber)
        anonymous = try c.decodeIfPresent(Bool.self, forKey: .anonymous) ?? false
        subject = try c.decode(String.self, forKey: .subject)
        content = try c.decode(String.self, forKey: .content)
        consentToPublish = try c.decodeIfPresent(Bool.self, forKey: .consentToPublish) ?? false
        attachments = try c.decodeIfPresent([WebAttachment].self, forKey: .attachments) ?? []
    }

    /// Limits a submission must keep.
    public struct Limits: Sendable {
        public var subjectCharacters = 200
        public var contentCharacters = 20_000
        public var attachments = 5
        public var attachmentBytes = 10 << 20
        public var mediaTypes: Set<String> = [
            "image/jpeg", "image/png", "image/gif", "application/pdf", "text/plain",
        ]
        public init() {}
    }

    /// Decodes and validates one submission from JSON: unknown fields, wrong types and missing fields refused.
    /// - Throws: `SubmissionError` naming the field.
    public static func decode(_ json: [UInt8], limits: Limits = Limits()) throws(SubmissionError) -> WebSubmission {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(json)) } catch {
            throw SubmissionError("", "the body is not JSON")
        }
        guard let fields = object as? [String: Any] else { throw SubmissionError("", "the body is not a JSON object") }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw SubmissionError(String(unknown.prefix(40)), "unknown field")
        }
        for (index, item) in ((fields["attachments"] as? [Any]) ?? []).enumerated() {
            guard let object = item as? [String: Any] else {
                throw SubmissionError("attachments[\(index)]", "not an object")
            }
            let knownAttachment = Set(WebAttachment.CodingKeys.allCases.map(\.rawValue))
            if let unknown = object.keys.sorted().first(where: { !knownAttachment.contains($0) }) {
                throw SubmissionError("attachments[\(index)].\(unknown.prefix(40))", "unknown field")
            }
        }
        let submission: WebSubmission
        do { submission = try JSONDecoder().decode(WebSubmission.self, from: Data(json)) } catch let error
            as DecodingError
        {
            switch error {
            case .keyNotFound(let key, _): throw SubmissionError(key.stringValue, "missing")
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                throw SubmissionError(context.codingPath.map(\.stringValue).joined(separator: "."), "wrong type")
            @unknown default: throw SubmissionError("", "not a submission")
            }
        } catch { throw SubmissionError("", "not a submission") }
        try submission.validate(limits)
        return submission
    }

    /// Checks the M2.2.1 fields and the limits.
    func validate(_ limits: Limits) throws(SubmissionError) {
        func blank(_ s: String?) -> Bool { (s ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        if blank(subject) { throw SubmissionError("subject", "a subject is needed (M2.2.1)") }
        if subject.count > limits.subjectCharacters {
            throw SubmissionError("subject", "longer than \(limits.subjectCharacters) characters")
        }
        if blank(content) { throw SubmissionError("content", "the letter needs content (M2.2.1)") }
        if content.count > limits.contentCharacters {
            throw SubmissionError("content", "longer than \(limits.contentCharacters) characters")
        }
        if anonymous {
            if !blank(name) || !blank(phone) || !blank(email) || !blank(idNumber) {
                throw SubmissionError("anonymous", "an anonymous letter gives no name, phone, e-mail or ID number")
            }
        } else {
            if blank(name) { throw SubmissionError("name", "a name is needed, or write anonymously (M2.2.1, M2.2.2)") }
            if blank(phone) && blank(email) {
                throw SubmissionError("phone", "a phone number or an e-mail address is needed to answer (M2.2.1)")
            }
        }
        if let phone, !blank(phone), BlindIndex.normalise(phone, as: .phone) == nil {
            throw SubmissionError("phone", "not a phone number")
        }
        if let email, !blank(email), !Self.looksLikeEmail(email) {
            throw SubmissionError("email", "not an e-mail address")
        }
        if let id = idNumber, !blank(id), !IDNumber.isValid(id) {
            throw SubmissionError("id_number", "not a valid ID number (18 characters, checksum)")
        }
        if attachments.count > limits.attachments {
            throw SubmissionError("attachments", "more than \(limits.attachments) files")
        }
        for (index, attachment) in attachments.enumerated() {
            if !limits.mediaTypes.contains(attachment.mediaType.lowercased()) {
                throw SubmissionError(
                    "attachments[\(index)].media_type", "one of \(limits.mediaTypes.sorted().joined(separator: ", "))")
            }
            guard let bytes = Base64.decode(attachment.contentBase64) else {
                throw SubmissionError("attachments[\(index)].content_base64", "not base64")
            }
            if bytes.count > limits.attachmentBytes {
                throw SubmissionError("attachments[\(index)]", "larger than \(limits.attachmentBytes) bytes")
            }
            if blank(attachment.fileName) || attachment.fileName.count > 200 {
                throw SubmissionError("attachments[\(index)].file_name", "a file name of 1 to 200 characters")
            }
        }
    }

    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasSuffix(".")
            && !text.contains(" ")
    }

    /// The letter and its files (M2.2.1); for an anonymous letter the client's address is the identifier to follow
    /// it up (M2.2.2).
    public func letter(receivedAt: Timestamp, clientAddress: String?) -> (Letter, [IncomingAttachment]) {
        func personal(_ s: String?) -> Personal<String>? {
            let t = (s ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return t.isEmpty ? nil : Personal(t)
        }
        let sender = Sender(
            name: anonymous ? nil : personal(name), contact: anonymous ? nil : personal(phone) ?? personal(email),
            email: anonymous || personal(phone) == nil ? nil : personal(email), idNumber: personal(idNumber),
            anonymousIdentifier: anonymous ? personal(clientAddress) ?? Personal("web, address unknown") : nil)
        var letter = Letter(
            channel: .website, receivedAt: receivedAt, sender: sender,
            subject: Personal(subject.trimmingCharacters(in: .whitespacesAndNewlines)), content: Personal(content))
        letter.publicationConsent = consentToPublish
        let files = attachments.map {
            IncomingAttachment(
                fileName: Personal($0.fileName), mediaType: $0.mediaType.lowercased(),
                bytes: Base64.decode($0.contentBase64) ?? [])
        }
        return (letter, files)
    }
}

/// Mainland resident identity numbers (GB 11643): 17 digits and an ISO 7064 MOD 11-2 check character.
public enum IDNumber {
    /// Whether `text` is an 18-character ID number with a correct check character.
    public static func isValid(_ text: String) -> Bool {
        let id = Array(text.trimmingCharacters(in: .whitespaces).uppercased())
        guard id.count == 18, id[0..<17].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(id[0..<17], weights).reduce(0) { $0 + ($1.0.wholeNumberValue ?? 0) * $1.1 }
        return id[17] == Array("10X98765432")[sum % 11]
    }
}

/// Turns a parsed e-mail into a letter (M2.1, M2.2.1).
public enum MailIntake {
    /// The letter and its attachments.
    /// - Throws: `MailError` when the message holds neither text nor an attachment.
    public static func letter(from message: MailMessage, receivedAt: Timestamp) throws(MailError) -> (
        Letter, [IncomingAttachment]
    ) {
        let (name, address) = message.from
        let text = message.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty || !message.attachments.isEmpty else {
            throw MailError("the message has no text and no attachment")
        }
        let subject = message.subject.isEmpty ? "(無主題)" : message.subject
        let sender = Sender(
            name: name.map { Personal($0) }, contact: address.map { Personal($0) })
        let letter = Letter(
            channel: .email, receivedAt: receivedAt, sender: sender, subject: Personal(subject),
            content: Personal(text.isEmpty ? "(見附件)" : message.text))
        let files = message.attachments.map {
            IncomingAttachment(fileName: Personal($0.fileName), mediaType: $0.mediaType, bytes: $0.bytes)
        }
        return (letter, files)
    }

    /// The source key that makes mail intake idempotent: the Message-ID, or the SHA-256 of the message when it
    /// has none.
    public static func sourceKey(_ message: MailMessage?, raw: [UInt8]) -> String {
        if let id = message?.messageID { return "mail:id:\(id)" }
        return "mail:sha256:\(Hex.encode(SHA256.hash(raw)))"
    }
}
