import Foundation
import GRDB
import SealboxCore
import SealboxReport
import SealboxStore

/// `Tools/bench report`: the assessment report over a store of 100,000 assigned cases.
///
/// The facts rows are written directly (12 departments, a year of assignments); the figure is set next to a raw scan
/// of the same rows in the same run. Target: under 5 s.
func benchReport(cases count: Int = 100_000) throws {
    let bench = try BenchStore("report")
    let db = try DatabaseQueue(path: bench.folder.appendingPathComponent("sealbox.db").path)
    let departments = (1...12).map { "dept\($0)" }
    let statuses = ["closed", "archived", "in_progress", "assigned", "closed", "archived"]
    let satisfactions = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "unreachable"]
    let start = try CivilDate(2025, 1, 1).dayNumber
    try db.write { db in
        let insert = try db.makeStatement(
            sql: """
                INSERT INTO cases(number, year, serial, channel, received_at, registered_at, priority, status, restricted,
                retention, index_pending, sealed_document, facts_version, facts_department, facts_assigned_on,
                facts_first_assigned_on, facts_deadline, facts_completed_on, facts_first_review, facts_returns,
                facts_supervisions, facts_satisfaction)
                VALUES (?, 2025, ?, 'website', 0, 0, 'general', ?, 0, 'standard', 0, x'00', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for i in 0..<count {
            let assigned = CivilDate(dayNumber: start + i % 360)
            let deadline = CivilDate(dayNumber: assigned.dayNumber + 21)
            let status = statuses[i % statuses.count]
            let done = status == "closed" || status == "archived"
            let completed = done ? CivilDate(dayNumber: assigned.dayNumber + 5 + i % 25).description : nil
            try insert.execute(arguments: [
                String(format: "2025-%06d", i + 1), i + 1, status, departments[i % departments.count],
                assigned.description, assigned.description, deadline.description, completed,
                done ? (i % 7 != 0) : nil, i % 11 == 0 ? 1 : 0, i % 13 == 0 ? "phone=1,written=0,on_site=0" : nil,
                done ? satisfactions[i % satisfactions.count] : nil,
            ])
        }
    }
    let raw = try time {
        _ = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cases WHERE facts_version = 1").count
        }
    }
    let auditor = Actor(id: "auditor", roles: [.auditor])
    var html = ""
    var csv = ""
    let seconds = try time {
        let (facts, stale) = try bench.store.reportFacts(by: auditor)
        let report = try AssessmentReport(
            facts: facts, from: CivilDate(2025, 1, 1), to: CivilDate(2025, 12, 31), policies: bench.store.policies,
            generatedOn: CivilDate(2026, 1, 5), stale: stale)
        html = report.html()
        csv = report.csv()
        _ = report.json()
    }
    precondition(csv.split(separator: "\n").count == departments.count + 1, "bench report: wrong department count")
    Summary.record("report", "assess 100,000 cases", seconds, "s", baseline: raw, target: "< 5 s", met: seconds < 5)
    print("report: \(count) cases, 12 departments, a year (HTML \(html.utf8.count / 1024) KB, CSV and JSON too)")
    print(
        String(
            format:
                "report assess 2025   %6.2f s   baseline raw scan of the rows %6.2f s   ratio %.2f   (target < 5 s: %@)",
            seconds, raw, raw / seconds, seconds < 5 ? "met" : "NOT MET"))
}
