/// One recipient stanza of an age header: `-> type args…` and a base64 body.
struct AgeStanza: Sendable {
    var type: String
    var arguments: [String]
    var body: [UInt8]
}

/// The age v1 header: stanzas and MAC (age-encryption.org/v1, "Header").
struct AgeHeader: Sendable {
    static let versionLine = Array("age-encryption.org/v1\n".utf8)
    static let maxBytes = 1 << 20

    var stanzas: [AgeStanza]
    var mac: [UInt8]
    /// The header bytes the MAC covers: everything up to and including `---`.
    var macInput: [UInt8]

    /// Serialises stanzas (without the MAC line's MAC): returns the bytes up to and including `---`.
    static func encode(_ stanzas: [AgeStanza]) -> [UInt8] {
        var out = versionLine
        for s in stanzas {
            out += Array("-> \(([s.type] + s.arguments).joined(separator: " "))\n".utf8)
            let b64 = Array(Base64.encode(s.body, padded: false).utf8)
            var i = 0
            while b64.count - i >= 64 {
                out += b64[i..<(i + 64)]
                out.append(0x0a)
                i += 64
            }
            // A body always ends with a line shorter than 64 columns, empty if need be.
            out += b64[i...]
            out.append(0x0a)
        }
        out += Array("---".utf8)
        return out
    }

    /// Finds the index just after a complete header's MAC line, or `nil` when more input is needed.
    static func endIndex(in bytes: [UInt8], scanFrom from: inout Int) -> Int? {
        var lineStart = from
        while let nl = bytes[lineStart...].firstIndex(of: 0x0a) {
            if bytes[lineStart...].starts(with: [0x2d, 0x2d, 0x2d]) { return nl + 1 }
            lineStart = nl + 1
        }
        from = lineStart
        return nil
    }

    /// Parses a complete header (the bytes up to and including the MAC line's LF).
    /// - Throws: `CryptoError.ageHeader` for anything that is not exactly the v1 grammar.
    init(parsing bytes: [UInt8]) throws(CryptoError) {
        func fail(_ why: String) -> CryptoError { CryptoError(.ageHeader, "age header: \(why)") }
        guard bytes.starts(with: Self.versionLine) else {
            throw fail(
                bytes.starts(with: Array("age-encryption.org/".utf8)) ? "unsupported version" : "not an age file")
        }
        var lines: [ArraySlice<UInt8>] = []
        var start = Self.versionLine.count
        while start < bytes.count, let nl = bytes[start...].firstIndex(of: 0x0a) {
            lines.append(bytes[start..<nl])
            start = nl + 1
        }
        guard start == bytes.count else { throw fail("truncated") }
        var stanzas: [AgeStanza] = []
        var index = 0
        var offset = Self.versionLine.count
        while index < lines.count {
            let line = lines[index]
            if line.starts(with: [0x2d, 0x2d, 0x2d]) {
                guard index == lines.count - 1 else { throw fail("data after the MAC line") }
                guard line.count == 47, line[line.startIndex + 3] == 0x20,
                    let mac = Base64.decode(String(decoding: line.dropFirst(4), as: UTF8.self), padded: false),
                    mac.count == 32
                else { throw fail("malformed MAC line") }
                guard !stanzas.isEmpty else { throw fail("no recipient stanza") }
                self.stanzas = stanzas
                self.mac = mac
                self.macInput = Array(bytes[0..<(offset + 3)])
                return
            }
            guard line.starts(with: [0x2d, 0x3e, 0x20]) else { throw fail("expected a stanza or the MAC line") }
            let args = line.dropFirst(3).split(separator: 0x20, omittingEmptySubsequences: false)
            guard !args.isEmpty, args.allSatisfy({ !$0.isEmpty && $0.allSatisfy { (0x21...0x7e).contains($0) } }) else {
                throw fail("malformed stanza arguments")
            }
            offset += line.count + 1
            index += 1
            var body: [UInt8] = []
            var ended = false
            while index < lines.count {
                let bodyLine = lines[index]
                guard bodyLine.count <= 64 else { throw fail("stanza body line longer than 64 columns") }
                guard let decoded = Base64.decode(String(decoding: bodyLine, as: UTF8.self), padded: false) else {
                    throw fail("stanza body is not canonical base64")
                }
                body += decoded
                offset += bodyLine.count + 1
                index += 1
                if bodyLine.count < 64 {
                    ended = true
                    break
                }
            }
            guard ended else { throw fail("stanza body has no final short line") }
            let strings = args.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
        }
        throw fail("missing MAC line")
    }
}
