/// Every setting the Measures leave open, loaded from `Policies/*.toml` (the CLI reads the files; Core only
/// parses text, so it stays free of I/O).
public struct Policies: Sendable {
    /// Deadlines in working days (M3.1.3, M3.2.2, M4.2.1–M4.2.3, M5.1.2, M5.2.3).
    public struct Deadlines: Sendable, Equatable {
        /// A general letter (M4.2.1), default 15.
        public var general: Int
        /// The cap with extensions, in all (M4.2.2), default 30.
        public var maximumWithExtension: Int
        /// An urgent letter (M4.2.3), default 3.
        public var urgent: Int
        /// Urgent progress report interval (M3.2.2), default 1.
        public var urgentProgressEvery: Int
        /// Sign-for (M3.1.3), default 1.
        public var signFor: Int
        /// How many working days before the deadline a reminder is due (M5.1.2), default 3.
        public var reminderLead: Int
        /// Rectification report (M5.2.3), default 5.
        public var rectification: Int
    }

    /// A role's permissions and scope.
    public struct RolePolicy: Sendable, Equatable {
        /// What the role may do.
        public var permissions: Set<Permission>
        /// Where.
        public var scope: Scope
    }

    /// Assessment weights and thresholds (M7).
    public struct Assessment: Sendable, Equatable {
        /// Weight of the on-time rate in the score.
        public var onTimeWeight: Double
        /// Weight of the first-pass approval rate (handling quality).
        public var qualityWeight: Double
        /// Weight of the satisfaction score.
        public var satisfactionWeight: Double
        /// A department with a score at or above this, and at least `minimumCases`, is commended (M7.2.1).
        public var commendScore: Double
        /// Cases needed to be ranked for commendation.
        public var minimumCases: Int
        /// Named in a notice (通報, M7.2.2) below this on-time rate.
        public var noticeOnTimeRate: Double
        /// Named in a notice below this satisfaction score.
        public var noticeSatisfaction: Double
        /// Named in a notice below this score.
        public var noticeScore: Double
    }

    /// Deadlines.
    public var deadlines: Deadlines
    /// Whether returned feedback opens supervision at once (M5.2.1).
    public var superviseOnReturn: Bool
    /// Local time zone offset, seconds east of UTC (working days are local dates).
    public var utcOffsetSeconds: Int
    /// Roles.
    public var roles: [Role: RolePolicy]
    /// Retention classes, years (0 = permanent).
    public var retentionClasses: [String: Int]
    /// The class a new case gets.
    public var defaultRetention: RetentionClass
    /// Assessment.
    public var assessment: Assessment
    /// The working-day calendar.
    public var calendar: WorkingCalendar
    /// Idle minutes before a shell session locks.
    public var idleLockMinutes: Int
    /// Failed unlocks before the account locks.
    public var maxFailedUnlocks: Int
    /// Minutes an account stays locked.
    public var lockMinutes: Int

    /// The local date of `moment`.
    public func localDate(_ moment: Timestamp) -> CivilDate { moment.civilDate(offsetSeconds: utcOffsetSeconds) }

    /// Whether any of `actor`'s roles grants `permission`; returns the widest scope that does.
    public func scope(of actor: Actor, for permission: Permission) -> Scope? {
        let order: [Scope] = [.office, .department, .handler, .none]
        let scopes = actor.roles.compactMap { role -> Scope? in
            guard let policy = roles[role], policy.permissions.contains(permission) else { return nil }
            return policy.scope
        }
        return order.first { scopes.contains($0) }
    }
}

// MARK: - Loading

