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

    /// What tracking needs of a case: workflow metadata only, no personal data, so the store can keep it in clear
    /// and track without opening any case.
    public struct Inputs: Sendable, Equatable {
        public var number: CaseNumber
        public var status: CaseStatus
        public var priority: Priority
        public var lead: DepartmentID
        public var deadline: CivilDate
        public var signForDue: CivilDate
        public var leadSignedFor: Bool
        /// The last progress report's local date, or the slip's issue date.
        public var lastProgress: CivilDate
        public var isSupervised: Bool

        /// Creates inputs.
        public init(
            number: CaseNumber, status: CaseStatus, priority: Priority, lead: DepartmentID, deadline: CivilDate,
            signForDue: CivilDate, leadSignedFor: Bool, lastProgress: CivilDate, isSupervised: Bool
        ) {
            self.number = number
            self.status = status
            self.priority = priority
            self.lead = lead
            self.deadline = deadline
            self.signForDue = signForDue
            self.leadSignedFor = leadSignedFor
            self.lastProgress = lastProgress
            self.isSupervised = isSupervised
        }

        /// The inputs of an assigned case, or `nil` when it has no active slip.
        public init?(_ c: LetterCase, policies: Policies) {
            guard let slip = c.activeSlip else { return nil }
            let last = c.progress.last.map { policies.localDate($0.at) } ?? policies.localDate(slip.issuedAt)
            self.init(
                number: c.number, status: c.status, priority: c.priority, lead: slip.lead, deadline: slip.deadline,
                signForDue: slip.signForDue, leadSignedFor: c.hasSignedFor(slip.lead), lastProgress: last,
                isSupervised: !c.openSupervisions.isEmpty)
        }
    }

    /// The cases that need attention on `today`, most urgent first.
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public static func attention(in cases: [LetterCase], on today: CivilDate, policies: Policies) throws(CoreError)
        -> [Item]
    {
        try attention(cases.compactMap { Inputs($0, policies: policies) }, on: today, policies: policies)
    }

    /// The same, from tracking inputs alone (no case opened).
    /// - Throws: `CoreError.calendarYearMissing` when a date has no calendar.
    public static func attention(_ inputs: [Inputs], on today: CivilDate, policies: Policies) throws(CoreError)
        -> [Item]
    {
        var items: [Item] = []
        let calendar = policies.calendar
        for c in inputs where c.status.isWithDepartment {
            let left =
                c.deadline >= today
                ? try calendar.workingDays(from: today, to: c.deadline)
                : -(try calendar.workingDays(from: c.deadline, to: today))
            var flags: [Flag] = []
            if !c.leadSignedFor && today > c.signForDue { flags.append(.signForOverdue) }
            if today > c.deadline {
                flags.append(.overdue)
            } else if left <= policies.deadlines.reminderLead {
                flags.append(.dueSoon)
            }
            if c.priority == .urgent && c.leadSignedFor {
                let since = try calendar.workingDays(from: c.lastProgress, to: today)
                if since > policies.deadlines.urgentProgressEvery { flags.append(.progressOverdue) }
            }
            guard !flags.isEmpty else { continue }
            items.append(
                Item(
                    number: c.number, department: c.lead, deadline: c.deadline, workingDaysLeft: left, flags: flags,
                    isSupervised: c.isSupervised))
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
