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
        decode(utf8: Array(text.utf8)[...])
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

    /// Decodes hex (either case) given as UTF-8 bytes; `nil` when malformed.
    public static func decode(utf8 chars: ArraySlice<UInt8>) -> [UInt8]? {
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = chars.startIndex
        while i < chars.endIndex {
            guard let hi = digit(chars[i]), let lo = digit(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
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
        let chars = Array(text.utf8)
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
    public func split(byte: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        utf8.split(separator: byte, maxSplits: maxSplits, omittingEmptySubsequences: omittingEmptySubsequences).map {
            Substring($0)
        }
    }
}
