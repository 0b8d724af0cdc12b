/// A strict reader for the subset of TOML that `Policies/` uses.
///
/// Supported: `# comments`, `[table]` and dotted `[table.sub]` headers, `key = value` with bare or quoted
/// keys, basic strings, integers, floats, booleans, and arrays of those (over several lines, trailing comma
/// allowed). Anything else is an error naming the file and line. Core keeps its own reader so that it stays
/// pure Swift: the TOML libraries in the package mirror wrap C++.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])

    var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array: "array"
        }
    }
}

/// One parsed file: a flat map from dotted table path to that table's keys, in file order.
public struct TOMLDocument: Sendable {
    /// The file name used in error messages.
    public let fileName: String
    /// Tables by dotted path (`""` is the root); each maps key to value and the line it was on.
    public private(set) var tables: [String: [String: (value: TOMLValue, line: Int)]] = ["": [:]]
    /// Table paths in the order they appear.
    public private(set) var tableOrder: [String] = [""]

    /// Parses `text`.
    /// - Throws: `CoreError.invalidPolicy` naming `fileName` and the line.
    public init(parsing text: String, fileName: String) throws(CoreError) {
        self.fileName = fileName
        var current = ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        var index = 0
        func fail(_ line: Int, _ why: String) -> CoreError {
            CoreError(.invalidPolicy, "\(fileName):\(line): \(why)")
        }
        while index < lines.count {
            let lineNumber = index + 1
            var line = Self.stripComment(lines[index]).trimmed
            index += 1
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), !line.hasPrefix("[[") else {
                    throw fail(lineNumber, "malformed table header (arrays of tables are not supported)")
                }
                let name = String(line.dropFirst().dropLast()).trimmed
                let parts = name.split(separator: ".", omittingEmptySubsequences: false).map { String($0).trimmed }
                guard !parts.isEmpty, parts.allSatisfy({ Self.isBareKey($0) }) else {
                    throw fail(lineNumber, "malformed table name '\(name)'")
                }
                current = parts.joined(separator: ".")
                guard tables[current] == nil || current.isEmpty else {
                    throw fail(lineNumber, "table [\(current)] is defined twice")
                }
                tables[current] = [:]
                tableOrder.append(current)
                continue
            }
            guard let eq = Self.indexOfEquals(line) else { throw fail(lineNumber, "expected key = value") }
            let rawKey = String(line[..<eq]).trimmed
            let key: String
            if rawKey.hasPrefix("\"") {
                guard rawKey.count >= 2, rawKey.hasSuffix("\""), let k = try? Self.unquote(rawKey) else {
                    throw fail(lineNumber, "malformed quoted key")
                }
                key = k
            } else {
                guard Self.isBareKey(rawKey) else { throw fail(lineNumber, "malformed key '\(rawKey)'") }
                key = rawKey
            }
            var valueText = String(line[line.index(after: eq)...]).trimmed
            // A multi-line array continues until its brackets balance.
            while valueText.hasPrefix("[") && !Self.bracketsBalanced(valueText) {
                guard index < lines.count else { throw fail(lineNumber, "unterminated array for '\(key)'") }
                valueText += " " + Self.stripComment(lines[index]).trimmed
                index += 1
            }
            let value: TOMLValue
            do { value = try Self.parseValue(valueText) } catch { throw fail(lineNumber, "\(error) for '\(key)'") }
            guard tables[current]?[key] == nil else { throw fail(lineNumber, "key '\(key)' is set twice") }
            tables[current, default: [:]][key] = (value, lineNumber)
            line = ""
        }
        lines.removeAll()
    }

    struct ValueError: Error, CustomStringConvertible {
        let description: String
    }

    static func isBareKey(_ text: String) -> Bool {
        !text.isEmpty
            && text.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                    || $0 == "-"
            }
    }

    /// Follows a scan through basic strings (`"…"` with backslash escapes), character by character, so that
    /// `#`, `=`, `,` and brackets inside a string are not taken for syntax.
    struct QuoteTracker {
        private var inString = false
        private var escaped = false

        /// Takes the next character: whether it is syntax, outside every string (a quote itself is not).
        mutating func isSyntax(_ c: Character) -> Bool {
            if inString {
                if escaped {
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    inString = false
                }
                return false
            }
            if c == "\"" {
                inString = true
                return false
            }
            return true
        }
    }

    static func stripComment(_ line: String) -> String {
        var quotes = QuoteTracker()
        var out = ""
        for c in line {
            if quotes.isSyntax(c) && c == "#" { break }
            out.append(c)
        }
        return out
    }

    static func indexOfEquals(_ line: String) -> String.Index? {
        var quotes = QuoteTracker()
        return line.indices.first { quotes.isSyntax(line[$0]) && line[$0] == "=" }
    }

    static func bracketsBalanced(_ text: String) -> Bool {
        var quotes = QuoteTracker()
        var depth = 0
        for c in text where quotes.isSyntax(c) {
            if c == "[" { depth += 1 }
            if c == "]" { depth -= 1 }
        }
        return depth == 0
    }

    static func unquote(_ text: String) throws(ValueError) -> String {
        guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else {
            throw ValueError(description: "bad string")
        }
        var out = ""
        var escaped = false
        for c in text.dropFirst().dropLast() {
            if escaped {
                switch c {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "\\": out.append("\\")
                case "\"": out.append("\"")
                default: throw ValueError(description: "unsupported escape \\\(c)")
                }
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                throw ValueError(description: "unescaped quote inside a string")
            } else {
                out.append(c)
            }
        }
        guard !escaped else { throw ValueError(description: "string ends in a backslash") }
        return out
    }

    static func parseValue(_ text: String) throws(ValueError) -> TOMLValue {
        let t = text.trimmed
        if t.isEmpty { throw ValueError(description: "missing value") }
        if t.hasPrefix("\"") { return .string(try unquote(t)) }
        if t == "true" { return .boolean(true) }
        if t == "false" { return .boolean(false) }
        if t.hasPrefix("[") {
            guard t.hasSuffix("]") else { throw ValueError(description: "malformed array") }
            let inner = String(t.dropFirst().dropLast())
            var items: [TOMLValue] = []
            var currentItem = ""
            var quotes = QuoteTracker()
            var depth = 0
            for c in inner {
                guard quotes.isSyntax(c) else {
                    currentItem.append(c)
                    continue
                }
                if c == "[" { depth += 1 }
                if c == "]" { depth -= 1 }
                if c == "," && depth == 0 {
                    guard !currentItem.trimmed.isEmpty else { throw ValueError(description: "empty array element") }
                    items.append(try parseValue(currentItem))
                    currentItem = ""
                } else {
                    currentItem.append(c)
                }
            }
            if !currentItem.trimmed.isEmpty { items.append(try parseValue(currentItem)) }
            return .array(items)
        }
        let digits = t.replacingUnderscores
        if let i = Int(digits) { return .integer(i) }
        if digits.contains("."), let d = Double(digits) { return .float(d) }
        throw ValueError(description: "unsupported value '\(t)' (quote strings and dates)")
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }

    var replacingUnderscores: String { String(filter { $0 != "_" }) }
}

