import Foundation
public import SealboxCore

/// The assessment report (M7) as one self-contained HTML page with inline SVG charts, as CSV, and as JSON.
///
/// Only department codes, counts, rates and dates appear: no case content, no names. Nothing is fetched from
/// anywhere (no script, no font, no image outside the page).
public struct AssessmentReport: Sendable {
    /// Labels in one language.
    public enum Language: String, Sendable, CaseIterable { case zh, en }

    public var report: Assessment.Report
    public var backlog: [(day: CivilDate, backlog: Int, overdue: Int)]
    public var supervisions: [DepartmentID: [Supervision.Method: Int]]
    public var generatedOn: CivilDate
    public var stale: Int

    /// Builds the report of `from...to` from facts.
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public init(
        facts: [Assessment.Facts], from: CivilDate, to: CivilDate, policies: Policies, generatedOn: CivilDate,
        stale: Int = 0
    )
        throws(CoreError)
    {
        // A period that has not ended yet is assessed as of today: nothing is overdue before its day.
        let end = min(to, max(from, generatedOn))
        report = try Assessment.assess(facts: facts, from: from, to: end, policies: policies)
        let inPeriod = facts.filter { $0.assignedOn >= from && $0.assignedOn <= end }
        backlog = Assessment.backlog(facts: inPeriod, from: from, to: end)
        var byDepartment: [DepartmentID: [Supervision.Method: Int]] = [:]
        for f in inPeriod {
            for (method, n) in f.supervisions { byDepartment[f.department, default: [:]][method, default: 0] += n }
        }
        supervisions = byDepartment
        self.generatedOn = generatedOn
        self.stale = stale
    }

    // MARK: - Periods

    /// `2026-Q3`, `2026-07`, `2026`, or `2026-07-01..2026-09-30`.
    /// - Throws: `CoreError` when the text is none of these.
    public static func period(_ text: String) throws(CoreError) -> (CivilDate, CivilDate) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let range = t.range(of: "..") {
            let from = try CivilDate(parsing: String(t[..<range.lowerBound]))
            let to = try CivilDate(parsing: String(t[range.upperBound...]))
            guard from <= to else { throw CoreError(.invalidValue, "the period ends before it starts") }
            return (from, to)
        }
        let parts = t.split(separator: "-")
        guard let year = parts.first.flatMap({ Int($0) }), (2000...2999).contains(year) else {
            throw CoreError(.invalidValue, "a period is 2026-Q3, 2026-07, 2026 or 2026-07-01..2026-09-30")
        }
        func lastDay(_ month: Int) throws(CoreError) -> CivilDate {
            let next = month == 12 ? try CivilDate(year + 1, 1, 1) : try CivilDate(year, month + 1, 1)
            return CivilDate(dayNumber: next.dayNumber - 1)
        }
        if parts.count == 1 { return (try CivilDate(year, 1, 1), try CivilDate(year, 12, 31)) }
        if parts.count == 2, parts[1].hasPrefix("Q"), let q = Int(parts[1].dropFirst()), (1...4).contains(q) {
            return (try CivilDate(year, q * 3 - 2, 1), try lastDay(q * 3))
        }
        if parts.count == 2, let month = Int(parts[1]), (1...12).contains(month) {
            return (try CivilDate(year, month, 1), try lastDay(month))
        }
        throw CoreError(.invalidValue, "a period is 2026-Q3, 2026-07, 2026 or 2026-07-01..2026-09-30")
    }

    // MARK: - CSV and JSON

    /// One row per department, ranked, with a header row.
    public func csv() -> String {
        var rows = [
            "rank,department,assigned,completed,closed,on_time,overdue_open,on_time_rate,mean_working_days,"
                + "first_pass_rate,returns,supervisions,satisfaction_score,score,commended,noticed"
        ]
        let commended = Set(report.commended)
        let noticed = Set(report.noticed.map(\.department))
        for d in report.departments {
            rows.append(
                [
                    "\(d.rank)", Self.csvField(d.department.rawValue), "\(d.assigned)", "\(d.completed)", "\(d.closed)",
                    "\(d.onTime)", "\(d.overdueOpen)", Self.number(d.onTimeRate, digits: 4),
                    Self.number(d.meanWorkingDays, digits: 2), Self.number(d.firstPassApprovalRate, digits: 4),
                    "\(d.returns)", "\(d.supervisions)", Self.number(d.satisfactionScore, digits: 2),
                    Self.number(d.score, digits: 2), commended.contains(d.department) ? "yes" : "no",
                    noticed.contains(d.department) ? "yes" : "no",
                ].joined(separator: ","))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// The same figures as JSON (sorted keys).
    public func json() -> String {
        var departments: [[String: Any]] = []
        for d in report.departments {
            var entry: [String: Any] = [
                "rank": d.rank, "department": d.department.rawValue, "assigned": d.assigned, "completed": d.completed,
                "closed": d.closed, "on_time": d.onTime, "overdue_open": d.overdueOpen, "returns": d.returns,
                "supervisions": d.supervisions,
                "satisfaction": Dictionary(uniqueKeysWithValues: d.satisfaction.map { ($0.key.rawValue, $0.value) }),
            ]
            if let v = d.onTimeRate { entry["on_time_rate"] = v }
            if let v = d.meanWorkingDays { entry["mean_working_days"] = v }
            if let v = d.firstPassApprovalRate { entry["first_pass_rate"] = v }
            if let v = d.satisfactionScore { entry["satisfaction_score"] = v }
            if let v = d.score { entry["score"] = v }
            departments.append(entry)
        }
        let object: [String: Any] = [
            "from": report.from.description, "to": report.to.description, "generated": generatedOn.description,
            "departments": departments, "commended": report.commended.map(\.rawValue),
            "noticed": report.noticed.map { ["department": $0.department.rawValue, "reasons": $0.reasons] },
            "backlog": backlog.map { ["day": $0.day.description, "backlog": $0.backlog, "overdue": $0.overdue] },
            "stale_cases": stale,
        ]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func number(_ value: Double?, digits: Int) -> String {
        value.map { String(format: "%.\(digits)f", $0) } ?? ""
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// Escapes text for HTML and SVG.
    static func escape(_ text: String) -> String { HTML.escape(text) }
}