extension Policies {
    /// Loads policies from file texts keyed by path relative to `Policies/` (`deadlines.toml`, `roles.toml`,
    /// `retention.toml`, `assessment.toml`, `calendars/<region>-<year>.toml`).
    /// - Throws: `CoreError.invalidPolicy` naming the file and key of the first problem.
    public static func load(files: [String: String]) throws(CoreError) -> Policies {
        func file(_ name: String) throws(CoreError) -> TOMLDocument {
            guard let text = files[name] else { throw CoreError(.invalidPolicy, "Policies/\(name) is missing") }
            return try TOMLDocument(parsing: text, fileName: "Policies/\(name)")
        }
        let deadlinesDoc = try file("deadlines.toml")
        try deadlinesDoc.checkTables(allowed: ["deadlines", "supervision", "time"])
        var d = deadlinesDoc.table("deadlines")
        let deadlines = Deadlines(
            general: try d.int("general_working_days", in: 1...365),
            maximumWithExtension: try d.int("maximum_with_extension", in: 1...365),
            urgent: try d.int("urgent_working_days", in: 1...365),
            urgentProgressEvery: try d.int("urgent_progress_every", in: 1...30),
            signFor: try d.int("sign_for_within", in: 0...30),
            reminderLead: try d.int("reminder_lead", in: 0...30),
            rectification: try d.int("rectification_within", in: 1...90))
        try d.finish()
        guard deadlines.maximumWithExtension >= deadlines.general, deadlines.urgent <= deadlines.general else {
            throw CoreError(
                .invalidPolicy,
                "Policies/deadlines.toml: maximum_with_extension must be ≥ general_working_days ≥ urgent_working_days")
        }
        var s = deadlinesDoc.table("supervision")
        let superviseOnReturn = try s.bool("open_on_returned_feedback")
        try s.finish()
        var t = deadlinesDoc.table("time")
        let offsetMinutes = try t.int("utc_offset_minutes", in: -720...840)
        let region = try t.string("calendar_region")
        let local = try t.string("calendar_local", default: "")
        try t.finish()
        try deadlinesDoc.table("").finish()

        let roles = try loadRoles(try file("roles.toml"))
        let (classes, defaultClass) = try loadRetention(try file("retention.toml"))
        let assessment = try loadAssessment(try file("assessment.toml"))
        let securityDoc = try file("security.toml")
        try securityDoc.checkTables(allowed: ["session", "unlock"])
        try securityDoc.table("").finish()
        var session = securityDoc.table("session")
        let idle = try session.int("idle_lock_minutes", in: 1...480)
        try session.finish()
        var unlock = securityDoc.table("unlock")
        let failures = try unlock.int("max_failures", in: 1...100)
        let lockMinutes = try unlock.int("lock_minutes", in: 1...1440)
        try unlock.finish()

        var calendar = WorkingCalendar(region: region)
        // Base files (calendars/<region>-<year>.toml) first, then the local overrides that were asked for
        // (calendars/<region>-<year>-<local>.toml); other regions' files are ignored.
        func isBase(_ name: String) -> Bool {
            let stem = name.dropFirst("calendars/".count)
            return stem.hasPrefix(region + "-") && stem.hasSuffix(".toml") && stem.count == region.count + 10
                && Int(stem.dropFirst(region.count + 1).prefix(4)) != nil
        }
        func isLocal(_ name: String) -> Bool {
            !local.isEmpty && name.hasPrefix("calendars/\(region)-") && name.hasSuffix("-\(local).toml")
        }
        for name in files.keys.filter(isBase).sorted() + files.keys.filter(isLocal).sorted() {
            guard let text = files[name] else { continue }
            try calendar.add(fileText: text, fileName: "Policies/\(name)")
        }
        guard !calendar.years.isEmpty else {
            throw CoreError(.invalidPolicy, "Policies/calendars: no \(region)-YEAR.toml calendar file")
        }
        return Policies(
            deadlines: deadlines, superviseOnReturn: superviseOnReturn, utcOffsetSeconds: offsetMinutes * 60,
            roles: roles, retentionClasses: classes, defaultRetention: RetentionClass(defaultClass),
            assessment: assessment, calendar: calendar, idleLockMinutes: idle, maxFailedUnlocks: failures,
            lockMinutes: lockMinutes)
    }

    private static func loadRoles(_ doc: TOMLDocument) throws(CoreError) -> [Role: RolePolicy] {
        try doc.checkTables(allowed: ["roles"])
        try doc.table("").finish()
        var roles: [Role: RolePolicy] = [:]
        for name in doc.subtables(of: "roles") {
            guard let role = Role(rawValue: name) else {
                let known = Role.allCases.map(\.rawValue).joined(separator: ", ")
                throw CoreError(.invalidPolicy, "\(doc.fileName): unknown role [roles.\(name)] (known: \(known))")
            }
            var table = doc.table("roles.\(name)")
            let scopeText = try table.string("scope")
            guard let scope = Scope(rawValue: scopeText) else {
                throw table.fail("scope", "unknown scope \"\(scopeText)\" (office, department, handler, none)")
            }
            var permissions: Set<Permission> = []
            for text in try table.strings("permissions") {
                guard let permission = Permission(rawValue: text) else {
                    throw table.fail("permissions", "unknown permission \"\(text)\"")
                }
                permissions.insert(permission)
            }
            try table.finish()
            roles[role] = RolePolicy(permissions: permissions, scope: scope)
        }
        return roles
    }

    private static func loadRetention(_ doc: TOMLDocument) throws(CoreError) -> ([String: Int], String) {
        try doc.checkTables(allowed: ["classes"])
        var root = doc.table("")
        let defaultClass = try root.string("default_class")
        try root.finish()
        var classes: [String: Int] = [:]
        for name in doc.subtables(of: "classes") {
            var table = doc.table("classes.\(name)")
            classes[name] = try table.int("years", in: 0...200)
            _ = try table.string("description")
            try table.finish()
        }
        guard classes[defaultClass] != nil else {
            throw CoreError(
                .invalidPolicy, "\(doc.fileName): default_class \"\(defaultClass)\" is not a [classes.*] table")
        }
        return (classes, defaultClass)
    }

    private static func loadAssessment(_ doc: TOMLDocument) throws(CoreError) -> Assessment {
        try doc.checkTables(allowed: ["weights", "commendation", "notice"])
        try doc.table("").finish()
        var w = doc.table("weights")
        let onTime = try w.double("on_time", in: 0...1)
        let quality = try w.double("quality", in: 0...1)
        let satisfaction = try w.double("satisfaction", in: 0...1)
        try w.finish()
        guard abs(onTime + quality + satisfaction - 1) < 1e-9 else {
            throw CoreError(.invalidPolicy, "\(doc.fileName): [weights] must add up to 1")
        }
        var c = doc.table("commendation")
        let commendScore = try c.double("minimum_score", in: 0...100)
        let minimumCases = try c.int("minimum_cases", in: 0...10000)
        try c.finish()
        var n = doc.table("notice")
        let noticeOnTime = try n.double("below_on_time_rate", in: 0...1)
        let noticeSatisfaction = try n.double("below_satisfaction", in: 0...100)
        let noticeScore = try n.double("below_score", in: 0...100)
        try n.finish()
        return Assessment(
            onTimeWeight: onTime, qualityWeight: quality, satisfactionWeight: satisfaction, commendScore: commendScore,
            minimumCases: minimumCases, noticeOnTimeRate: noticeOnTime, noticeSatisfaction: noticeSatisfaction,
            noticeScore: noticeScore)
    }
}
