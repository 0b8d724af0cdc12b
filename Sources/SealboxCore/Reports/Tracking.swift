/// Tracking against deadlines (M5.1.1) and the reminders they call for (M5.1.2).
public enum Tracking {
    /// Why a case needs attention.
    public enum Flag: String, Sendable, CaseIterable, Comparable {
        /// The lead department has not signed for the slip by its due date (M3.1.3).
        case signForOverdue = "sign_for_overdue"
        /// The deadline is within the reminder lead (M5.1.2).
        case dueSoon = "due_soon"
        /// The deadline has passed without the department's result (M4.2.1).
        case overdue
        /// An urgent case has no progress report within the interval (M3.2.2).
        case progressOverdue = "progress_overdue"

        public static func < (lhs: Flag, rhs: Flag) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One case that needs attention.
    public struct Item: Sendable, Equatable {
        /// The case.
        public var number: CaseNumber
        /// The lead department.
        public var department: DepartmentID
        /// The deadline.
        public var deadline: CivilDate
        /// Working days left (negative when overdue).
        public var workingDaysLeft: Int
        /// Why.
        public var flags: [Flag]
        /// Whether a supervision is already open.
        public var isSupervised: Bool
    }

    /// The cases that need attention on `today`, most urgent first.
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public static func attention(in cases: [LetterCase], on today: CivilDate, policies: Policies) throws(CoreError)
        -> [Item]
    {
        var items: [Item] = []
        for c in cases where c.status.isWithDepartment {
            guard let slip = c.activeSlip else { continue }
            let calendar = policies.calendar
            let left =
                slip.deadline >= today
                ? try calendar.workingDays(from: today, to: slip.deadline)
                : -(try calendar.workingDays(from: slip.deadline, to: today))
            var flags: [Flag] = []
            if !c.hasSignedFor(slip.lead) && today > slip.signForDue { flags.append(.signForOverdue) }
            if today > slip.deadline {
                flags.append(.overdue)
            } else if left <= policies.deadlines.reminderLead {
                flags.append(.dueSoon)
            }
            if c.priority == .urgent && c.hasSignedFor(slip.lead) {
                let last = c.progress.last.map { policies.localDate($0.at) } ?? policies.localDate(slip.issuedAt)
                let since = try calendar.workingDays(from: last, to: today)
                if since > policies.deadlines.urgentProgressEvery { flags.append(.progressOverdue) }
            }
            guard !flags.isEmpty else { continue }
            items.append(
                Item(
                    number: c.number, department: slip.lead, deadline: slip.deadline, workingDaysLeft: left,
                    flags: flags, isSupervised: !c.openSupervisions.isEmpty))
        }
        return items.sorted { ($0.workingDaysLeft, $0.number) < ($1.workingDaysLeft, $1.number) }
    }

    /// Overdue cases not yet under supervision: candidates to supervise (M5.2.1).
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public static func supervisionCandidates(in cases: [LetterCase], on today: CivilDate, policies: Policies)
        throws(CoreError) -> [Item]
    {
        try attention(in: cases, on: today, policies: policies).filter {
            $0.flags.contains(.overdue) && !$0.isSupervised
        }
    }
}
