import Foundation
import SealboxCrypto

/// Why a message could not be taken in.
///
/// The reason never quotes the message: it names the part that failed.
public struct MailError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A PII-free reason, for the quarantine record and the summary.
    public var reason: String

    /// Creates a reason.
    public init(_ reason: String) { self.reason = reason }

    public var description: String { reason }

    /// A value from the message quoted in a reason (a charset or encoding name): only when it looks like one, since a
    /// reason is kept in clear and must not carry what a sender typed.
    static func token(_ text: some StringProtocol) -> String {
        let ok =
            !text.isEmpty && text.count <= 40
            && text.unicodeScalars.allSatisfy {
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.:".unicodeScalars.contains($0))
            }
        return ok ? String(text) : "(unnamed)"
    }
}

/// A file that came with a message.
public struct MailAttachment: Sendable, Equatable {
    /// The file name the sender gave (decoded), or a made-up `part-N` when none.
    public var fileName: String
    /// The media type, lower-cased (`image/jpeg`).
    public var mediaType: String
    /// The decoded bytes.
    public var bytes: [UInt8]
}

/// One e-mail as Sealbox takes it in (RFC 5322 with MIME, RFC 2045–2047 and RFC 2231).
public struct MailMessage: Sendable {
    /// The unfolded header fields, in order, values as they came (encoded words not yet decoded).
    public var fields: [(name: String, value: String)]
    /// The text of the letter: the `text/plain` parts (or, failing those, `text/html` with the tags removed).
    public var text: String
    /// Every other part.
    public var attachments: [MailAttachment]

    /// The first field called `name` (case-insensitive), with encoded words decoded.
    public func header(_ name: String) -> String? {
        fields.first { $0.name.lowercased() == name.lowercased() }.map { EncodedWords.decode($0.value) }
    }

    /// `Message-ID` without its angle brackets.
    public var messageID: String? {
        header("Message-ID").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>\t")) }.flatMap {
            $0.isEmpty ? nil : $0
        }
    }

    /// The display name and address of `From`.
    public var from: (name: String?, address: String?) { Address.parse(header("From") ?? "") }

    /// The subject, or an empty string.
    public var subject: String { header("Subject")?.trimmingCharacters(in: CharacterSet(charactersIn: " \t")) ?? "" }
}

/// Parses RFC 5322 messages with MIME.
public enum MailParser {
    /// The most MIME parts one message may have, and how deep multiparts may nest.
    static let maxParts = 500
    static let maxDepth = 12

    /// Parses one message.
    /// - Throws: `MailError` naming what is wrong: no `From`, a malformed header, a multipart boundary missing or
    ///   never closed, an unknown transfer encoding or charset, bytes invalid in their charset.
    public static func parse(_ raw: [UInt8]) throws(MailError) -> MailMessage {
        let entity = try Entity(raw[...])
        guard entity.fields.contains(where: { $0.name.lowercased() == "from" }) else {
            throw MailError("no From header: the writer cannot be answered")
        }
        var collector = Collector()
        try collector.walk(entity, depth: 0)
        var text = collector.plain.joined(separator: "\n\n")
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            text = collector.html.map(HTMLText.strip).joined(separator: "\n\n")
        }
        return MailMessage(fields: entity.fields, text: text, attachments: collector.attachments)
    }

    /// Collects text and attachments from a tree of entities.
    struct Collector {
        var plain: [String] = []
        var html: [String] = []
        var attachments: [MailAttachment] = []
        var parts = 0

        mutating func walk(_ entity: Entity, depth: Int) throws(MailError) {
            parts += 1
            guard parts <= MailParser.maxParts else { throw MailError("more than \(MailParser.maxParts) MIME parts") }
            guard depth <= MailParser.maxDepth else { throw MailError("multiparts nested too deep") }
            let type = entity.contentType
            if type.value.hasPrefix("multipart/") {
                guard let boundary = type.parameters["boundary"], !boundary.isEmpty else {
                    throw MailError("a multipart part has no boundary parameter")
                }
                for part in try Multipart.split(entity.body, boundary: boundary) {
                    try walk(try Entity(part), depth: depth + 1)
                }
                return
            }
            let bytes = try TransferEncoding.decode(entity.body, encoding: entity.transferEncoding)
            let disposition = entity.disposition
            let fileName = disposition.parameters["filename"] ?? type.parameters["name"]
            let isAttachment = disposition.value == "attachment" || fileName != nil
            if !isAttachment && (type.value == "text/plain" || type.value == "text/html") {
                let text = try Charset.decode(bytes, label: type.parameters["charset"] ?? "us-ascii")
                if type.value == "text/plain" { plain.append(text) } else { html.append(text) }
                return
            }
            if type.value == "message/rfc822" && !isAttachment {
                attachments.append(
                    MailAttachment(fileName: "message-\(parts).eml", mediaType: type.value, bytes: bytes))
                return
            }
            attachments.append(
                MailAttachment(
                    fileName: fileName.map(EncodedWords.decode) ?? "part-\(parts)", mediaType: type.value,
                    bytes: bytes))
        }
    }
}