// MARK: - Typed, checked access

/// Reads one table with typed getters that name file, table and key in every error, and that refuses keys
/// nobody asked for (`finish`).
public struct TOMLTable {
    let document: TOMLDocument
    let path: String
    private var seen: Set<String> = []

    init(_ document: TOMLDocument, _ path: String) {
        self.document = document
        self.path = path
    }

    var entries: [String: (value: TOMLValue, line: Int)] { document.tables[path] ?? [:] }

    func location(_ key: String) -> String {
        let table = path.isEmpty ? "" : "[\(path)] "
        let line = entries[key].map { ":\($0.line)" } ?? ""
        return "\(document.fileName)\(line): \(table)\(key)"
    }

    func fail(_ key: String, _ why: String) -> CoreError { CoreError(.invalidPolicy, "\(location(key)): \(why)") }

    /// A missing key, naming look-alike keys that were set instead (a typo must say where it is).
    func missing(_ key: String, _ what: String) -> CoreError {
        let similar = entries.keys.filter { $0 != key && !seen.contains($0) && $0.prefix(4) == key.prefix(4) }.sorted()
        let hint = similar.isEmpty ? "" : "; found unknown key \(similar.map { "'\($0)'" }.joined(separator: ", "))"
        return fail(key, "missing (\(what))\(hint)")
    }

