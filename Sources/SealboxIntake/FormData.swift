import Foundation

/// HTML form bodies: `application/x-www-form-urlencoded` and `multipart/form-data` (RFC 7578), parsed with the
/// mail parser's MIME machinery.
public enum FormData {
    /// One field: its text, or an uploaded file.
    public struct Field: Sendable, Equatable {
        public var value: [UInt8]
        /// The file name, for a file input.
        public var fileName: String?
        /// The part's media type, for a file input.
        public var mediaType: String?

        /// The value as UTF-8 text.
        public var text: String { String(decoding: value, as: UTF8.self) }
    }

    /// The fields of a form body, by name (a repeated name keeps every value, in order).
    /// - Throws: `MailError` for a malformed multipart body or an unsupported content type.
    public static func parse(_ body: [UInt8], contentType: String) throws(MailError) -> [String: [Field]] {
        let type = HeaderValue.parse(contentType, defaultValue: "")
        switch type.value {
        case "application/x-www-form-urlencoded": return urlencoded(body)
        case "multipart/form-data":
            guard let boundary = type.parameters["boundary"], !boundary.isEmpty else {
                throw MailError("a multipart form has no boundary")
            }
            var fields: [String: [Field]] = [:]
            for part in try Multipart.split(body[...], boundary: boundary) {
                let entity = try Entity(part)
                let disposition = entity.disposition
                guard disposition.value == "form-data", let name = disposition.parameters["name"] else { continue }
                let fileName = disposition.parameters["filename"]
                let mediaType = fileName == nil ? nil : entity.contentType.value
                if fileName == "" && entity.body.isEmpty { continue }  // a file input left empty
                fields[name, default: []].append(
                    Field(value: Array(entity.body), fileName: fileName, mediaType: mediaType))
            }
            return fields
        default: throw MailError("a form is sent as application/x-www-form-urlencoded or multipart/form-data")
        }
    }

    /// `a=1&b=%E4%BD%A0+x`.
    static func urlencoded(_ body: [UInt8]) -> [String: [Field]] {
        var fields: [String: [Field]] = [:]
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let kv = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(decoding: unescape(kv[0]), as: UTF8.self)
            let value = kv.count > 1 ? unescape(kv[1]) : []
            fields[name, default: []].append(Field(value: value))
        }
        return fields
    }

    static func unescape(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        TransferEncoding.percentDecoded(bytes.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }[...])
    }
}

extension TransferEncoding {
    /// `%XX` escapes decoded; a malformed escape is kept as it is.
    static func percentDecoded(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: "%"), bytes.distance(from: i, to: bytes.endIndex) >= 3,
                let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16)
            {
                out.append(value)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