/// A header block and a body.
struct Entity {
    var fields: [(name: String, value: String)] = []
    var body: ArraySlice<UInt8>

    init(_ raw: ArraySlice<UInt8>) throws(MailError) {
        // The header ends at the first empty line; a message with no body may have none.
        var lines: [ArraySlice<UInt8>] = []
        var index = raw.startIndex
        var bodyStart = raw.endIndex
        while index < raw.endIndex {
            let end = raw[index...].firstIndex(of: 0x0A) ?? raw.endIndex
            var line = raw[index..<end]
            if line.last == 0x0D { line = line.dropLast() }
            index = end < raw.endIndex ? end + 1 : end
            if line.isEmpty {
                bodyStart = index
                break
            }
            lines.append(line)
        }
        body = raw[bodyStart...]
        for line in lines {
            if line.first == 0x20 || line.first == 0x09 {
                guard !fields.isEmpty else { throw MailError("the header starts with a continuation line") }
                fields[fields.count - 1].value +=
                    " " + Self.text(line).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
                continue
            }
            guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            else { throw MailError("a malformed header line (no field name)") }
            fields.append(
                (
                    Self.text(line[line.startIndex..<colon]),
                    Self.text(line[(colon + 1)...]).trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
                ))
        }
    }

    /// Header bytes: UTF-8 (RFC 6532) when valid, otherwise GB18030, the usual raw 8-bit header in Chinese mail.
    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return (try? Charset.decode(bytes, label: "gb18030")) ?? String(decoding: bytes, as: UTF8.self)
    }

    func field(_ name: String) -> String? { fields.first { $0.name.lowercased() == name }?.value }

    var contentType: HeaderValue {
        HeaderValue.parse(field("content-type") ?? "text/plain; charset=us-ascii", defaultValue: "text/plain")
    }

    var disposition: HeaderValue { HeaderValue.parse(field("content-disposition") ?? "", defaultValue: "") }

    var transferEncoding: String { (field("content-transfer-encoding") ?? "7bit").lowercased() }
}

/// `type/subtype; name=value; …` with quoted strings and RFC 2231 `name*=charset'lang'percent-encoded`.
struct HeaderValue {
    var value: String
    var parameters: [String: String]

    static func parse(_ text: String, defaultValue: String) -> HeaderValue {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for ch in text {
            if escaped {
                current.append(ch)
                escaped = false
            } else if ch == "\\" && quoted {
                escaped = true
            } else if ch == "\"" {
                quoted.toggle()
            } else if ch == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        pieces.append(current)
        let value = pieces[0].trimmingCharacters(in: CharacterSet(charactersIn: " \t")).lowercased()
        var parameters: [String: String] = [:]
        var continued: [String: [(Int, String)]] = [:]
        for piece in pieces.dropFirst() {
            guard let eq = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " \t")).lowercased()
            var content = piece[piece.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            let extended = name.hasSuffix("*")
            if extended { name.removeLast() }
            // RFC 2231 continuations: name*0, name*1 …
            if let star = name.lastIndex(of: "*"), let n = Int(name[name.index(after: star)...]) {
                let base = String(name[..<star])
                if extended { content = rfc2231(content, first: n == 0) }
                continued[base, default: []].append((n, content))
                continue
            }
            if extended { content = rfc2231(content, first: true) }
            parameters[name] = content
        }
        for (name, parts) in continued where parameters[name] == nil {
            parameters[name] = parts.sorted { $0.0 < $1.0 }.map(\.1).joined()
        }
        return HeaderValue(value: value.isEmpty ? defaultValue : value, parameters: parameters)
    }

