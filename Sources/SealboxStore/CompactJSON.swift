import Foundation

/// Encodes `Encodable` values as compact JSON (RFC 8259) straight into bytes, keys in the order the value encodes
/// them: the form of the store's sealed documents and the archive's payload files.
///
/// Foundation's `JSONEncoder` builds a tree of the value, then writes it; this writes as it goes, which measured
/// about three times faster on a case document (the export encodes one a package, and a part of one for each
/// payload file). Any JSON reader reads the result, and `JSONDecoder` decodes it to the value it came from (tests
/// pin it on a full case and on every container shape). What `JSONEncoder` would write in a form of its own is
/// refused rather than written differently: floating-point numbers, `Data`, `Date`, `URL` and `Decimal` (the
/// documents have none). Containers must be used one inside the other, as synthesized coding does: going back to a
/// container after starting one of its siblings is refused.
enum CompactJSON {
    /// The JSON text of `value`.
    /// - Throws: `EncodingError.invalidValue` for a value of a refused type or containers used out of order.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = Writer()
        try writer.encodeValue(value, codingPath: [])
        writer.closeAll()
        if let failure = writer.failure { throw failure }
        return writer.bytes
    }

    /// The output and the containers still open, innermost last.
    final class Writer {
        // Unchecked exclusivity: the writer is used by one encoding on one thread, and the run-time checks of
        // every append to a class's array measured a quarter of the encoding's time.
        @exclusivity(unchecked) var bytes: [UInt8] = []
        /// The open containers: their ids, closing brackets and element counts.
        @exclusivity(unchecked) private var open: [(id: Int, closer: UInt8, count: Int)] = []
        private var nextID = 0
        /// What each value slot holds: `empty`, `scalar`, or the id of the container it opened.
        @exclusivity(unchecked) private var slots: [Int] = []
        static let empty = -1
        static let scalar = -2
        /// The first refusal met where `Encoder`'s API cannot throw (asking for a container): the whole encoding
        /// fails with it.
        private(set) var failure: (any Error)?

        init() { bytes.reserveCapacity(4096) }

        /// Opens a container; returns its id.
        func openContainer(_ opener: UInt8, _ closer: UInt8) -> Int {
            bytes.append(opener)
            nextID += 1
            open.append((nextID, closer, 0))
            return nextID
        }

        /// Makes container `id` the innermost again (closing those opened inside it) and starts an element: a comma
        /// after the first.
        func beginElement(of id: Int, codingPath: [any CodingKey]) throws {
            while let last = open.last, last.id != id {
                bytes.append(last.closer)
                open.removeLast()
            }
            guard !open.isEmpty else {
                throw refuse(id, codingPath, "a container was written to after a sibling of it was started")
            }
            if open[open.count - 1].count > 0 { bytes.append(UInt8(ascii: ",")) }
            open[open.count - 1].count += 1
        }

        /// Records and returns a refusal: the whole encoding fails with the first one, even when an `encode(to:)`
        /// swallows the error (`try?`) and goes on.
        func refuse(_ value: Any, _ codingPath: [any CodingKey], _ reason: String) -> EncodingError {
            let error = EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: reason))
            failure = failure ?? error
            return error
        }

        /// Refuses the types `JSONEncoder` writes in a form of its own.
        func refuseSpecial<T>(_ value: T, _ codingPath: [any CodingKey]) throws {
            guard T.self == Data.self || T.self == Date.self || T.self == URL.self || T.self == Decimal.self else {
                return
            }
            throw refuse(value, codingPath, "\(T.self) has a JSON form of JSONEncoder's own")
        }

        /// Runs `body`, keeping its error as the encoding's failure.
        func attempt(_ body: () throws -> Int) -> Result<Int, any Error> {
            do {
                return .success(try body())
            } catch {
                failure = failure ?? error
                return .failure(error)
            }
        }

        /// Closes every open container.
        func closeAll() {
            while let last = open.popLast() { bytes.append(last.closer) }
        }

        /// A new value slot; its encoder fills it once.
        func newSlot() -> Int {
            slots.append(Self.empty)
            return slots.count - 1
        }

        /// The container `slot` opened, or a new one opened for it.
        /// - Throws: `EncodingError` when the slot already holds a scalar or a container of the other kind.
        func container(in slot: Int, _ opener: UInt8, _ closer: UInt8, codingPath: [any CodingKey]) throws -> Int {
            switch slots[slot] {
            case Self.empty:
                let id = openContainer(opener, closer)
                slots[slot] = id
                return id
            case Self.scalar:
                throw refuse(slot, codingPath, "a value was encoded twice")
            case let id:
                // Asked again for the container it already opened (as JSONEncoder allows): the same one.
                guard open.contains(where: { $0.id == id && $0.closer == closer }) else {
                    throw refuse(slot, codingPath, "a container was asked for again out of order")
                }
                return id
            }
        }

        /// Marks `slot` as holding a scalar, about to be written.
        func scalar(in slot: Int, codingPath: [any CodingKey]) throws {
            guard slots[slot] == Self.empty else { throw refuse(slot, codingPath, "a value was encoded twice") }
            slots[slot] = Self.scalar
        }

        /// Encodes `value` into a new slot; a value that encodes nothing is written `{}`, as JSONEncoder does.
        func encodeValue<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws {
            try refuseSpecial(value, codingPath)
            let slot = newSlot()
            try value.encode(to: SlotEncoder(writer: self, slot: slot, codingPath: codingPath))
            if slots[slot] == Self.empty {
                bytes.append(UInt8(ascii: "{"))
                bytes.append(UInt8(ascii: "}"))
            }
        }

        /// Writes a string literal, escaping what RFC 8259 requires (quotation mark, reverse solidus, control
        /// characters); the runs between are copied whole, found eight bytes at a time.
        func writeString(_ string: String) {
            var string = string
            bytes.append(UInt8(ascii: "\""))
            string.withUTF8 { utf8 in
                var run = 0
                var i = 0
                while i < utf8.count {
                    if i + 8 <= utf8.count,
                        !Self.mayNeedEscape(
                            UnsafeRawBufferPointer(utf8).loadUnaligned(
                                fromByteOffset: i, as: UInt64.self))
                    {
                        i += 8
                        continue
                    }
                    let byte = utf8[i]
                    i += 1
                    guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                    bytes.append(contentsOf: utf8[run..<(i - 1)])
                    run = i
                    bytes.append(UInt8(ascii: "\\"))
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                    case 0x0A: bytes.append(UInt8(ascii: "n"))
                    case 0x0D: bytes.append(UInt8(ascii: "r"))
                    case 0x09: bytes.append(UInt8(ascii: "t"))
                    default:
                        let hex = Array("0123456789abcdef".utf8)
                        bytes += [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                        bytes += [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                    }
                }
                bytes.append(contentsOf: utf8[run...])
            }
            bytes.append(UInt8(ascii: "\""))
        }

        /// Whether any of the eight bytes in `word` may need escaping: a byte below 0x20, a quotation mark or a
        /// reverse solidus (the bit tricks may also flag a byte just after one of those, never miss one).
        static func mayNeedEscape(_ word: UInt64) -> Bool {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
            let below20 = (word &- ones &* 0x20) & ~word & highs != 0
            return below20 || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
        }

        /// Writes an integer in decimal.
        func writeInteger<I: FixedWidthInteger>(_ value: I) {
            guard value != 0 else { return bytes.append(UInt8(ascii: "0")) }
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            let start = bytes.count
            var rest = value.magnitude
            while rest > 0 {
                let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
                bytes.append(UInt8(ascii: "0") + UInt8(digit))
                rest = quotient
            }
            bytes[start...].reverse()
        }

        func writeBool(_ value: Bool) { bytes += Array((value ? "true" : "false").utf8) }

        func writeNull() { bytes += Array("null".utf8) }
    }

    /// The encoder a value encodes itself to: one slot of the output.
    struct SlotEncoder: Encoder {
        let writer: Writer
        let slot: Int
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(
                KeyedContainer<Key>(
                    writer: writer,
                    id: writer.attempt {
                        try writer.container(in: slot, UInt8(ascii: "{"), UInt8(ascii: "}"), codingPath: codingPath)
                    }, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            UnkeyedContainer(
                writer: writer,
                id: writer.attempt {
                    try writer.container(in: slot, UInt8(ascii: "["), UInt8(ascii: "]"), codingPath: codingPath)
                }, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            SingleValueContainer(writer: writer, slot: slot, codingPath: codingPath)
        }
    }

    /// A key of a container that `superEncoder()` writes under.
    struct SuperKey: CodingKey {
        var stringValue: String { "super" }
        var intValue: Int? { nil }
        init() {}
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
    }

    /// A JSON object.
    ///
    /// The container's id is a `Result` because `Encoder.container(keyedBy:)` cannot throw: a refusal surfaces at
    /// the first write, and fails the encoding as a whole in any case. Strings, booleans and the integers the
    /// documents use are written here directly; anything else goes through `encode<T>` (the protocol's defaults
    /// lead there), floating point included, to be refused in a single-value container.
    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: Writer
        let id: Result<Int, any Error>
        let codingPath: [any CodingKey]

        private func begin(_ key: some CodingKey) throws {
            try writer.beginElement(of: try id.get(), codingPath: codingPath)
            writer.writeString(key.stringValue)
            writer.bytes.append(UInt8(ascii: ":"))
        }

        /// Writes a key and a primitive value.
        private func put(_ key: Key, _ write: (Writer) -> Void) throws {
            try begin(key)
            write(writer)
        }

        // Strings, booleans and the integer types the documents use; the rest go through `encode<T>`.
        mutating func encodeNil(forKey key: Key) throws { try put(key) { $0.writeNull() } }
        mutating func encode(_ value: Bool, forKey key: Key) throws { try put(key) { $0.writeBool(value) } }
        mutating func encode(_ value: String, forKey key: Key) throws { try put(key) { $0.writeString(value) } }
        mutating func encode(_ value: Int, forKey key: Key) throws { try put(key) { $0.writeInteger(value) } }
        mutating func encode(_ value: Int64, forKey key: Key) throws { try put(key) { $0.writeInteger(value) } }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try begin(key)
            try writer.encodeValue(value, codingPath: codingPath + [key])
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            let nested = writer.attempt {
                try begin(key)
                return writer.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}"))
            }
            return KeyedEncodingContainer(
                KeyedContainer<NestedKey>(writer: writer, id: nested, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = writer.attempt {
                try begin(key)
                return writer.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"))
            }
            return UnkeyedContainer(writer: writer, id: nested, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> any Encoder { superEncoder(under: SuperKey()) }

        mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(under: key) }

        private func superEncoder(under key: some CodingKey) -> any Encoder {
            // `superEncoder` cannot throw: a refusal fails the whole encoding.
            _ = writer.attempt {
                try begin(key)
                return 0
            }
            return SlotEncoder(writer: writer, slot: writer.newSlot(), codingPath: codingPath + [key])
        }
    }

    /// A JSON array.
    ///
    /// Every element goes through `encode<T>` (the protocol's defaults lead there): the documents'
    /// arrays hold structures, and a primitive ends in a single-value container.
    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let writer: Writer
        let id: Result<Int, any Error>
        let codingPath: [any CodingKey]
        private(set) var count = 0

        init(writer: Writer, id: Result<Int, any Error>, codingPath: [any CodingKey]) {
            (self.writer, self.id, self.codingPath) = (writer, id, codingPath)
        }

        private mutating func begin() throws {
            try writer.beginElement(of: try id.get(), codingPath: codingPath)
            count += 1
        }

        mutating func encodeNil() throws {
            try begin()
            writer.writeNull()
        }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try begin()
            try writer.encodeValue(value, codingPath: codingPath)
        }

        /// Starts an element where the API cannot throw: a refusal fails the whole encoding.
        private mutating func beginRecorded() -> Result<Int, any Error> {
            let started = writer.attempt {
                try writer.beginElement(of: try id.get(), codingPath: codingPath)
                return 0
            }
            count += 1
            return started
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            let nested = beginRecorded().map { _ in writer.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}")) }
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(writer: writer, id: nested, codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = beginRecorded().map { _ in writer.openContainer(UInt8(ascii: "["), UInt8(ascii: "]")) }
            return UnkeyedContainer(writer: writer, id: nested, codingPath: codingPath)
        }

        mutating func superEncoder() -> any Encoder {
            _ = beginRecorded()
            return SlotEncoder(writer: writer, slot: writer.newSlot(), codingPath: codingPath)
        }
    }

    /// A single value: where every value ends, so every primitive has its own method here (the protocol's
    /// defaults would come back to `encode<T>`, and from there to this container again).
    struct SingleValueContainer: SingleValueEncodingContainer {
        let writer: Writer
        let slot: Int
        let codingPath: [any CodingKey]

        private func begin() throws { try writer.scalar(in: slot, codingPath: codingPath) }

        private func integer(_ value: some FixedWidthInteger) throws {
            try begin()
            writer.writeInteger(value)
        }

        mutating func encodeNil() throws {
            try begin()
            writer.writeNull()
        }
        mutating func encode(_ value: Bool) throws {
            try begin()
            writer.writeBool(value)
        }
        mutating func encode(_ value: String) throws {
            try begin()
            writer.writeString(value)
        }
        mutating func encode(_ value: Double) throws {
            throw writer.refuse(value, codingPath, "floating-point numbers are not written")
        }
        mutating func encode(_ value: Float) throws {
            throw writer.refuse(value, codingPath, "floating-point numbers are not written")
        }
        mutating func encode(_ value: Int) throws { try integer(value) }
        mutating func encode(_ value: Int8) throws { try integer(value) }
        mutating func encode(_ value: Int16) throws { try integer(value) }
        mutating func encode(_ value: Int32) throws { try integer(value) }
        mutating func encode(_ value: Int64) throws { try integer(value) }
        mutating func encode(_ value: UInt) throws { try integer(value) }
        mutating func encode(_ value: UInt8) throws { try integer(value) }
        mutating func encode(_ value: UInt16) throws { try integer(value) }
        mutating func encode(_ value: UInt32) throws { try integer(value) }
        mutating func encode(_ value: UInt64) throws { try integer(value) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            // The value takes this slot's place: it encodes itself to the same slot.
            try writer.refuseSpecial(value, codingPath)
            try value.encode(to: SlotEncoder(writer: writer, slot: slot, codingPath: codingPath))
        }
    }
}
