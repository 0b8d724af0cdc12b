/// Bech32 (BIP 173) without the 90-character limit, as age uses it for keys (`age1…`, `AGE-SECRET-KEY-1…`).
public enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in charset.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func convert(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0
        var bits = 0
        var out = [UInt8]()
        let maxv = (1 << to) - 1
        for value in data {
            acc = (acc << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxv))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || ((acc << (to - bits)) & maxv) != 0 {
            return nil
        }
        return out
    }

    /// Encodes `data` under the human-readable part `hrp`; the result is lowercase (upper-case it for secrets).
    public static func encode(hrp: String, data: [UInt8]) -> String {
        let h = Array(hrp.lowercased().utf8)
        // Converting 8-bit groups to 5-bit groups with padding cannot fail.
        let values = convert(data, from: 8, to: 5, pad: true) ?? []
        let mod = polymod(expand(h) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        let checksum = (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
        return String(decoding: h + [0x31] + (values + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// Decodes an all-lowercase or all-uppercase Bech32 string.
    /// - Returns: the lowercase human-readable part and the data, or `nil` for a bad checksum, mixed case,
    ///   characters outside the alphabet or non-zero padding.
    public static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let raw = Array(text.utf8)
        guard raw.allSatisfy({ (33...126).contains($0) }) else { return nil }
        let hasLower = raw.contains { (0x61...0x7a).contains($0) }
        let hasUpper = raw.contains { (0x41...0x5a).contains($0) }
        guard !(hasLower && hasUpper) else { return nil }
        let lower = Array(text.lowercased().utf8)
        guard let sep = lower.lastIndex(of: 0x31), sep >= 1, lower.count - sep - 1 >= 6 else { return nil }
        let hrp = Array(lower[..<sep])
        var values = [UInt8]()
        for c in lower[(sep + 1)...] {
            guard c < 128, reverse[Int(c)] >= 0 else { return nil }
            values.append(UInt8(reverse[Int(c)]))
        }
        guard polymod(expand(hrp) + values) == 1 else { return nil }
        guard let data = convert(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: hrp, as: UTF8.self), data)
    }
}