    /// `charset'language'%XX…` (only the first section carries the charset).
    static func rfc2231(_ text: String, first: Bool) -> String {
        var charset = "utf-8"
        var encoded = Substring(text)
        if first {
            let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3 {
                charset = parts[0].isEmpty ? "utf-8" : String(parts[0])
                encoded = parts[2]
            }
        }
        let bytes = TransferEncoding.percentDecoded(Array(encoded.utf8)[...])
        return (try? Charset.decode(bytes, label: charset)) ?? String(decoding: bytes, as: UTF8.self)
    }
}

/// Splits a multipart body at its boundary (RFC 2046 §5.1).
enum Multipart {
    /// The parts between `--boundary` lines, up to `--boundary--`.
    /// - Throws: `MailError` when the boundary never appears or the closing delimiter is missing (a truncated
    ///   message: taking what is there would lose the rest without a word).
    static func split(_ body: ArraySlice<UInt8>, boundary: String) throws(MailError) -> [ArraySlice<UInt8>] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [ArraySlice<UInt8>] = []
        var partStart: ArraySlice<UInt8>.Index?
        var index = body.startIndex
        var closed = false
        var sawDelimiter = false
        while index < body.endIndex {
            let end = body[index...].firstIndex(of: 0x0A) ?? body.endIndex
            var line = body[index..<end]
            if line.last == 0x0D { line = line.dropLast() }
            if line.starts(with: delimiter) {
                let rest = line.dropFirst(delimiter.count)
                let isClose = rest.starts(with: [0x2D, 0x2D])
                if isClose || rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) {
                    if let start = partStart {
                        // The line break before a delimiter belongs to the delimiter.
                        var stop = index
                        if stop > start && body[stop - 1] == 0x0A { stop -= 1 }
                        if stop > start && body[stop - 1] == 0x0D { stop -= 1 }
                        parts.append(body[start..<stop])
                    }
                    sawDelimiter = true
                    if isClose {
                        closed = true
                        break
                    }
                    partStart = end < body.endIndex ? end + 1 : end
                }
            }
            index = end < body.endIndex ? end + 1 : end
        }
        guard sawDelimiter else { throw MailError("the multipart boundary never appears in the body") }
        guard closed else { throw MailError("the multipart body ends without its closing boundary (truncated?)") }
        return parts
    }
}

/// Content-Transfer-Encoding (RFC 2045 §6).
enum TransferEncoding {
    static func decode(_ body: ArraySlice<UInt8>, encoding: String) throws(MailError) -> [UInt8] {
        switch encoding {
        case "7bit", "8bit", "binary": return Array(body)
        case "base64": return try base64(body)
        case "quoted-printable": return quotedPrintable(body)
        default: throw MailError("unknown transfer encoding \(MailError.token(encoding))")
        }
    }

