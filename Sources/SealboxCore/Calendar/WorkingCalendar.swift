/// Working days under the national calendar.
///
/// Monday to Friday, less public holidays, plus the make-up working days (調休上班) on weekends; loaded per
/// year from `Policies/calendars/*.toml`.
///
/// A date in a year with no calendar is an error, never a silent Monday-to-Friday count (DESIGN §5).
public struct WorkingCalendar: Sendable, Equatable {
    /// A named holiday: its days off and the weekend days worked in exchange.
    public struct Holiday: Sendable, Equatable {
        /// The name, for example `Spring Festival 春節`.
        public var name: String
        /// The days off, inclusive.
        public var daysOff: ClosedRange<Int>
        /// Make-up working days that belong to this holiday.
        public var makeupDays: [CivilDate]
    }

    /// The region, for example `cn`.
    public private(set) var region: String
    /// The years covered.
    public private(set) var years: Set<Int> = []
    /// Every holiday of every covered year.
    public private(set) var holidays: [Holiday] = []
    private var offDays: [Int: String] = [:]
    private var makeupDays: [Int: String] = [:]

    /// An empty calendar for `region`: every date is refused until a year is added.
    public init(region: String) { self.region = region }

    /// Adds one year's calendar file.
    /// - Throws: `CoreError.invalidPolicy` naming the file and key for anything malformed or inconsistent.
    public mutating func add(fileText: String, fileName: String) throws(CoreError) {
        let doc = try TOMLDocument(parsing: fileText, fileName: fileName)
        try doc.checkTables(allowed: ["holiday"])
        var root = doc.table("")
        let year = try root.int("year", in: 1900...2200)
        let fileRegion = try root.string("region")
        let local = try root.string("local", default: "")
        try root.finish()
        guard fileRegion == region else {
            throw CoreError(.invalidPolicy, "\(fileName): region \"\(fileRegion)\" does not match \"\(region)\"")
        }
        // A local override (local = "…") adds days to a year already loaded; a base file may not repeat a year.
        if local.isEmpty {
            guard !years.contains(year) else {
                throw CoreError(.invalidPolicy, "\(fileName): year \(year) is already loaded")
            }
        } else {
            guard years.contains(year) else {
                throw CoreError(
                    .invalidPolicy, "\(fileName): local calendar for \(year) needs the \(region)-\(year) base")
            }
        }
        for key in doc.subtables(of: "holiday") {
            var table = doc.table("holiday.\(key)")
            let name = try table.string("name")
            let range = try Self.parseRange(try table.string("days_off"), table, "days_off")
            var makeups: [CivilDate] = []
            for text in try table.strings("makeup_working_days", default: []) {
                guard let date = try? CivilDate(parsing: text) else {
                    throw table.fail("makeup_working_days", "'\(text)' is not a YYYY-MM-DD date")
                }
                guard date.isWeekend else {
                    throw table.fail(
                        "makeup_working_days", "\(date) is not a weekend day, so it is a working day anyway")
                }
                makeups.append(date)
            }
            try table.finish()
            for day in range {
                let date = CivilDate(dayNumber: day)
                guard date.year == year else {
                    throw table.fail("days_off", "\(date) is outside the file's year \(year)")
                }
                offDays[day] = name
            }
            for date in makeups { makeupDays[date.dayNumber] = name }
            holidays.append(Holiday(name: name, daysOff: range, makeupDays: makeups))
        }
        years.insert(year)
    }

    private static func parseRange(_ text: String, _ table: TOMLTable, _ key: String) throws(CoreError)
        -> ClosedRange<Int>
    {
        let parts = text.splitOnDoubleDot()
        guard parts.count == 1 || parts.count == 2,
            let start = try? CivilDate(parsing: parts[0]),
            let end = parts.count == 2 ? try? CivilDate(parsing: parts[1]) : start, start <= end
        else { throw table.fail(key, "'\(text)' is not a date or a START..END range") }
        return start.dayNumber...end.dayNumber
    }

