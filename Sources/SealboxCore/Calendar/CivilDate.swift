/// A calendar date with no time and no zone (proleptic Gregorian), the unit of working-day deadlines.
public struct CivilDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The year, for example 2026.
    public let year: Int
    /// The month, 1...12.
    public let month: Int
    /// The day of the month, 1...31.
    public let day: Int

    /// Creates a date, refusing impossible ones.
    /// - Throws: `CoreError.invalidValue` for a month or day out of range.
    public init(_ year: Int, _ month: Int, _ day: Int) throws(CoreError) {
        guard (1...12).contains(month), (1...CivilDate.daysIn(year, month)).contains(day), (1...9999).contains(year)
        else { throw CoreError(.invalidValue, "not a valid date: \(year)-\(month)-\(day)") }
        self.year = year
        self.month = month
        self.day = day
    }

    init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    /// - Throws: `CoreError.invalidValue` when malformed.
    public init(parsing text: some StringProtocol) throws(CoreError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { throw CoreError(.invalidValue, "not a date in YYYY-MM-DD form: \(text)") }
        try self.init(y, m, d)
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    public var dayNumber: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `dayNumber` days after 1970-01-01 (`civil_from_days`).
    public init(dayNumber z0: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(unchecked: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// The date `days` calendar days later (earlier when negative).
    public func adding(days: Int) -> CivilDate { CivilDate(dayNumber: dayNumber + days) }

    /// ISO weekday: 1 = Monday … 7 = Sunday.
    public var weekday: Int {
        let w = (dayNumber + 3) % 7  // 1970-01-01 was a Thursday (ISO 4)
        return (w < 0 ? w + 7 : w) + 1
    }

    /// Whether this is a Saturday or Sunday.
    public var isWeekend: Bool { weekday >= 6 }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.dayNumber < rhs.dayNumber }

    /// `YYYY-MM-DD`.
    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try CivilDate(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A moment in time: whole seconds since 1970-01-01T00:00:00Z.
///
/// Time is injected; Core never reads a clock.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Seconds since the Unix epoch, UTC.
    public let secondsSinceEpoch: Int64

    /// Wraps seconds since the epoch.
    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    /// The moment at `hour:minute` local time on `date`, in a zone `offsetSeconds` east of UTC.
    public init(_ date: CivilDate, hour: Int = 9, minute: Int = 0, offsetSeconds: Int = 8 * 3600) {
        secondsSinceEpoch = Int64(date.dayNumber * 86400 + hour * 3600 + minute * 60 - offsetSeconds)
    }

    /// The local calendar date in a zone `offsetSeconds` east of UTC (China Standard Time by default).
    public func civilDate(offsetSeconds: Int = 8 * 3600) -> CivilDate {
        let local = secondsSinceEpoch + Int64(offsetSeconds)
        let days = local >= 0 ? local / 86400 : (local - 86399) / 86400
        return CivilDate(dayNumber: Int(days))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// RFC 3339 in UTC, for example `2026-02-13T01:00:00Z`.
    public var description: String {
        let date = civilDate(offsetSeconds: 0)
        let secs = Int(((secondsSinceEpoch % 86400) + 86400) % 86400)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(date)T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }
}
