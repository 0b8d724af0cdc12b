/// A letter's number, gapless per year: `2026-000123` (M2.2.3).
public struct CaseNumber: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The year of registration.
    public let year: Int
    /// The serial within the year, from 1.
    public let serial: Int

    /// Creates a number.
    /// - Throws: `CoreError.invalidValue` for a year outside 2000...9999 or a serial outside 1...999999.
    public init(year: Int, serial: Int) throws(CoreError) {
        guard (2000...9999).contains(year), (1...999_999).contains(serial) else {
            throw CoreError(.invalidValue, "a case number is YYYY-NNNNNN with a serial from 000001")
        }
        self.year = year
        self.serial = serial
    }

    /// Parses `YYYY-NNNNNN`.
    /// - Throws: `CoreError.invalidValue` when malformed.
    public init(parsing text: some StringProtocol) throws(CoreError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 6, let y = Int(parts[0]), let s = Int(parts[1])
        else { throw CoreError(.invalidValue, "not a case number (expected YYYY-NNNNNN, e.g. 2026-000123)") }
        try self.init(year: y, serial: s)
    }

    public static func < (lhs: CaseNumber, rhs: CaseNumber) -> Bool { (lhs.year, lhs.serial) < (rhs.year, rhs.serial) }

    /// `YYYY-NNNNNN`.
    public var description: String {
        let digits = String(serial)
        return "\(year)-\(String(repeating: "0", count: max(0, 6 - digits.count)))\(digits)"
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try CaseNumber(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A name that is a plain string underneath (a department code, a login name): coded, compared and printed as that
/// string, and written as a string literal in code and tests.
public protocol StringIdentifier: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
where StringLiteralType == String {
    /// The string.
    var rawValue: String { get }
    /// Wraps a string.
    init(_ rawValue: String)
}

extension StringIdentifier {
    public init(stringLiteral value: String) { self.init(value) }
    public init(from decoder: any Decoder) throws { self.init(try decoder.singleValueContainer().decode(String.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// A department's short code, for example `transport`.
public struct DepartmentID: StringIdentifier {
    /// The code.
    public let rawValue: String
    /// Wraps a code.
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A user's login name, for example `clerk.li` (staff names are not the citizen's personal data).
public struct UserID: StringIdentifier {
    /// The login name.
    public let rawValue: String
    /// Wraps a login name.
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// A value that is a citizen's personal data or letter text: the store seals it (DESIGN §1), and it prints as
/// `‹personal›` in every description, dump and interpolation so that it cannot reach a log by accident.
public struct Personal<Value: Sendable & Equatable & Codable>: Sendable, Equatable, Codable, CustomStringConvertible,
    CustomDebugStringConvertible, CustomReflectable
{
    /// The value itself: read it only where policy and keys allow.
    public var value: Value
    /// Wraps a personal value.
    public init(_ value: Value) { self.value = value }
    public init(from decoder: any Decoder) throws { value = try decoder.singleValueContainer().decode(Value.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
    public var description: String { "‹personal›" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

extension Personal: ExpressibleByStringLiteral, ExpressibleByUnicodeScalarLiteral,
    ExpressibleByExtendedGraphemeClusterLiteral
where Value == String {
    public init(stringLiteral value: String) { self.value = value }
}