    /// Whether `date` is a working day.
    /// - Throws: `CoreError.calendarYearMissing` when the year is not covered.
    public func isWorkingDay(_ date: CivilDate) throws(CoreError) -> Bool {
        guard years.contains(date.year) else {
            throw CoreError(
                .calendarYearMissing,
                "no \(region) working-day calendar for \(date.year): add Policies/calendars/\(region)-\(date.year).toml"
            )
        }
        if makeupDays[date.dayNumber] != nil { return true }
        if offDays[date.dayNumber] != nil { return false }
        return !date.isWeekend
    }

    /// The date `count` working days after `start` (day 0 is `start` itself, which need not be a working day).
    /// - Throws: `CoreError.calendarYearMissing` when counting reaches a year with no calendar.
    public func adding(workingDays count: Int, to start: CivilDate) throws(CoreError) -> Deadline {
        precondition(count >= 0, "working days to add must not be negative")
        var date = start
        var counted = 0
        var skippedHolidays: [String] = []
        var workedMakeups: [CivilDate] = []
        while counted < count {
            date = date.adding(days: 1)
            if try isWorkingDay(date) {
                counted += 1
                if date.isWeekend { workedMakeups.append(date) }
            } else if let name = offDays[date.dayNumber], !skippedHolidays.contains(name) {
                skippedHolidays.append(name)
            }
        }
        let skipped = holidays.filter {
            skippedHolidays.contains($0.name) && $0.daysOff.overlaps(start.dayNumber...date.dayNumber)
        }
        return Deadline(
            start: start, workingDays: count, due: date, holidaysSkipped: skipped, makeupDaysCounted: workedMakeups)
    }

    /// The number of working days after `start` up to and including `end` (0 when `end <= start`).
    /// - Throws: `CoreError.calendarYearMissing` when a day in between has no calendar.
    public func workingDays(from start: CivilDate, to end: CivilDate) throws(CoreError) -> Int {
        guard end > start else { return 0 }
        var count = 0
        var date = start
        while date < end {
            date = date.adding(days: 1)
            if try isWorkingDay(date) { count += 1 }
        }
        return count
    }
}

/// A deadline that can explain itself: where it was counted from, how far, and what was skipped.
public struct Deadline: Sendable, Equatable, CustomStringConvertible {
    /// Day 0.
    public let start: CivilDate
    /// The working days counted.
    public let workingDays: Int
    /// The due date.
    public let due: CivilDate
    /// Holidays whose days off fell inside the count.
    public let holidaysSkipped: [WorkingCalendar.Holiday]
    /// Weekend days counted because they are make-up working days.
    public let makeupDaysCounted: [CivilDate]

    /// For example `15 working days from 2026-02-13, skipping Spring Festival 春節 (2026-02-15..2026-02-23), counting
    /// make-up working days 2026-02-14, 2026-02-28: 2026-03-12`.
    public var description: String {
        var text = "\(workingDays) working days from \(start)"
        if !holidaysSkipped.isEmpty {
            let names = holidaysSkipped.map { h in
                "\(h.name) (\(CivilDate(dayNumber: h.daysOff.lowerBound))..\(CivilDate(dayNumber: h.daysOff.upperBound)))"
            }
            text += ", skipping \(names.joined(separator: ", "))"
        }
        if !makeupDaysCounted.isEmpty {
            text += ", counting make-up working days \(makeupDaysCounted.map(\.description).joined(separator: ", "))"
        }
        return text + ": \(due)"
    }
}

extension String {
    /// Splits `A..B` into `[A, B]`; a string without `..` gives `[self]`.
    func splitOnDoubleDot() -> [String] {
        var parts: [String] = []
        var current = ""
        var previousDot = false
        for c in self {
            if c == "." && previousDot {
                current.removeLast()
                parts.append(current)
                current = ""
                previousDot = false
                continue
            }
            previousDot = c == "."
            current.append(c)
        }
        parts.append(current)
        return parts
    }
}
