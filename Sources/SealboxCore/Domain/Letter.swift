/// How a letter reached the mailbox (M2.1).
public enum Channel: String, Sendable, Codable, CaseIterable {
    /// The government website form.
    case website
    /// The 12345 service hotline.
    case hotline
    /// E-mail.
    case email
    /// Post.
    case post
    /// In person.
    case walkIn = "walk_in"
    /// Anything else.
    case other
}

/// How urgent a matter is (M3.2.2, M4.2.3).
public enum Priority: String, Sendable, Codable, CaseIterable {
    /// General: N working days (M4.2.1).
    case general
    /// Urgent or major: assigned at once, short deadline, daily progress reports.
    case urgent
}

/// An attachment's description; its bytes are sealed separately by the store.
public struct AttachmentInfo: Sendable, Equatable, Codable {
    /// The file name the sender gave (personal: names can identify people).
    public var fileName: Personal<String>
    /// The media type, for example `image/jpeg`.
    public var mediaType: String
    /// The size in bytes.
    public var byteCount: Int
    /// The SHA-256 of the bytes, hex.
    public var sha256: String

    /// Creates an attachment description.
    public init(fileName: Personal<String>, mediaType: String, byteCount: Int, sha256: String) {
        self.fileName = fileName
        self.mediaType = mediaType
        self.byteCount = byteCount
        self.sha256 = sha256
    }
}

/// Who wrote: every field is personal data, sealed at rest (M2.2.1, M6.2.1).
public struct Sender: Sendable, Equatable, Codable {
    /// The sender's name, absent for an anonymous letter.
    public var name: Personal<String>?
    /// Phone number, e-mail or postal address.
    public var contact: Personal<String>?
    /// An e-mail address besides `contact` (a web form asks for both a phone and an e-mail).
    public var email: Personal<String>?
    /// An identity document number, when given.
    public var idNumber: Personal<String>?
    /// For an anonymous letter: the IP address or another identifier to follow it up (M2.2.2).
    public var anonymousIdentifier: Personal<String>?

    /// Creates a sender.
    public init(
        name: Personal<String>? = nil, contact: Personal<String>? = nil, email: Personal<String>? = nil,
        idNumber: Personal<String>? = nil, anonymousIdentifier: Personal<String>? = nil
    ) {
        self.name = name
        self.contact = contact
        self.email = email
        self.idNumber = idNumber
        self.anonymousIdentifier = anonymousIdentifier
    }

    /// Whether the letter is anonymous: no name and no way to answer.
    public var isAnonymous: Bool { name == nil && contact == nil && email == nil }
}

/// A letter as registered (M2.2.1): what came in, before any handling.
public struct Letter: Sendable, Equatable, Codable {
    /// The channel (M2.1).
    public var channel: Channel
    /// When it was received.
    public var receivedAt: Timestamp
    /// Who wrote.
    public var sender: Sender
    /// The subject (personal: it often names people and places).
    public var subject: Personal<String>
    /// The letter's text.
    public var content: Personal<String>
    /// Attachments.
    public var attachments: [AttachmentInfo]
    /// Whether the writer consented to publication with personal details removed (信件選登); `nil` when not asked.
    public var publicationConsent: Bool?

    /// Creates a letter.
    public init(
        channel: Channel, receivedAt: Timestamp, sender: Sender, subject: Personal<String>, content: Personal<String>,
        attachments: [AttachmentInfo] = []
    ) {
        self.channel = channel
        self.receivedAt = receivedAt
        self.sender = sender
        self.subject = subject
        self.content = content
        self.attachments = attachments
    }
}
