import Foundation
import SealboxCore
import Testing

@testable import SealboxStore

/// The store's JSON writer: what it writes is JSON any reader takes, decoding to the value it came from, and equal
/// as JSON to what Foundation's `JSONEncoder` writes; what it cannot write as `JSONEncoder` does, it refuses.
struct CompactJSONTests {
    /// The same value as Foundation's encoder writes it, compared as parsed JSON (key order and spacing aside).
    static func expectSameJSON<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try CompactJSON.encode(value)
        let theirs = try JSONEncoder().encode(value)
        let parsed = try JSONSerialization.jsonObject(with: Data(ours), options: [.fragmentsAllowed])
        let expected = try JSONSerialization.jsonObject(with: theirs, options: [.fragmentsAllowed])
        #expect(
            (parsed as? NSObject) == (expected as? NSObject), "\(String(decoding: ours, as: UTF8.self))",
            sourceLocation: sourceLocation)
    }

    @Test func aFullCaseRoundTripsAndMatchesJSONEncoder() throws {
        let f = try StoreFixture()
        let (n, _) = try f.store.register(StoreTests.letter(at: f.now), by: f.user("clerk").actor, at: f.now)
        try f.store.attach(
            [1, 2, 3], fileName: "照片 \"1\".jpg", mediaType: "image/jpeg", to: n, by: f.user("clerk"), at: f.now)
        try f.runToClosure(n, feedback: "調查\n\t\"引號\" \\ 反斜線 \u{0001}", reply: "答覆 / 斜線 \u{2028}")
        let c = try f.store.read(n, purpose: "test", by: f.user("clerk"), at: f.now)
        #expect(c.feedback != nil && c.reply != nil && !c.slips.isEmpty && !c.letter.attachments.isEmpty)
        let json = try CompactJSON.encode(c)
        #expect(try JSONDecoder().decode(LetterCase.self, from: Data(json)) == c)
        try Self.expectSameJSON(c)
        // Compact: no whitespace outside strings; the reverse solidus and quotation marks escaped, the solidus not.
        let text = String(decoding: json, as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(text.contains(#"\"引號\" \\ 反斜線 \u0001"#) && text.contains("答覆 / 斜線"))
    }

    @Test func stringsEscapeWhatJSONRequiresWhereverItStands() throws {
        // Every byte that needs escaping, at every offset around the eight-byte runs the writer skips.
        let specials: [Character] = ["\"", "\\", "\u{0000}", "\u{0001}", "\n", "\r", "\t", "\u{001F}"]
        for special in specials {
            for offset in 0..<20 {
                let text = String(repeating: "a", count: offset) + String(special) + String(repeating: "市", count: 5)
                let json = try CompactJSON.encode(text)
                #expect(try JSONDecoder().decode(String.self, from: Data(json)) == text, "\(offset)")
                #expect(!json.dropFirst().dropLast().contains { $0 < 0x20 }, "a raw control byte at \(offset)")
                try Self.expectSameJSON(["key \(special)": text])
            }
        }
        for text in ["", "~", "\u{7F}", "é", "😀", String(repeating: "長文", count: 5000), "\u{2028}\u{2029}"] {
            #expect(try JSONDecoder().decode(String.self, from: Data(try CompactJSON.encode(text))) == text)
        }
    }

    /// Random strings over every plane, controls and the characters JSON escapes weighted up: each decodes back.
    @Test func randomStringsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let ranges: [ClosedRange<UInt32>] = [
            0...0x1F, 0x20...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF,
        ]
        for _ in 0..<2000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &generator) {
                let range = ranges.randomElement(using: &generator) ?? ranges[0]
                let special: [UInt32] = [0x22, 0x5C, 0x0A, 0x00]
                let value =
                    Bool.random(using: &generator)
                    ? UInt32.random(in: range, using: &generator)
                    : special.randomElement(using: &generator) ?? 0x22
                if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
            }
            let text = String(scalars)
            let json = try CompactJSON.encode(["k": text])
            #expect(try JSONDecoder().decode([String: String].self, from: Data(json)) == ["k": text])
        }
    }

    struct Shapes: Codable, Equatable {
        var ints: [Int] = [0, 1, -1, Int.max, Int.min]
        var small: [Int8] = [Int8.min, Int8.max]
        var unsigned: [UInt64] = [0, UInt64.max]
        var flags: [Bool] = [true, false]
        var maybe: String? = nil
        var holes: [String?] = ["a", nil, "b"]
        var byName: [String: [Int]] = ["x": [1], "y": []]
        var byNumber: [Int: String] = [1: "one", -2: "minus two"]
        var byDepartment: [DepartmentID: Int] = ["transport": 1]
        var nested: [[String: Bool]] = [[:], ["t": true]]
        var choice: Choice = .both("x", 2)
        var empty: Empty = Empty()

        enum Choice: Codable, Equatable {
            case none
            case both(String, Int)
        }
        struct Empty: Codable, Equatable {}
    }

    @Test func everyContainerShapeMatchesJSONEncoder() throws {
        let shapes = Shapes()
        #expect(try JSONDecoder().decode(Shapes.self, from: Data(try CompactJSON.encode(shapes))) == shapes)
        try Self.expectSameJSON(shapes)
        try Self.expectSameJSON(Shapes.Choice.none)
        try Self.expectSameJSON([Shapes(), Shapes()])
        try Self.expectSameJSON(Optional<Int>.none)
        try Self.expectSameJSON(42)
    }

    /// Nested containers asked for by hand, a second request for the same container, and `superEncoder`.
    struct ByHand: Encodable {
        enum Key: String, CodingKey { case a, b, c, d }
        func encode(to encoder: any Encoder) throws {
            var outer = encoder.container(keyedBy: Key.self)
            var inner = outer.nestedContainer(keyedBy: Key.self, forKey: .a)
            try inner.encode(1, forKey: .b)
            var list = inner.nestedUnkeyedContainer(forKey: .c)
            try list.encode("x")
            var deeper = list.nestedContainer(keyedBy: Key.self)
            try deeper.encodeNil(forKey: .d)
            var again = encoder.container(keyedBy: Key.self)
            try again.encode(true, forKey: .b)
            var sup = outer.superEncoder().singleValueContainer()
            try sup.encode("base")
            try outer.encode([1, 2], forKey: .d)
        }
    }

    @Test func containersAskedForByHandMatchJSONEncoder() throws {
        try Self.expectSameJSON(ByHand())
    }

    struct Floating: Encodable { var x = 1.5 }
    struct Stamped: Encodable { var at = Date(timeIntervalSince1970: 0) }
    struct Blob: Encodable { var bytes = Data([1, 2]) }
    struct Link: Encodable { var url = URL(fileURLWithPath: "/") }
    /// Goes back to a container after starting a sibling: refused, not written out of order.
    struct Interleaved: Encodable {
        enum Key: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var outer = encoder.container(keyedBy: Key.self)
            var first = outer.nestedContainer(keyedBy: Key.self, forKey: .a)
            try outer.encode(1, forKey: .b)
            try first.encode(2, forKey: .a)
        }
    }
    /// Asks for a keyed container, then an unkeyed one, for the same value.
    struct TwoKinds: Encodable {
        enum Key: String, CodingKey { case a }
        func encode(to encoder: any Encoder) throws {
            var keyed = encoder.container(keyedBy: Key.self)
            try keyed.encode(1, forKey: .a)
            var list = encoder.unkeyedContainer()
            try list.encode(2)
        }
    }

    /// Swallows each refusal with `try?` and goes on writing: the encoding still fails as a whole.
    struct Swallowing: Encodable {
        enum Key: String, CodingKey { case a, b, c }
        func encode(to encoder: any Encoder) throws {
            var outer = encoder.container(keyedBy: Key.self)
            try? outer.encode(1.5, forKey: .a)
            var first = outer.nestedContainer(keyedBy: Key.self, forKey: .b)
            try outer.encode(1, forKey: .c)
            try? first.encode(2, forKey: .a)
        }
    }

    @Test func whatItCannotWriteAsJSONEncoderDoesIsRefused() throws {
        #expect(throws: EncodingError.self) { try CompactJSON.encode(Floating()) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode([2.5]) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode(Stamped()) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode(Blob()) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode(Link()) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode([Decimal(1)]) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode(Interleaved()) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode(TwoKinds()) }
        #expect(throws: EncodingError.self) { try CompactJSON.encode(Swallowing()) }
    }
}