    mutating func value(_ key: String) -> TOMLValue? {
        seen.insert(key)
        return entries[key]?.value
    }

    /// The value at `key` made into a `T` by `convert` (given how to refuse it, naming the key), or `fallback` when
    /// the key is absent; an absent key without a fallback is refused, saying what was expected.
    mutating func read<T>(
        _ key: String, default fallback: T?, expecting what: String,
        _ convert: (TOMLValue, _ fail: (String) -> CoreError) throws(CoreError) -> T
    ) throws(CoreError) -> T {
        guard let v = value(key) else {
            if let fallback { return fallback }
            throw missing(key, what)
        }
        let table = self
        return try convert(v) { table.fail(key, $0) }
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws(CoreError) -> Int
    {
        let bounds = "\(range.lowerBound)...\(range.upperBound)"
        return try read(key, default: fallback, expecting: "an integer in \(bounds)") {
            v, fail throws(CoreError) -> Int in
            guard case .integer(let i) = v else { throw fail("expected an integer, found a \(v.typeName)") }
            guard range.contains(i) else { throw fail("\(i) is outside \(bounds)") }
            return i
        }
    }

    mutating func double(_ key: String, in range: ClosedRange<Double>, default fallback: Double? = nil)
        throws(CoreError)
        -> Double
    {
        let bounds = "\(range.lowerBound)...\(range.upperBound)"
        return try read(key, default: fallback, expecting: "a number in \(bounds)") {
            v, fail throws(CoreError) -> Double in
            let d: Double
            switch v {
            case .float(let f): d = f
            case .integer(let i): d = Double(i)
            default: throw fail("expected a number, found a \(v.typeName)")
            }
            guard range.contains(d) else { throw fail("\(d) is outside \(bounds)") }
            return d
        }
    }

    mutating func bool(_ key: String, default fallback: Bool? = nil) throws(CoreError) -> Bool {
        try read(key, default: fallback, expecting: "true or false") { v, fail throws(CoreError) -> Bool in
            guard case .boolean(let b) = v else { throw fail("expected true or false, found a \(v.typeName)") }
            return b
        }
    }

    mutating func string(_ key: String, default fallback: String? = nil) throws(CoreError) -> String {
        try read(key, default: fallback, expecting: "a quoted string") { v, fail throws(CoreError) -> String in
            guard case .string(let s) = v else { throw fail("expected a quoted string, found a \(v.typeName)") }
            return s
        }
    }

    mutating func strings(_ key: String, default fallback: [String]? = nil) throws(CoreError) -> [String] {
        try read(key, default: fallback, expecting: "an array of quoted strings") {
            v, fail throws(CoreError) -> [String] in
            guard case .array(let items) = v else { throw fail("expected an array, found a \(v.typeName)") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { throw fail("every element must be a quoted string") }
                out.append(s)
            }
            return out
        }
    }

    /// Refuses any key in this table that was not read: a typo must not silently fall back to a default.
    func finish() throws(CoreError) {
        for key in entries.keys.sorted() where !seen.contains(key) {
            throw fail(key, "unknown key")
        }
    }
}

extension TOMLDocument {
    /// A checked reader for the table at `path` (`""` for the root).
    func table(_ path: String) -> TOMLTable { TOMLTable(self, path) }

    /// The names of the direct sub-tables of `prefix` (for `[holiday.x]`, `[roles.clerk]`).
    func subtables(of prefix: String) -> [String] {
        tableOrder.compactMap { path in
            guard path.hasPrefix(prefix + "."), !path.dropFirst(prefix.count + 1).contains(".") else { return nil }
            return String(path.dropFirst(prefix.count + 1))
        }
    }

    /// Refuses tables other than the root and those under `allowed` prefixes.
    func checkTables(allowed: [String]) throws(CoreError) {
        for path in tableOrder where !path.isEmpty {
            let ok = allowed.contains { path == $0 || path.hasPrefix($0 + ".") }
            guard ok else {
                throw CoreError(.invalidPolicy, "\(fileName): unknown table [\(path)]")
            }
        }
    }
}
