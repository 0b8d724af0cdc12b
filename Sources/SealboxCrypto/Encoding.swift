internal import CSodium

/// Lowercase hexadecimal.
public enum Hex {
    /// Encodes bytes as lowercase hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let fast = bytes.withContiguousStorageIfAvailable { encode(UnsafeRawBufferPointer($0)) }
        return fast ?? Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// Encodes bytes in place as lowercase hex: no table or intermediate array allocated (digests are hexed many
    /// times a package).
    static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (i, b) in bytes.enumerated() {
                let (high, low) = (b >> 4, b & 0x0f)
                out[2 * i] = high < 10 ? 0x30 + high : 0x57 + high
                out[2 * i + 1] = low < 10 ? 0x30 + low : 0x57 + low
            }
            return bytes.count * 2
        }
    }

    /// Decodes hex (either case); `nil` when malformed.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(utf8: (text.utf8.withContiguousStorageIfAvailable { Array($0) } ?? Array(text.utf8))[...])
    }

    /// The value of one hex digit (either case), or `nil`.
    public static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// Each byte's value as a hex digit (either case), 0xFF for any other byte.
    static let digits: [UInt8] = (0...255).map { digit(UInt8($0)) ?? 0xFF }

    /// Decodes hex (either case) given as UTF-8 bytes; `nil` when malformed.
    ///
    /// Through a table, written in place: a package's manifests hold a few thousand hex digits, checked on every
    /// verification.
    public static func decode(utf8 chars: ArraySlice<UInt8>) -> [UInt8]? {
        guard chars.count % 2 == 0 else { return nil }
        var valid = true
        let out = digits.withUnsafeBufferPointer { table in
            chars.withUnsafeBufferPointer { c in
                [UInt8](unsafeUninitializedCapacity: c.count / 2) { out, count in
                    for i in 0..<(c.count / 2) {
                        let (hi, lo) = (table[Int(c[2 * i])], table[Int(c[2 * i + 1])])
                        if hi | lo > 15 { valid = false }
                        out[i] = hi << 4 | lo
                    }
                    count = c.count / 2
                }
            }
        }
        return valid ? out : nil
    }
}

/// Standard base64 (RFC 4648 §4), padded or unpadded, decoding only canonical input.
public enum Base64 {
    /// Encodes `bytes`.
    public static func encode(_ bytes: some RawBytes, padded: Bool = true) -> String {
        Sodium.ensure()
        let variant = padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING
        return bytes.withUnsafeBytes { b in
            let length = sodium_base64_encoded_len(b.count, variant)
            var out = [CChar](repeating: 0, count: length)
            _ = sodium_bin2base64(&out, length, b.u8, b.count, variant)
            return String(decoding: out.prefix(length - 1).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// Decodes canonical base64 (no whitespace, stray padding or trailing bits), or returns `nil`.
    public static func decode(_ text: some StringProtocol, padded: Bool = true) -> [UInt8]? {
        Sodium.ensure()
        // One copy of contiguous UTF-8 (a String's or a Substring's): `Array(text.utf8)` copied byte by byte.
        let chars = text.utf8.withContiguousStorageIfAvailable { Array($0) } ?? Array(text.utf8)
        if chars.isEmpty { return [] }
        let variant = padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING
        var out = [UInt8](repeating: 0, count: chars.count * 3 / 4 + 3)
        var outCount = 0
        var end: UnsafePointer<CChar>?
        let status = chars.withUnsafeBufferPointer { c in
            c.withMemoryRebound(to: CChar.self) { cc in
                let s = sodium_base642bin(&out, out.count, cc.baseAddress, cc.count, nil, &outCount, &end, variant)
                return s == 0 && end == cc.baseAddress.map { $0 + cc.count } ? 0 : -1
            }
        }
        guard status == 0 else { return nil }
        // Canonical: the length is what encoding the bytes gives, and the bits past the last byte are zero
        // (libsodium does not check them everywhere).
        let data = chars.count - chars.reversed().prefix(while: { $0 == 0x3D }).count
        let length = padded ? (outCount + 2) / 3 * 4 : (outCount * 4 + 2) / 3
        guard chars.count == length, data == (outCount * 4 + 2) / 3, data > 0 else { return nil }
        let spare: UInt8 = data % 4 == 2 ? 0x0F : data % 4 == 3 ? 0x03 : 0
        guard Self.value(chars[data - 1]).map({ $0 & spare == 0 }) == true else { return nil }
        return Array(out.prefix(outCount))
    }

    /// The 6-bit value of a base64 character.
    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x41...0x5A: c - 0x41
        case 0x61...0x7A: c - 0x61 + 26
        case 0x30...0x39: c - 0x30 + 52
        case 0x2B: 62
        case 0x2F: 63
        default: nil
        }
    }
}

extension String {
    /// The parts between occurrences of one ASCII byte, split on UTF-8 code units rather than characters.
    ///
    /// The fast split for line- and field-oriented formats (manifests, notes, signature files): no grapheme breaking,
    /// and `\r\n` is not one unit, so a CR is left at the end of a line for the caller to judge.
    public func split(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        self[...].split(byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences)
    }
}

extension Substring {
    /// The parts between occurrences of one ASCII byte, split on UTF-8 code units (see `String.split(byte:)`).
    ///
    /// The standard library's `split` with the same arguments, written for UTF-8 code units: its generic form ran
    /// unspecialised here, at several nanoseconds a byte, on every tag file, note and proof a verification reads.
    public func split(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        precondition(maxSplits >= 0, "Must take zero or more splits")
        let units = utf8
        var parts: [Substring] = []
        var start = units.startIndex
        func append(upTo end: String.Index) -> Bool {
            guard start != end || !omittingEmptySubsequences else { return false }
            parts.append(self[start..<end])
            return true
        }
        guard maxSplits > 0, !units.isEmpty else {
            _ = append(upTo: units.endIndex)
            return parts
        }
        var i = start
        while i != units.endIndex {
            if units[i] == byte {
                let appended = append(upTo: i)
                units.formIndex(after: &i)
                start = i
                if appended && parts.count == maxSplits { break }
                continue
            }
            units.formIndex(after: &i)
        }
        if start != units.endIndex || !omittingEmptySubsequences { parts.append(self[start..<units.endIndex]) }
        return parts
    }
}
