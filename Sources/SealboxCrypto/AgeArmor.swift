/// age's ASCII armor: strict PEM (RFC 7468) with label `AGE ENCRYPTED FILE`, 64 columns, padded base64.
///
/// Both directions stream: memory is one line, whatever the input size.
enum AgeArmor {
    static let header = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let footer = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let maxWhitespace = 1024

    /// Streams binary age bytes into armored text.
    struct Encoder {
        private var pending: [UInt8] = []
        private var started = false

        mutating func update(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) rethrows
        {
            if !started {
                started = true
                try (AgeArmor.header + [0x0a]).withUnsafeBytes(output)
            }
            pending.append(contentsOf: bytes)
            var consumed = 0
            var text: [UInt8] = []
            while pending.count - consumed >= 48 {
                text += Array(
                    Base64.encode(pending[consumed..<(consumed + 48)].withContiguousStorage, padded: true).utf8)
                text.append(0x0a)
                consumed += 48
            }
            pending.removeFirst(consumed)
            if !text.isEmpty { try text.withUnsafeBytes(output) }
        }

        mutating func finish(output: (UnsafeRawBufferPointer) throws -> Void) rethrows {
            if !started { try [UInt8]().withUnsafeBytes { try update($0, output: output) } }
            var text: [UInt8] = []
            if !pending.isEmpty {
                text += Array(Base64.encode(pending, padded: true).utf8)
                text.append(0x0a)
            }
            text += AgeArmor.footer + [0x0a]
            try text.withUnsafeBytes(output)
            pending = []
        }
    }

    /// Streams armored text into binary age bytes, refusing anything but the strict form.
    struct Decoder {
        private enum State { case leading, body, afterShortLine, trailing }
        private var state = State.leading
        private var line: [UInt8] = []
        private var whitespace = 0

        private static func fail(_ why: String) -> CryptoError { CryptoError(.ageArmor, "age armor: \(why)") }

        private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d }

        mutating func update(_ bytes: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
            for b in bytes {
                switch state {
                case .leading:
                    if line.isEmpty && Self.isSpace(b) {
                        whitespace += 1
                        guard whitespace < AgeArmor.maxWhitespace else {
                            throw Self.fail("too much leading whitespace")
                        }
                        continue
                    }
                    try take(b, output: output)
                case .trailing:
                    guard Self.isSpace(b) else { throw Self.fail("data after the end line") }
                    whitespace += 1
                    guard whitespace < AgeArmor.maxWhitespace else { throw Self.fail("too much trailing whitespace") }
                case .body, .afterShortLine:
                    try take(b, output: output)
                }
            }
        }

        private mutating func take(_ b: UInt8, output: (UnsafeRawBufferPointer) throws -> Void) throws {
            guard b == 0x0a else {
                line.append(b)
                guard line.count <= 80 else { throw Self.fail("line too long") }
                return
            }
            if line.last == 0x0d { line.removeLast() }
            try endLine(output: output)
            line = []
        }

        private mutating func endLine(output: (UnsafeRawBufferPointer) throws -> Void) throws {
            switch state {
            case .leading:
                guard line == AgeArmor.header else { throw Self.fail("first line is not the BEGIN line") }
                state = .body
            case .body:
                if line == AgeArmor.footer {
                    state = .trailing
                    whitespace = 0
                    return
                }
                guard !line.isEmpty, line.count <= 64 else { throw Self.fail("line is empty or over 64 columns") }
                guard let decoded = Base64.decode(String(decoding: line, as: UTF8.self), padded: true) else {
                    throw Self.fail("line is not canonical base64")
                }
                if decoded.count < 48 { state = .afterShortLine }
                try decoded.withUnsafeBytes(output)
            case .afterShortLine:
                guard line == AgeArmor.footer else { throw Self.fail("a short line must be followed by the END line") }
                state = .trailing
                whitespace = 0
            case .trailing:
                break
            }
        }

        mutating func finish(output: (UnsafeRawBufferPointer) throws -> Void) throws {
            if !line.isEmpty {
                // A last line without LF: only the END line may end the input that way.
                guard state == .body || state == .afterShortLine, line == AgeArmor.footer else {
                    throw Self.fail("input ends inside a line")
                }
                state = .trailing
                line = []
            }
            guard state == .trailing else { throw Self.fail("no END line") }
        }
    }
}

extension ArraySlice where Element == UInt8 {
    var withContiguousStorage: [UInt8] { Array(self) }
}
