/// Quantitative assessment of departments (M7.1): on-time rate, handling quality, sender satisfaction.
public enum Assessment {
    /// One department's figures over a period (M7.1.2).
    public struct DepartmentReport: Sendable, Equatable {
        /// The department.
        public var department: DepartmentID
        /// Cases assigned to it as lead in the period.
        public var assigned: Int
        /// Of those, cases whose result reached the office (feedback sealed) by the end of the period.
        public var completed: Int
        /// Of those, closed or archived.
        public var closed: Int
        /// Completed on or before the deadline.
        public var onTime: Int
        /// Still open and past the deadline at the end of the period (they count against the on-time rate).
        public var overdueOpen: Int
        /// `onTime / (completed + overdueOpen)`; `nil` with nothing to rate.
        public var onTimeRate: Double?
        /// Mean working days from assignment to completion.
        public var meanWorkingDays: Double?
        /// Reviewed cases approved at the first review, over reviewed cases (handling quality).
        public var firstPassApprovalRate: Double?
        /// Feedback returned, in all.
        public var returns: Int
        /// Supervisions opened on its cases.
        public var supervisions: Int
        /// Satisfaction counts.
        public var satisfaction: [Satisfaction: Int]
        /// Mean satisfaction score 0–100, unreachable senders excluded.
        public var satisfactionScore: Double?
        /// The weighted score 0–100 (weights from `Policies/assessment.toml`); a missing part counts as its weight
        /// redistributed over the parts present.
        public var score: Double?
        /// 1-based rank by score (unscored departments last).
        public var rank: Int
    }

