import Glibc

/// Text in the charsets Chinese mail really uses, decoded to Swift strings with the C library's iconv.
///
/// GB2312 and GBK labels are decoded as GB18030, their superset: mail labelled `gb2312` routinely carries GBK
/// characters. Invalid bytes are an error, never replaced silently.
public enum Charset {
    /// The charsets accepted, by their lower-cased labels (and the iconv name each is decoded with).
    static let known: [String: String] = [
        "utf-8": "UTF-8", "utf8": "UTF-8", "us-ascii": "UTF-8", "ascii": "UTF-8",
        "gb2312": "GB18030", "gbk": "GB18030", "gb18030": "GB18030", "x-gbk": "GB18030", "cp936": "GB18030",
        "euc-cn": "GB18030", "big5": "BIG5", "big5-hkscs": "BIG5-HKSCS", "cp950": "BIG5",
        "iso-8859-1": "ISO-8859-1", "latin1": "ISO-8859-1", "windows-1252": "WINDOWS-1252",
    ]

    /// Whether `label` names a supported charset.
    public static func isSupported(_ label: String) -> Bool { known[label.lowercased()] != nil }

    /// Decodes `bytes` in the charset `label`.
    /// - Throws: `MailError` for an unsupported charset or bytes that are not valid in it.
    public static func decode(_ bytes: some Collection<UInt8>, label: String) throws(MailError) -> String {
        guard let name = known[label.lowercased()] else {
            throw MailError("unsupported charset \(MailError.token(label))")
        }
        if name == "UTF-8" {
            let array = Array(bytes)
            guard let text = String(validating: array, as: UTF8.self) else {
                throw MailError("text is not valid \(MailError.token(label))")
            }
            return text
        }
        return try convert(Array(bytes), from: name, label: label)
    }

    private static func convert(_ input: [UInt8], from name: String, label: String) throws(MailError) -> String {
        let cd = iconv_open("UTF-8", name)
        guard cd != iconv_t(bitPattern: -1) else {
            throw MailError("charset \(MailError.token(label)) is not installed")
        }
        defer { iconv_close(cd) }
        var source = input
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        var written = -1
        source.withUnsafeMutableBytes { src in
            output.withUnsafeMutableBytes { dst in
                var inPointer = src.baseAddress?.assumingMemoryBound(to: CChar.self)
                var outPointer = dst.baseAddress?.assumingMemoryBound(to: CChar.self)
                var inLeft = src.count
                var outLeft = dst.count
                if iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft) != -1 && inLeft == 0 {
                    written = dst.count - outLeft
                }
            }
        }
        guard written >= 0, let text = String(validating: output[0..<written], as: UTF8.self) else {
            throw MailError("text is not valid \(MailError.token(label))")
        }
        return text
    }
}