    /// Base64 with line breaks and other whitespace ignored; any other stray character is an error.
    static func base64(_ body: ArraySlice<UInt8>) throws(MailError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for byte in body {
            let value: UInt32
            switch byte {
            case 0x41...0x5A: value = UInt32(byte - 0x41)
            case 0x61...0x7A: value = UInt32(byte - 0x61 + 26)
            case 0x30...0x39: value = UInt32(byte - 0x30 + 52)
            case 0x2B: value = 62
            case 0x2F: value = 63
            case 0x3D:
                padding += 1
                continue
            case 0x0D, 0x0A, 0x20, 0x09: continue
            default: throw MailError("a base64 part holds a character outside base64")
            }
            guard padding == 0 else { throw MailError("a base64 part has data after its padding") }
            accumulator = accumulator << 6 | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }

    /// Quoted-printable: `=XX` escapes and `=` soft line breaks; a malformed escape is kept as it is (RFC 2045
    /// §6.7 (1), robustness).
    static func quotedPrintable(_ body: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var i = body.startIndex
        while i < body.endIndex {
            let byte = body[i]
            if byte == 0x3D {
                let next = body.index(after: i)
                if next < body.endIndex && body[next] == 0x0A {
                    i = body.index(after: next)
                    continue
                }
                if next < body.endIndex && body[next] == 0x0D, body.index(after: next) < body.endIndex,
                    body[body.index(after: next)] == 0x0A
                {
                    i = body.index(next, offsetBy: 2)
                    continue
                }
                if body.distance(from: i, to: body.endIndex) >= 3, let hi = Hex.digit(body[next]),
                    let lo = Hex.digit(body[body.index(after: next)])
                {
                    out.append(hi << 4 | lo)
                    i = body.index(i, offsetBy: 3)
                    continue
                }
            }
            out.append(byte)
            i = body.index(after: i)
        }
        return out
    }
}

/// RFC 2047 encoded words in header values: `=?charset?B?…?=` and `=?charset?Q?…?=`.
public enum EncodedWords {
    /// Decodes every encoded word in `text`.
    ///
    /// Whitespace between two adjacent encoded words is dropped; a word that does not decode is left as it is.
    public static func decode(_ text: String) -> String {
        guard text.contains("=?") else { return text }
        var out = ""
        var rest = Substring(text)
        var pendingSpace = ""
        var lastWasEncoded = false
        while let start = rest.range(of: "=?") {
            let before = rest[..<start.lowerBound]
            if let (decoded, after) = word(rest[start.lowerBound...]) {
                if !(lastWasEncoded && before.allSatisfy({ $0 == " " || $0 == "\t" })) { out += pendingSpace + before }
                pendingSpace = ""
                out += decoded
                rest = after
                lastWasEncoded = true
            } else {
                out += before + "=?"
                rest = rest[start.upperBound...]
                lastWasEncoded = false
            }
        }
        return out + rest
    }

    /// One encoded word at the start of `text`, and what follows it.
    static func word(_ text: Substring) -> (String, Substring)? {
        let parts = text.dropFirst(2).split(separator: "?", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[3].hasPrefix("="), parts[0].count < 40 else { return nil }
        let charset = parts[0].split(separator: "*").first.map(String.init) ?? ""
        let payload = Array(parts[2].utf8)
        let bytes: [UInt8]
        switch parts[1].uppercased() {
        case "B":
            guard let decoded = try? TransferEncoding.base64(payload[...]) else { return nil }
            bytes = decoded
        case "Q":
            bytes = TransferEncoding.quotedPrintable(payload.map { $0 == 0x5F ? 0x20 : $0 }[...])
        default: return nil
        }
        guard let decoded = try? Charset.decode(bytes, label: charset) else { return nil }
        return (decoded, parts[3].dropFirst())
    }
}

/// `Name <address>`, `address (Name)` or a bare address.
enum Address {
    static func parse(_ text: String) -> (name: String?, address: String?) {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        if let open = trimmed.lastIndex(of: "<"), let close = trimmed.lastIndex(of: ">"), open < close {
            let address = trimmed[trimmed.index(after: open)..<close].trimmingCharacters(
                in: CharacterSet(charactersIn: " "))
            let name = trimmed[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " \t\""))
            return (name.isEmpty ? nil : name, address.isEmpty ? nil : address)
        }
        if let open = trimmed.firstIndex(of: "("), let close = trimmed.lastIndex(of: ")"), open < close {
            let name = trimmed[trimmed.index(after: open)..<close].trimmingCharacters(
                in: CharacterSet(charactersIn: " "))
            let address = trimmed[..<open].trimmingCharacters(in: CharacterSet(charactersIn: " "))
            return (name.isEmpty ? nil : name, address.isEmpty ? nil : address)
        }
        return (nil, trimmed.isEmpty ? nil : trimmed)
    }
}

/// The text of an HTML part: tags dropped, common entities decoded, block ends as line breaks.
enum HTMLText {
    static func strip(_ html: String) -> String {
        var out = ""
        var inTag = false
        var tag = ""
        for ch in html {
            if inTag {
                if ch == ">" {
                    inTag = false
                    let name = tag.lowercased().split(whereSeparator: { $0 == " " || $0 == "/" }).first ?? ""
                    if ["br", "p", "div", "li", "tr"].contains(name) { out += "\n" }
                } else {
                    tag.append(ch)
                }
            } else if ch == "<" {
                inTag = true
                tag = ""
            } else {
                out.append(ch)
            }
        }
        for (entity, text) in [
            ("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"),
            ("&amp;", "&"),
        ] {
            out = out.replacingOccurrences(of: entity, with: text)
        }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
