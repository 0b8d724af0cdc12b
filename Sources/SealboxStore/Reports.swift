import Foundation
import GRDB
public import SealboxCore

extension Store {
    /// The assessment facts of every assigned case (M7), read from clear metadata: no key, no personal data.
    /// - Returns: the facts, and how many cases still lack them (written before v10: `refreshReportFacts`).
    /// - Throws: `StoreError.notPermitted` without `case.read_metadata`.
    public func reportFacts(by actor: Actor) throws -> (facts: [Assessment.Facts], stale: Int) {
        guard policies.scope(of: actor, for: .readMetadata) != nil else {
            throw StoreError(.notPermitted, "\(actor.id) may not read case metadata")
        }
        return try read { db in
            let stale = try Int.fetchOne(db, sql: "SELECT count(*) FROM cases WHERE facts_version = 0") ?? 0
            var facts: [Assessment.Facts] = []
            let cursor = try Row.fetchCursor(
                db,
                sql: """
                    SELECT number, status, facts_department, facts_assigned_on, facts_first_assigned_on, facts_deadline,
                    facts_completed_on, facts_first_review, facts_returns, facts_supervisions, facts_satisfaction
                    FROM cases WHERE facts_version = 1 AND facts_department IS NOT NULL ORDER BY year, serial
                    """)
            // Dates repeat across cases: parse each text once.
            var dates: [String: CivilDate] = [:]
            func date(_ text: String?) throws -> CivilDate? {
                guard let text else { return nil }
                if let known = dates[text] { return known }
                let parsed = try CivilDate(parsing: text)
                dates[text] = parsed
                return parsed
            }
            while let row = try cursor.next() {
                guard let assigned = try date(row["facts_assigned_on"]), let deadline = try date(row["facts_deadline"])
                else { continue }
                var methods: [Supervision.Method: Int] = [:]
                for pair in ((row["facts_supervisions"] as String?) ?? "").split(separator: ",") {
                    let kv = pair.split(separator: "=")
                    if kv.count == 2, let method = Supervision.Method(rawValue: String(kv[0])), let n = Int(kv[1]),
                        n > 0
                    {
                        methods[method] = n
                    }
                }
                facts.append(
                    Assessment.Facts(
                        number: try CaseNumber(parsing: row["number"] as String),
                        department: DepartmentID(row["facts_department"] as String),
                        assignedOn: assigned, firstAssignedOn: try date(row["facts_first_assigned_on"]) ?? assigned,
                        deadline: deadline, completedOn: try date(row["facts_completed_on"]),
                        status: CaseStatus(rawValue: row["status"]) ?? .assigned,
                        firstReviewApproved: row["facts_first_review"], returns: row["facts_returns"] ?? 0,
                        supervisions: methods,
                        satisfaction: (row["facts_satisfaction"] as String?).flatMap(Satisfaction.init(rawValue:))))
            }
            return (facts, stale)
        }
    }

    /// Fills the assessment facts of cases written before v10, opening each with the office key.
    /// - Returns: how many cases were refreshed; cases `user` cannot open stay stale.
    public func refreshReportFacts(by user: UnlockedUser) throws -> Int {
        try write { db in
            var done = 0
            for text in try String.fetchAll(db, sql: "SELECT number FROM cases WHERE facts_version = 0") {
                let number = try CaseNumber(parsing: text)
                guard let (key, _) = try? Self.openCaseKey(db, number, for: user),
                    let sealed = try Data.fetchOne(
                        db, sql: "SELECT sealed_document FROM cases WHERE number = ?", arguments: [text])
                else { continue }
                let c = try Self.openDocument(Array(sealed), number: number, key: key)
                try Self.writeReportFacts(db, c, policies: policies)
                done += 1
            }
            return done
        }
    }
}

extension Store {
    /// Reminds the lead department of every case due soon, overdue, progress-overdue or sign-for-overdue on
    /// `today` (M5.1.2): one `reminder.sent` event per case, at most once per case and day.
    /// - Returns: the cases reminded now, grouped by department (cases reminded earlier today are left out).
    /// - Throws: `StoreError.notPermitted` without `case.remind`; `CoreError` when a calendar is missing.
    public func remindDue(on today: CivilDate, by user: UnlockedUser, at now: Timestamp) throws -> [(
        department: DepartmentID, items: [Tracking.Item]
    )] {
        guard policies.scope(of: user.actor, for: .remind) != nil else {
            throw StoreError(.notPermitted, "\(user.id) may not send reminders")
        }
        let items = try track(on: today, by: user, at: now).filter { !$0.flags.isEmpty }
        let dayStart = Timestamp(today, hour: 0).secondsSinceEpoch
        var reminded: [DepartmentID: [Tracking.Item]] = [:]
        try write { db in
            for item in items {
                let already =
                    try Int.fetchOne(
                        db,
                        sql: """
                            SELECT count(*) FROM events WHERE case_number = ? AND kind = 'reminder.sent'
                            AND at >= ? AND at < ?
                            """, arguments: [item.number.description, dayStart, dayStart + 86_400]) ?? 0
                guard already == 0 else { continue }
                let reason = item.flags.contains(.overdue) ? "overdue" : item.flags.sorted().first?.rawValue ?? "manual"
                _ = try applyInTransaction(db, .remind(reason: reason), to: item.number, by: user, at: now)
                reminded[item.department, default: []].append(item)
            }
            try Self.signCheckpoint(db, by: user)
        }
        return reminded.keys.sorted().map { ($0, reminded[$0] ?? []) }
    }
}