    /// The assessment of a period.
    public struct Report: Sendable, Equatable {
        /// First day, inclusive.
        public var from: CivilDate
        /// Last day, inclusive.
        public var to: CivilDate
        /// Departments, ranked.
        public var departments: [DepartmentReport]
        /// Commended (M7.2.1).
        public var commended: [DepartmentID]
        /// Named in a notice (通報, M7.2.2), with the reasons.
        public var noticed: [(department: DepartmentID, reasons: [String])]

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.from == rhs.from && lhs.to == rhs.to && lhs.departments == rhs.departments
                && lhs.commended == rhs.commended
                && lhs.noticed.map(\.department) == rhs.noticed.map(\.department)
                && lhs.noticed.map(\.reasons) == rhs.noticed.map(\.reasons)
        }
    }

    /// What assessment needs of one assigned case: no personal data, so reports open no case (kept in clear by the
    /// store, refreshed at every write).
    public struct Facts: Sendable, Equatable {
        /// The case.
        public var number: CaseNumber
        /// The department the assessment counts it for: the lead of its first active slip (or its last).
        public var department: DepartmentID
        /// The day that slip was issued (which period the case falls in).
        public var assignedOn: CivilDate
        /// The day the first slip was issued (working days are counted from it).
        public var firstAssignedOn: CivilDate
        /// The deadline of the active (or last) slip.
        public var deadline: CivilDate
        /// The day the result reached the office, if it has.
        public var completedOn: CivilDate?
        /// The status.
        public var status: CaseStatus
        /// Whether the first review approved, if reviewed.
        public var firstReviewApproved: Bool?
        /// Returned feedback, in all.
        public var returns: Int
        /// Supervisions opened, by method (M5.2).
        public var supervisions: [Supervision.Method: Int]
        /// The sender's satisfaction.
        public var satisfaction: Satisfaction?

        /// Creates facts.
        public init(
            number: CaseNumber, department: DepartmentID, assignedOn: CivilDate, firstAssignedOn: CivilDate,
            deadline: CivilDate, completedOn: CivilDate?, status: CaseStatus, firstReviewApproved: Bool?,
            returns: Int, supervisions: [Supervision.Method: Int], satisfaction: Satisfaction?
        ) {
            self.number = number
            self.department = department
            self.assignedOn = assignedOn
            self.firstAssignedOn = firstAssignedOn
            self.deadline = deadline
            self.completedOn = completedOn
            self.status = status
            self.firstReviewApproved = firstReviewApproved
            self.returns = returns
            self.supervisions = supervisions
            self.satisfaction = satisfaction
        }

        /// The facts of a case, or `nil` for a case never assigned.
        public init?(_ c: LetterCase, policies: Policies) {
            guard let grouping = c.slips.first(where: \.isActive) ?? c.slips.last,
                let slip = c.activeSlip ?? c.slips.last
            else { return nil }
            var methods: [Supervision.Method: Int] = [:]
            for s in c.supervisions { methods[s.method, default: 0] += 1 }
            self.init(
                number: c.number, department: grouping.lead, assignedOn: policies.localDate(grouping.issuedAt),
                firstAssignedOn: policies.localDate((c.slips.first ?? slip).issuedAt), deadline: slip.deadline,
                completedOn: c.completedAt.map(policies.localDate), status: c.status,
                firstReviewApproved: c.reviews.first?.approved, returns: c.reviews.filter { !$0.approved }.count,
                supervisions: methods, satisfaction: c.satisfaction ?? c.feedback?.senderSatisfaction)
        }

        /// Supervisions of every method.
        public var supervisionCount: Int { supervisions.values.reduce(0, +) }
    }

    /// Assesses every department that led a case assigned in `from...to`.
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public static func assess(
        _ cases: [LetterCase], from: CivilDate, to: CivilDate, policies: Policies
    ) throws(CoreError) -> Report {
        try assess(facts: cases.compactMap { Facts($0, policies: policies) }, from: from, to: to, policies: policies)
    }

    /// Assesses from facts alone (no case opened).
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public static func assess(
        facts: [Facts], from: CivilDate, to: CivilDate, policies: Policies
    ) throws(CoreError) -> Report {
        var byDepartment: [DepartmentID: [Facts]] = [:]
        for f in facts where f.assignedOn >= from && f.assignedOn <= to {
            byDepartment[f.department, default: []].append(f)
        }
        var reports: [DepartmentReport] = []
        for (department, list) in byDepartment {
            reports.append(try report(department, list, to: to, policies: policies))
        }
        reports.sort { a, b in
            switch (a.score, b.score) {
            case (let x?, let y?) where x != y: return x > y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.department < b.department
            }
        }
        for index in reports.indices { reports[index].rank = index + 1 }
        let rules = policies.assessment
        let commended = reports.filter { ($0.score ?? 0) >= rules.commendScore && $0.assigned >= rules.minimumCases }
            .map(\.department)
        var noticed: [(DepartmentID, [String])] = []
        for r in reports {
            var reasons: [String] = []
            if let rate = r.onTimeRate, rate < rules.noticeOnTimeRate {
                reasons.append("on-time rate \(percent(rate)) below \(percent(rules.noticeOnTimeRate))")
            }
            if let s = r.satisfactionScore, s < rules.noticeSatisfaction {
                reasons.append("satisfaction \(one(s)) below \(one(rules.noticeSatisfaction))")
            }
            if let s = r.score, s < rules.noticeScore {
                reasons.append("score \(one(s)) below \(one(rules.noticeScore))")
            }
            if !reasons.isEmpty { noticed.append((r.department, reasons)) }
        }
        return Report(from: from, to: to, departments: reports, commended: commended, noticed: noticed)
    }

    static func report(_ department: DepartmentID, _ cases: [Facts], to: CivilDate, policies: Policies)
        throws(CoreError) -> DepartmentReport
    {
        var completed = 0
        var closed = 0
        var onTime = 0
        var overdueOpen = 0
        var totalDays = 0
        var reviewed = 0
        var firstPass = 0
        var returns = 0
        var supervisions = 0
        var satisfaction: [Satisfaction: Int] = [:]
        for c in cases {
            if let done = c.completedOn, done <= to {
                completed += 1
                if done <= c.deadline { onTime += 1 }
                totalDays += try policies.calendar.workingDays(from: c.firstAssignedOn, to: done)
            } else if to > c.deadline {
                overdueOpen += 1
            }
            if c.status == .closed || c.status == .archived { closed += 1 }
            if let first = c.firstReviewApproved {
                reviewed += 1
                if first { firstPass += 1 }
            }
            returns += c.returns
            supervisions += c.supervisionCount
            if let s = c.satisfaction { satisfaction[s, default: 0] += 1 }
        }
        let rated = completed + overdueOpen
        let onTimeRate = rated > 0 ? Double(onTime) / Double(rated) : nil
        let quality = reviewed > 0 ? Double(firstPass) / Double(reviewed) : nil
        let scored = satisfaction.compactMap { s, n in s.score.map { (Double($0) * Double(n), n) } }
        let scoredCount = scored.reduce(0) { $0 + $1.1 }
        let satisfactionScore = scoredCount > 0 ? scored.reduce(0.0) { $0 + $1.0 } / Double(scoredCount) : nil
        let rules = policies.assessment
        let parts: [(Double, Double)] = [
            onTimeRate.map { ($0 * 100, rules.onTimeWeight) }, quality.map { ($0 * 100, rules.qualityWeight) },
            satisfactionScore.map { ($0, rules.satisfactionWeight) },
        ].compactMap { $0 }
        let weight = parts.reduce(0.0) { $0 + $1.1 }
        let score = weight > 0 ? parts.reduce(0.0) { $0 + $1.0 * $1.1 } / weight : nil
        return DepartmentReport(
            department: department, assigned: cases.count, completed: completed, closed: closed, onTime: onTime,
            overdueOpen: overdueOpen, onTimeRate: onTimeRate,
            meanWorkingDays: completed > 0 ? Double(totalDays) / Double(completed) : nil,
            firstPassApprovalRate: quality, returns: returns, supervisions: supervisions, satisfaction: satisfaction,
            satisfactionScore: satisfactionScore, score: score, rank: 0)
    }

    /// Backlog and overdue at the end of each step from `from` to `to` (a week, or a month for long periods): cases
    /// assigned by then and not yet completed, and of those, the ones past their deadline.
    public static func backlog(facts: [Facts], from: CivilDate, to: CivilDate) -> [(
        day: CivilDate, backlog: Int, overdue: Int
    )] {
        let days = to.dayNumber - from.dayNumber + 1
        let step = days > 120 ? 30 : 7
        var points: [(CivilDate, Int, Int)] = []
        var day = from.dayNumber + step - 1
        while true {
            let end = CivilDate(dayNumber: min(day, to.dayNumber))
            var open = 0
            var late = 0
            for f in facts where f.assignedOn <= end && (f.completedOn.map { $0 > end } ?? true) {
                open += 1
                if f.deadline < end { late += 1 }
            }
            points.append((end, open, late))
            if day >= to.dayNumber { break }
            day += step
        }
        return points
    }

    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded()))%" }
    static func one(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
