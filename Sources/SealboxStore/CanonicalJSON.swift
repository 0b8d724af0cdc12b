import SealboxCore

/// The two JSON texts whose exact bytes matter, written by hand: the canonical feedback a department seal signs
/// (M4.3.1), and an archive package's `metadata.json` (M6.1.2).
///
/// Both were first written by Foundation's `JSONEncoder` (`.sortedKeys`; the metadata also `.prettyPrinted` and
/// `.withoutEscapingSlashes`), and these write the same bytes (tests compare them over random text). Written here they
/// no longer depend on how a later Foundation formats JSON — a seal's digest must come out the same for as long as
/// the case is kept — and they cost a fraction of an encoder's time (an export writes both for every package).
enum CanonicalJSON {
    /// The feedback without its seal, as the seal's digest covers it: keys in byte order, no spaces, `/` escaped.
    ///
    /// A field added to `Feedback` must be added here too (a test fails until it is): the seal covers what this
    /// writes.
    static func unsealedFeedback(_ feedback: Feedback) -> [UInt8] {
        // Room for the longest it can be (every byte escaped as \u00xx), so that the text, personal data, is never
        // copied to a larger buffer and left behind unwiped in the one before: the caller wipes this one.
        let texts = [
            feedback.draftedBy.rawValue, feedback.investigation.value, feedback.opinion.value, feedback.result.value,
        ]
        var out: [UInt8] = []
        out.reserveCapacity(256 + 6 * texts.reduce(0) { $0 + $1.utf8.count })
        out += Array(#"{"draftedAt":{"secondsSinceEpoch":"#.utf8)
        out += Array(String(feedback.draftedAt.secondsSinceEpoch).utf8)
        out += Array(#"},"draftedBy":"#.utf8)
        appendString(feedback.draftedBy.rawValue, to: &out, escapingSlash: true)
        out += Array(#","investigation":"#.utf8)
        appendString(feedback.investigation.value, to: &out, escapingSlash: true)
        out += Array(#","opinion":"#.utf8)
        appendString(feedback.opinion.value, to: &out, escapingSlash: true)
        out += Array(#","result":"#.utf8)
        appendString(feedback.result.value, to: &out, escapingSlash: true)
        if let satisfaction = feedback.senderSatisfaction {
            out += Array(#","senderSatisfaction":"#.utf8)
            appendString(satisfaction.rawValue, to: &out, escapingSlash: true)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// A flat object of strings, pretty-printed: keys in byte order, one a line indented two spaces, `" : "`
    /// between key and value, `/` not escaped.
    static func prettyObject(_ entries: [(key: String, value: String)]) -> [UInt8] {
        let sorted = entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        guard !sorted.isEmpty else { return Array("{\n\n}".utf8) }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (i, entry) in sorted.enumerated() {
            out += Array((i == 0 ? "\n  " : ",\n  ").utf8)
            appendString(entry.key, to: &out, escapingSlash: false)
            out += Array(" : ".utf8)
            appendString(entry.value, to: &out, escapingSlash: false)
        }
        out += Array("\n}".utf8)
        return out
    }

    /// Appends `string` as a JSON string literal the way `JSONEncoder` writes one: `"` and `\` escaped, `/` too if
    /// `escapingSlash`, backspace, form feed, line feed, carriage return and tab by their short escapes, every other
    /// byte below 0x20 as `\u00xx` (lower-case hex), and everything else, DEL and non-ASCII included, as it is.
    static func appendString(_ string: String, to out: inout [UInt8], escapingSlash: Bool) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            // Runs that need no escape are copied whole.
            var run = 0
            for (i, byte) in utf8.enumerated() {
                let escape: [UInt8]?
                switch byte {
                case UInt8(ascii: "\""): escape = [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): escape = [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "/") where escapingSlash: escape = [UInt8(ascii: "\\"), UInt8(ascii: "/")]
                case 0x08: escape = [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x09: escape = [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0x0A: escape = [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0C: escape = [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                case 0x0D: escape = [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x00..<0x20:
                    escape = [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hex[Int(byte >> 4)],
                        hex[Int(byte & 0x0F)],
                    ]
                default: escape = nil
                }
                guard let escape else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<i]))
                out.append(contentsOf: escape)
                run = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Lower-case hexadecimal digits, for `\u00xx`.
    private static let hex = Array("0123456789abcdef".utf8)
}
