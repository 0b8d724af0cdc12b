import Foundation
import SealboxCore
import Testing

struct CalendarTests {
    let policies: Policies
    init() throws { policies = try Fixtures.policies() }

    /// Worked by hand from ../shared/reference/cn-public-holidays.md (day 0 is the start date).
    @Test(arguments: [
        // Spring Festival 2026: 02-14 (Sat) make-up = day 1; 02-15..02-23 off; 02-24 day 2 … 02-28 (Sat) make-up
        // = day 6; 03-02 day 7 … 03-06 day 11; 03-09 day 12, 03-10 day 13, 03-11 day 14, 03-12 day 15.
        ("2026-02-13", 15, "2026-03-12"),
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2026-02-14", 1, "2026-02-24"),
        // National Day 2026: 10-01..10-07 off; 10-08 day 1, 10-09 day 2, 10-10 (Sat) make-up day 3, 10-12 day 4.
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 5, "2026-10-13"),
        // 09-20 (Sun) is a make-up working day; 09-19 (Sat) is not.
        ("2026-09-18", 1, "2026-09-20"),
        // Mid-Autumn 09-25..09-27 (Fri–Sun) off.
        ("2026-09-24", 1, "2026-09-28"),
        // New Year across the year end: 2026-01-01..01-03 off, 01-04 (Sun) make-up.
        ("2025-12-31", 1, "2026-01-04"),
        // 2025 National Day + Mid-Autumn: 10-01..10-08 off, 10-11 (Sat) make-up.
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-09-30", 3, "2025-10-11"),
        // Plain weeks: Friday + 1 = Monday; + 0 = the same day.
        ("2026-03-06", 1, "2026-03-09"),
        ("2026-03-06", 0, "2026-03-06"),
    ])
    func addingWorkingDays(start: String, days: Int, expected: String) throws {
        let deadline = try policies.calendar.adding(workingDays: days, to: Fixtures.date(start))
        #expect(deadline.due == Fixtures.date(expected))
    }

    @Test func deadlineExplainsItself() throws {
        let deadline = try policies.calendar.adding(workingDays: 15, to: Fixtures.date("2026-02-13"))
        #expect(
            deadline.description
                == "15 working days from 2026-02-13, skipping Spring Festival 春節 (2026-02-15..2026-02-23), "
                + "counting make-up working days 2026-02-14, 2026-02-28: 2026-03-12")
    }

    @Test func workingDayPredicateAndCounting() throws {
        let calendar = policies.calendar
        #expect(try calendar.isWorkingDay(Fixtures.date("2026-01-04")))  // Sunday, make-up
        #expect(try !calendar.isWorkingDay(Fixtures.date("2026-01-02")))  // Friday, New Year
        #expect(try !calendar.isWorkingDay(Fixtures.date("2026-03-07")))  // plain Saturday
        #expect(try calendar.isWorkingDay(Fixtures.date("2026-03-09")))  // plain Monday
        #expect(try calendar.workingDays(from: Fixtures.date("2026-02-13"), to: Fixtures.date("2026-03-12")) == 15)
        #expect(try calendar.workingDays(from: Fixtures.date("2026-03-12"), to: Fixtures.date("2026-02-13")) == 0)
    }

    @Test func aYearWithoutACalendarIsRefusedNotGuessed() throws {
        let error = #expect(throws: CoreError.self) {
            try policies.calendar.isWorkingDay(Fixtures.date("2027-03-01"))
        }
        #expect(error?.code == .calendarYearMissing)
        #expect(error?.message.contains("cn-2027.toml") == true)
        // Counting that runs into 2027 is refused too.
        #expect(throws: CoreError.self) {
            try policies.calendar.adding(workingDays: 15, to: Fixtures.date("2026-12-24"))
        }
        #expect(throws: CoreError.self) {
            try policies.calendar.workingDays(from: Fixtures.date("2024-12-20"), to: Fixtures.date("2025-01-02"))
        }
        // Day 0 itself is never tested, so counting from the last day of an uncovered year is fine.
        let fromUncovered = try policies.calendar.adding(workingDays: 1, to: Fixtures.date("2024-12-31"))
        #expect(fromUncovered.due == Fixtures.date("2025-01-02"))
    }

    @Test func civilDatesAndTimestamps() throws {
        #expect(Fixtures.date("2026-02-13").weekday == 5)
        #expect(Fixtures.date("1970-01-01").dayNumber == 0)
        #expect(CivilDate(dayNumber: Fixtures.date("2028-02-29").dayNumber) == Fixtures.date("2028-02-29"))
        #expect(throws: CoreError.self) { try CivilDate(parsing: "2026-02-29") }
        #expect(throws: CoreError.self) { try CivilDate(parsing: "2026-2-1") }
        // 23:30 UTC on 02-12 is 07:30 on 02-13 in China.
        let late = Timestamp(Fixtures.date("2026-02-13"), hour: 7, minute: 30)
        #expect(late.civilDate() == Fixtures.date("2026-02-13"))
        #expect(late.civilDate(offsetSeconds: 0) == Fixtures.date("2026-02-12"))
        #expect(late.description == "2026-02-12T23:30:00Z")
    }

    @Test(arguments: [
        ("year = 2026\nregion = \"cn\"\n[holiday.x]\nname = \"X\"\ndays_off = \"2026-13-01\"\n", "days_off"),
        ("year = 2026\nregion = \"cn\"\n[holiday.x]\nname = \"X\"\ndays_off = \"2025-05-01\"\n", "outside"),
        ("year = 2026\nregion = \"cn\"\n[holiday.x]\nname = \"X\"\ndays_off = \"2026-05-01\"\ncolour = 1\n", "colour"),
        (
            "year = 2026\nregion = \"cn\"\n[holiday.x]\nname = \"X\"\ndays_off = \"2026-05-01\"\n"
                + "makeup_working_days = [\"2026-05-06\"]\n", "not a weekend"
        ),
        ("year = 2026\nregion = \"hk\"\n", "region"),
        ("year = \"2026\"\nregion = \"cn\"\n", "expected an integer"),
        ("region = \"cn\"\n", "year"),
        ("year = 2026\nregion = \"cn\"\n[other]\n", "unknown table"),
    ])
    func malformedCalendarFilesAreClearErrors(text: String, mention: String) {
        var calendar = WorkingCalendar(region: "cn")
        let error = #expect(throws: CoreError.self) { try calendar.add(fileText: text, fileName: "cn-test.toml") }
        #expect(error?.code == .invalidPolicy)
        #expect(error?.message.hasPrefix("cn-test.toml") == true)
        #expect(error?.message.contains(mention) == true, "\(error?.message ?? "")")
    }

    @Test func localOverrideAddsDaysToItsBaseYear() throws {
        var files = try Fixtures.policyFiles()
        files["calendars/cn-2026-testcity.toml"] =
            "year = 2026\nregion = \"cn\"\nlocal = \"testcity\"\n[holiday.city_day]\nname = \"City Day\"\n"
            + "days_off = \"2026-03-10\"\n"
        // Without asking for it, the local file is ignored.
        #expect(try Policies.load(files: files).calendar.isWorkingDay(Fixtures.date("2026-03-10")))
        files["deadlines.toml"] = files["deadlines.toml"]?.replacingOccurrences(
            of: "calendar_local = \"\"", with: "calendar_local = \"testcity\"")
        #expect(try !Policies.load(files: files).calendar.isWorkingDay(Fixtures.date("2026-03-10")))
    }
}
