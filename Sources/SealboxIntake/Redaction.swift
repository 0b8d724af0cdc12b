import Foundation

/// The redaction gate for published replies (信件選登): finds the personal data in a text before anything is
/// published, masks what it is sure of, and holds what it cannot decide for the clerk.
public enum Redaction {
    /// What a finding is.
    public enum Kind: String, Sendable, CaseIterable {
        /// A name the writer gave (or its surname with 先生/女士/小姐).
        case name
        /// A mobile or landline number.
        case phone
        /// An e-mail address.
        case email
        /// An 18-character resident ID number with a valid check character.
        case idNumber = "id_number"
        /// A street address (Chinese road + number, or an English street line).
        case address
        /// Something that looks personal but is none of the above for sure (a long number, an ID number whose
        /// check character fails): held for the clerk.
        case undecided
    }

    /// One finding: its kind and where it is (UTF-16 offsets into the scanned text).
    public struct Finding: Sendable, Equatable {
        public var kind: Kind
        public var range: Range<Int>
        /// The text found (for the clerk's screen only: never logged).
        public var text: String
    }

    /// The text with every sure finding masked, and every finding.
    public struct Result: Sendable, Equatable {
        /// The text with names, phones, e-mails, ID numbers and addresses masked (undecided findings are not).
        public var masked: String
        public var findings: [Finding]

        /// Findings the clerk must resolve before publishing.
        public var held: [Finding] { findings.filter { $0.kind == .undecided } }

        /// The masked text, with the held findings masked too (the clerk chose to).
        public var maskedWithHeld: String {
            let text = NSMutableString(string: masked)
            for f in held.reversed() {
                text.replaceCharacters(
                    in: NSRange(location: f.range.lowerBound, length: f.range.count), with: Redaction.mask(f.text.count)
                )
            }
            return text as String
        }
    }

    /// The mask for `count` characters.
    static func mask(_ count: Int) -> String { String(repeating: "＊", count: max(count, 1)) }

    static let patterns: [(Kind, NSRegularExpression)] = {
        // The patterns are constants: one that did not compile would be missing, which the tests catch.
        func regex(_ p: String) -> NSRegularExpression? { try? NSRegularExpression(pattern: p, options: []) }
        let list: [(Kind, NSRegularExpression?)] = [
            (.email, regex(#"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"#)),
            // 18-character ID numbers (checked below), before phones so their digits are not taken for one.
            (.idNumber, regex(#"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])"#)),
            (.phone, regex(#"(?<![0-9])(\+?86[\s\-]?|0086[\s\-]?)?1[3-9][0-9](?:[\s\-]?[0-9]){8}(?![0-9])"#)),
            (.phone, regex(#"(?<![0-9])0[0-9]{2,3}[\s\-]?[0-9]{7,8}(?![0-9])"#)),
            (
                .address,
                regex(
                    #"[\p{Han}0-9]{0,12}(?:路|街|道|巷|大道|胡同)[0-9０-９一二三四五六七八九十百零]+(?:號|号|弄)(?:[0-9０-９]+(?:樓|楼|室|號|号))*"#
                )
            ),
            (
                .address,
                regex(
                    #"\b[0-9]{1,5}\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Boulevard|Blvd\.?|Drive|Dr\.?)(?![A-Za-z])"#
                )
            ),
            (.undecided, regex(#"(?<![0-9])[0-9][0-9\s\-]{5,}[0-9](?![0-9])"#)),
        ]
        return list.compactMap { kind, regex in regex.map { (kind, $0) } }
    }()

    /// Scans `text` for personal data; `names` are the names the writer gave (the sender's name, people named).
    public static func scan(_ text: String, names: [String] = []) -> Result {
        let ns = text as NSString
        var taken: [Range<Int>] = []
        var findings: [Finding] = []
        func free(_ r: Range<Int>) -> Bool { !taken.contains { $0.overlaps(r) } }
        func add(_ kind: Kind, _ r: Range<Int>) {
            guard free(r) else { return }
            taken.append(r)
            findings.append(
                Finding(
                    kind: kind, range: r, text: ns.substring(with: NSRange(location: r.lowerBound, length: r.count))))
        }
        // Names first: the writer's own and, for a Chinese name, its surname with a courtesy title.
        var nameForms: [String] = []
        for name in names.map({ $0.trimmingCharacters(in: .whitespaces) }) where name.count >= 2 {
            nameForms.append(name)
            if let first = name.first, first.unicodeScalars.allSatisfy({ $0.properties.isIdeographic }) {
                nameForms += ["先生", "女士", "小姐"].map { "\(first)\($0)" }
            }
        }
        for form in nameForms.sorted(by: { $0.count > $1.count }) {
            var search = NSRange(location: 0, length: ns.length)
            while true {
                let found = ns.range(of: form, options: [.caseInsensitive], range: search)
                if found.location == NSNotFound { break }
                add(.name, found.location..<(found.location + found.length))
                let next = found.location + max(found.length, 1)
                search = NSRange(location: next, length: ns.length - next)
            }
        }
        for (kind, pattern) in patterns {
            for match in pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
                let r = match.range.location..<(match.range.location + match.range.length)
                if kind == .idNumber {
                    add(IDNumber.isValid(ns.substring(with: match.range)) ? .idNumber : .undecided, r)
                } else {
                    add(kind, r)
                }
            }
        }
        findings.sort { $0.range.lowerBound < $1.range.lowerBound }
        let masked = NSMutableString(string: text)
        for f in findings.reversed() where f.kind != .undecided {
            masked.replaceCharacters(
                in: NSRange(location: f.range.lowerBound, length: f.range.count), with: mask(f.text.count))
        }
        return Result(masked: masked as String, findings: findings)
    }
}
