import SealboxCore
import Testing

/// Tracking (M5.1) and assessment (M7) over hand-built cases whose figures are worked out in the comments.
struct ReportTests {
    let policies: Policies
    init() throws { policies = try Fixtures.policies() }

    /// Builds a case by running commands at given local times ("MM-DD HH" in 2026).
    func build(_ serial: Int, _ steps: [(String, Command, Actor)], priority: Priority = .general) throws -> LetterCase {
        var c = Fixtures.ok(
            Workflow.register(
                number: try CaseNumber(year: 2026, serial: serial), letter: Fixtures.letter(), priority: priority,
                by: Fixtures.clerk, at: Fixtures.at("2026-03-02", 8), policies: policies)
        ).letterCase
        for (when, command, actor) in steps {
            let parts = when.split(separator: " ")
            let at = Fixtures.at("2026-\(parts[0])", Int(parts[1]) ?? 9)
            c = Fixtures.ok(Workflow.apply(command, to: c, by: actor, at: at, policies: policies)).letterCase
        }
        return c
    }

    static let draft = Command.draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: nil)

    func assign(_ lead: DepartmentID) -> Command {
        .assign(.init(lead: lead, matter: "事項", requirements: "要求"))
    }

    func cases() throws -> [LetterCase] {
        let housingHead = Actor(id: "head.sun", roles: [.departmentHead], department: "housing")
        let housingHandler = Actor(id: "handler.zhou", roles: [.handler], department: "housing")
        // A (transport): assigned 03-02, sealed 03-05 (deadline 03-23: on time), approved first time, very satisfied.
        let a = try build(
            1,
            [
                ("03-02 9", assign("transport"), Fixtures.clerk),
                ("03-02 10", .signFor(handler: "handler.wang"), Fixtures.head),
                ("03-03 9", .startHandling, Fixtures.handler), ("03-05 9", Self.draft, Fixtures.handler),
                ("03-05 10", .sealFeedback(Fixtures.seal), Fixtures.head),
                ("03-06 9", .review(approve: true, reasons: nil), Fixtures.reviewer),
                ("03-06 10", .reply(text: "答覆", method: .phone), Fixtures.clerk),
                ("03-06 11", .recordSatisfaction(.verySatisfied), Fixtures.clerk), ("03-06 12", .close, Fixtures.clerk),
            ])
        // B (transport): returned once (supervision opens), resealed 03-25 after the 03-23 deadline, satisfied.
        let b = try build(
            2,
            [
                ("03-02 9", assign("transport"), Fixtures.clerk),
                ("03-02 10", .signFor(handler: "handler.wang"), Fixtures.head),
                ("03-03 9", .startHandling, Fixtures.handler), ("03-05 9", Self.draft, Fixtures.handler),
                ("03-05 10", .sealFeedback(Fixtures.seal), Fixtures.head),
                ("03-06 9", .review(approve: false, reasons: "不充分"), Fixtures.reviewer),
                ("03-25 9", Self.draft, Fixtures.handler), ("03-25 10", .sealFeedback(Fixtures.seal), Fixtures.head),
                ("03-26 9", .review(approve: true, reasons: nil), Fixtures.reviewer),
                ("03-26 10", .reply(text: "答覆", method: .phone), Fixtures.clerk),
                ("03-26 11", .recordSatisfaction(.satisfied), Fixtures.clerk),
            ])
        // C (housing): assigned 03-02, never finished: overdue at the end of March (deadline 03-23).
        let c = try build(
            3,
            [
                ("03-02 9", assign("housing"), Fixtures.clerk),
                ("03-02 10", .signFor(handler: "handler.zhou"), housingHead),
            ])
        // D (housing): assigned 03-03 (deadline 03-24), sealed 03-04, approved first time, dissatisfied.
        let d = try build(
            4,
            [
                ("03-03 9", assign("housing"), Fixtures.clerk),
                ("03-03 10", .signFor(handler: "handler.zhou"), housingHead),
                ("03-03 11", .startHandling, housingHandler), ("03-04 9", Self.draft, housingHandler),
                ("03-04 10", .sealFeedback(Fixtures.seal), housingHead),
                ("03-05 9", .review(approve: true, reasons: nil), Fixtures.reviewer),
                ("03-05 10", .reply(text: "答覆", method: .phone), Fixtures.clerk),
                ("03-05 11", .recordSatisfaction(.dissatisfied), Fixtures.clerk),
            ])
        // E (transport, urgent): assigned and signed 03-02 (deadline 03-05), no progress report since.
        let e = try build(
            5,
            [
                ("03-02 9", assign("transport"), Fixtures.clerk),
                ("03-02 10", .signFor(handler: "handler.wang"), Fixtures.head),
            ], priority: .urgent)
        // F (health): assigned 03-02 (sign-for due 03-03), never signed for.
        let f = try build(6, [("03-02 9", assign("health"), Fixtures.clerk)])
        return [a, b, c, d, e, f]
    }

    @Test func assessmentMatchesHandComputedFigures() throws {
        let all = try cases()
        // Only March assignments of transport and housing (E and F are excluded to keep the figures small).
        let report = try Assessment.assess(
            Array(all.prefix(4)), from: Fixtures.date("2026-03-01"), to: Fixtures.date("2026-03-31"), policies: policies
        )
        #expect(report.departments.map(\.department) == ["transport", "housing"])
        let t = report.departments[0]
        // transport: A on time, B late → 1/2; days 3 (03-02→03-05) and 17 (03-02→03-25) → mean 10;
        // first pass 1/2; 1 return; 1 supervision; satisfaction (100 + 80) / 2 = 90;
        // score 0.4 × 50 + 0.3 × 50 + 0.3 × 90 = 62.
        #expect(t.assigned == 2 && t.completed == 2 && t.closed == 1 && t.onTime == 1 && t.overdueOpen == 0)
        #expect(t.onTimeRate == 0.5)
        #expect(t.meanWorkingDays == 10)
        #expect(t.firstPassApprovalRate == 0.5)
        #expect(t.returns == 1 && t.supervisions == 1)
        #expect(t.satisfaction == [.verySatisfied: 1, .satisfied: 1])
        #expect(t.satisfactionScore == 90)
        #expect(abs((t.score ?? 0) - 62) < 1e-9)
        #expect(t.rank == 1)
        let h = report.departments[1]
        // housing: D on time, C overdue and open → 1/2; D took 1 working day; first pass 1/1; dissatisfied → 0;
        // score 0.4 × 50 + 0.3 × 100 + 0.3 × 0 = 50.
        #expect(h.assigned == 2 && h.completed == 1 && h.onTime == 1 && h.overdueOpen == 1)
        #expect(h.onTimeRate == 0.5 && h.meanWorkingDays == 1 && h.firstPassApprovalRate == 1)
        #expect(h.satisfactionScore == 0)
        #expect(abs((h.score ?? 0) - 50) < 1e-9)
        #expect(h.rank == 2)
        // M7.2: nobody reaches 90; transport is noticed for its on-time rate; housing on all three counts.
        #expect(report.commended.isEmpty)
        #expect(report.noticed.map(\.department) == ["transport", "housing"])
        #expect(report.noticed[0].reasons == ["on-time rate 50% below 80%"])
        #expect(
            report.noticed[1].reasons == [
                "on-time rate 50% below 80%", "satisfaction 0.0 below 60.0", "score 50.0 below 60.0",
            ])
    }

    @Test func commendationNeedsScoreAndEnoughCases() throws {
        let all = try cases()
        var rules = policies
        rules.assessment.commendScore = 60
        rules.assessment.minimumCases = 2
        let report = try Assessment.assess(
            Array(all.prefix(4)), from: Fixtures.date("2026-03-01"), to: Fixtures.date("2026-03-31"), policies: rules)
        #expect(report.commended == ["transport"])
        rules.assessment.minimumCases = 3
        let stricter = try Assessment.assess(
            Array(all.prefix(4)), from: Fixtures.date("2026-03-01"), to: Fixtures.date("2026-03-31"), policies: rules)
        #expect(stricter.commended.isEmpty)
    }

    @Test func trackingFlagsDueSoonOverdueProgressAndSignFor() throws {
        let all = try cases()
        // 03-04: E (urgent, deadline 03-05) has 1 working day left and no progress for 2 working days;
        // F's sign-for was due 03-03. C (deadline 03-23) is not due yet.
        let early = try Tracking.attention(in: all, on: Fixtures.date("2026-03-04"), policies: policies)
        #expect(early.map(\.number.serial) == [5, 6])
        #expect(early[0].flags == [.dueSoon, .progressOverdue])
        #expect(early[0].workingDaysLeft == 1)
        #expect(early[1].flags == [.signForOverdue])
        // 03-19 (Thu): C and F (deadline 03-23) have 2 working days left (03-20, 03-23) → due soon, F still
        // unsigned; E (deadline 03-05) is overdue.
        let later = try Tracking.attention(in: all, on: Fixtures.date("2026-03-19"), policies: policies)
        let byNumber = Dictionary(uniqueKeysWithValues: later.map { ($0.number.serial, $0) })
        #expect(byNumber[3]?.flags == [.dueSoon] && byNumber[3]?.workingDaysLeft == 2)
        #expect(byNumber[5]?.flags.contains(.overdue) == true)
        #expect(byNumber[6]?.flags == [.signForOverdue, .dueSoon])
        #expect(byNumber[1] == nil && byNumber[4] == nil)  // finished cases are not tracked
        let candidates = try Tracking.supervisionCandidates(
            in: all, on: Fixtures.date("2026-03-19"), policies: policies)
        #expect(candidates.map(\.number.serial) == [5])
        #expect(throws: CoreError.self) {
            try Tracking.attention(in: all, on: Fixtures.date("2027-01-05"), policies: policies)
        }
    }
}
