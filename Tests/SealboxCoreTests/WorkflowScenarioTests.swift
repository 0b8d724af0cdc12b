import Foundation
import SealboxCore
import Testing

/// The paths of DESIGN §5, one scenario each, with the clauses they prove.
struct WorkflowScenarioTests {
    let policies: Policies
    init() throws { policies = try Fixtures.policies() }

    func run(_ c: inout LetterCase, _ command: Command, _ actor: Actor, _ when: Timestamp) -> [CaseEvent] {
        let t = Fixtures.ok(Workflow.apply(command, to: c, by: actor, at: when, policies: policies))
        c = t.letterCase
        return t.events
    }

    func refusal(_ c: LetterCase, _ command: Command, _ actor: Actor, _ when: Timestamp) -> Refusal? {
        if case .failure(let r) = Workflow.apply(command, to: c, by: actor, at: when, policies: policies) { return r }
        return nil
    }

    /// M2.2.1–M2.2.3, M3.1.2, M3.1.3, M4.3.1, M4.3.3, M6.1.3: the whole path, and no personal data in any event.
    @Test func happyPathEmitsPIIFreeEventsInOrder() throws {
        let c = try Fixtures.caseIn(.archived, policies: policies)
        #expect(c.status == .archived)
        #expect(c.slips.first?.deadline == Fixtures.date("2026-03-23"))  // 15 working days from Monday 03-02
        #expect(c.slips.first?.signForDue == Fixtures.date("2026-03-03"))
        #expect(c.handler == Fixtures.handler.id)
        #expect(c.feedback?.seal?.department == "transport")
        // Re-run the path collecting events.
        var events: [CaseEvent] = []
        var now = Fixtures.at("2026-03-02", 9)
        var d = Fixtures.ok(
            Workflow.register(
                number: try CaseNumber(parsing: "2026-000042"), letter: Fixtures.letter(), by: Fixtures.clerk, at: now,
                policies: policies))
        events += d.events
        var c2 = d.letterCase
        let steps: [(Command, Actor)] = [
            (.assign(.init(lead: "transport", matter: "路燈維修", requirements: "查明原因並修復")), Fixtures.clerk),
            (.signFor(handler: Fixtures.handler.id), Fixtures.head),
            (.recordContact(method: .phone, summary: "與張三聯繫，13800138000"), Fixtures.handler),
            (.reportProgress(note: "進展：中山路已派員", expectedCompletion: Fixtures.date("2026-03-10")), Fixtures.handler),
            (
                .draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: .satisfied),
                Fixtures.handler
            ),
            (.sealFeedback(Fixtures.seal), Fixtures.head),
            (.review(approve: true, reasons: nil), Fixtures.reviewer),
            (.reply(text: "答覆張三", method: .phone), Fixtures.clerk),
            (.recordSatisfaction(.verySatisfied), Fixtures.clerk),
            (.close, Fixtures.clerk),
            (.archive(package: "seq-1"), Fixtures.archivist),
        ]
        for (command, actor) in steps {
            now = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + 3600)
            d = Fixtures.ok(Workflow.apply(command, to: c2, by: actor, at: now, policies: policies))
            events += d.events
            c2 = d.letterCase
        }
        #expect(
            events.map(\.kind) == [
                "case.registered", "case.assigned", "case.signed_for", "sender.contacted", "progress.reported",
                "sender.informed", "feedback.drafted", "feedback.sealed", "feedback.approved", "case.replied",
                "satisfaction.recorded", "case.closed", "case.archived",
            ])
        for event in events {
            let text = "\(event)" + event.details.map { "\($0)=\($1)" }.joined()
            for personal in Fixtures.personalStrings + ["中山路", "張三"] {
                #expect(!text.contains(personal), "event \(event.kind) leaks personal data")
            }
        }
        #expect(events[1].details["deadline"] == "2026-03-23")
        #expect("\(c2.letter.sender)".contains("‹personal›"))
        #expect(!"\(c2.letter)".contains("張三"))
    }

    /// M2.2.1, M2.2.2: registration needs content; an anonymous letter needs its identifier.
    @Test func registrationRefusesMissingContentAndUntraceableAnonymousLetters() throws {
        let number = try CaseNumber(year: 2026, serial: 7)
        var anonymous = Fixtures.letter(anonymous: true)
        #expect(throws: Never.self) {
            try Workflow.register(
                number: number, letter: anonymous, by: Fixtures.clerk, at: Fixtures.at("2026-03-02"),
                policies: policies
            ).get()
        }
        anonymous.sender.anonymousIdentifier = nil
        let refused = Workflow.register(
            number: number, letter: anonymous, by: Fixtures.clerk, at: Fixtures.at("2026-03-02"), policies: policies)
        #expect(throws: Refusal.self) { try refused.get() }
        if case .failure(let r) = refused { #expect(r.clause == "M2.2.2") }
        var empty = Fixtures.letter()
        empty.content = ""
        if case .failure(let r) = Workflow.register(
            number: number, letter: empty, by: Fixtures.clerk, at: Fixtures.at("2026-03-02"), policies: policies)
        {
            #expect(r.clause == "M2.2.1")
        } else {
            Issue.record("empty letter registered")
        }
        if case .failure(let r) = Workflow.register(
            number: number, letter: Fixtures.letter(), by: Fixtures.handler, at: Fixtures.at("2026-03-02"),
            policies: policies)
        {
            #expect(r.kind == .notPermitted)
        } else {
            Issue.record("a handler registered a letter")
        }
        #expect(number.description == "2026-000007")
        #expect(throws: CoreError.self) { try CaseNumber(parsing: "2026-7") }
    }

    /// A case number prints as `YYYY-NNNNNN` (M2.2.3) at both ends of its range and everywhere between, and
    /// parses back to itself.
    @Test func caseNumbersPrintZeroPaddedAndParseBack() throws {
        #expect(try CaseNumber(year: 2000, serial: 1).description == "2000-000001")
        #expect(try CaseNumber(year: 9999, serial: 999_999).description == "9999-999999")
        #expect(try CaseNumber(year: 2026, serial: 123).description == "2026-000123")
        #expect(try CaseNumber(year: 2031, serial: 40_506).description == "2031-040506")
        for _ in 0..<2000 {
            let number = try CaseNumber(year: Int.random(in: 2000...9999), serial: Int.random(in: 1...999_999))
            let serial = String(number.serial)
            #expect(number.description == "\(number.year)-" + String(repeating: "0", count: 6 - serial.count) + serial)
            #expect(try CaseNumber(parsing: number.description) == number)
        }
    }

    /// Department codes and login names are coded as bare strings (every stored document depends on it), compare
    /// and print as their strings, and are written as literals.
    @Test func identifiersAreBareStrings() throws {
        let departments: [DepartmentID] = ["water", "transport"]
        let json = try JSONEncoder().encode(departments)
        #expect(String(decoding: json, as: UTF8.self) == #"["water","transport"]"#)
        #expect(try JSONDecoder().decode([DepartmentID].self, from: json) == departments)
        #expect(departments.sorted().map(\.description) == ["transport", "water"])
        let user: UserID = "clerk.li"
        #expect(String(decoding: try JSONEncoder().encode(user), as: UTF8.self) == #""clerk.li""#)
        #expect(try JSONDecoder().decode(UserID.self, from: Data(#""head""#.utf8)) == UserID("head"))
        #expect("\(user)" == "clerk.li" && UserID("a") < UserID("b"))
    }

    /// M4.1.3: answered on the spot, then closed.
    @Test func answeredOnTheSpot() throws {
        var c = try Fixtures.caseIn(.registered, policies: policies)
        let events = run(&c, .answerOnSpot(text: "答覆", method: .phone), Fixtures.clerk, Fixtures.at("2026-03-02", 11))
        #expect(events.map(\.kind) == ["case.answered_on_spot"])
        #expect(c.status == .replied && c.reply?.onTheSpot == true)
        _ = run(&c, .close, Fixtures.clerk, Fixtures.at("2026-03-02", 12))
        #expect(c.status == .closed)
    }

    /// M3.2.2, M4.2.3: urgent deadline of 3 working days.
    @Test func urgentAssignmentHasTheShortDeadline() throws {
        let c = try Fixtures.caseIn(.assigned, policies: policies, priority: .urgent)
        #expect(c.activeSlip?.deadline == Fixtures.date("2026-03-05"))  // Mon 03-02 + 3 working days
        #expect(c.activeSlip?.deadlineExplanation == "3 working days from 2026-03-02: 2026-03-05")
    }

    /// M4.2.2: a reason, one pending request, a notice to the sender, and the 30-day cap.
    @Test func extensionNeedsReasonNoticeAndStaysUnderTheCap() throws {
        var c = try Fixtures.caseIn(.inProgress, policies: policies)
        let when = Fixtures.at("2026-03-10")
        #expect(refusal(c, .requestExtension(workingDays: 5, reason: " "), Fixtures.handler, when)?.clause == "M4.2.2")
        // 15 + 16 = 31 working days: over the cap.
        let over = refusal(c, .requestExtension(workingDays: 16, reason: "延期理由"), Fixtures.handler, when)
        #expect(over?.clause == "M4.2.2" && over?.reason.contains("over the cap of 30") == true)
        _ = run(&c, .requestExtension(workingDays: 15, reason: "延期理由"), Fixtures.handler, when)
        #expect(refusal(c, .requestExtension(workingDays: 1, reason: "延期理由"), Fixtures.handler, when) != nil)
        // Approval without telling the sender why is refused.
        #expect(
            refusal(c, .decideExtension(approve: true, senderNotice: nil), Fixtures.reviewer, when)?.clause == "M4.2.2")
        let events = run(&c, .decideExtension(approve: true, senderNotice: "延期理由"), Fixtures.reviewer, when)
        #expect(events.map(\.kind) == ["extension.approved", "sender.notified"])
        // 2026-03-23 + 15 working days = 2026-04-14 (Qingming 04-04..04-06 is Sat–Mon).
        #expect(c.deadline == Fixtures.date("2026-04-14"))
        // Now at the cap: any further day is refused.
        #expect(refusal(c, .requestExtension(workingDays: 1, reason: "延期理由"), Fixtures.handler, when) != nil)
    }

    /// M3.1.1: reassignment keeps the old slip, issues a new one, and the old department loses reach.
    @Test func reassignmentKeepsHistory() throws {
        var c = try Fixtures.caseIn(.inProgress, policies: policies)
        let events = run(
            &c, .reassign(.init(lead: "health", matter: "路燈維修", requirements: "修復"), reason: "職責"), Fixtures.clerk,
            Fixtures.at("2026-03-04"))
        #expect(events.first?.details["supersedes"] == "JB-2026-000001-1")
        #expect(c.slips.count == 2 && c.slips[0].isActive == false && c.activeSlip?.lead == "health")
        #expect(c.status == .assigned)
        #expect(c.handler == nil)
        #expect(refusal(c, .signFor(handler: "h"), Fixtures.head, Fixtures.at("2026-03-04"))?.kind == .outOfScope)
        _ = run(&c, .signFor(handler: "handler.qian"), Fixtures.otherHead, Fixtures.at("2026-03-04", 12))
        #expect(c.status == .accepted && c.handler == "handler.qian")
    }

    /// M3.2.1: the lead's consolidated feedback waits for every co-department.
    @Test func jointHandlingWaitsForEveryCoDepartment() throws {
        let policies = self.policies
        var c = try Fixtures.caseIn(.assigned, policies: policies, co: ["housing"])
        #expect(c.activeSlip?.departments == ["transport", "housing"])
        _ = run(&c, .signFor(handler: Fixtures.handler.id), Fixtures.head, Fixtures.at("2026-03-02", 12))
        _ = run(&c, .startHandling, Fixtures.handler, Fixtures.at("2026-03-02", 13))
        _ = run(
            &c, .draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: nil),
            Fixtures.handler, Fixtures.at("2026-03-03"))
        let waiting = refusal(c, .sealFeedback(Fixtures.seal), Fixtures.head, Fixtures.at("2026-03-03", 11))
        #expect(waiting?.clause == "M3.2.1" && waiting?.reason.contains("housing") == true)
        // A co-department contributes only after signing for, once; other departments cannot.
        #expect(refusal(c, .contribute(text: "協辦"), Fixtures.coHead, Fixtures.at("2026-03-03"))?.clause == "M3.1.3")
        #expect(refusal(c, .contribute(text: "協辦"), Fixtures.otherHead, Fixtures.at("2026-03-03"))?.kind == .outOfScope)
        _ = run(&c, .signFor(handler: Fixtures.coHandler.id), Fixtures.coHead, Fixtures.at("2026-03-03", 12))
        #expect(c.status == .inProgress)  // a co-department's sign-for does not move the case
        _ = run(&c, .contribute(text: "協辦"), Fixtures.coHandler, Fixtures.at("2026-03-03", 13))
        #expect(refusal(c, .contribute(text: "協辦"), Fixtures.coHead, Fixtures.at("2026-03-03", 14)) != nil)
        let sealed = run(&c, .sealFeedback(Fixtures.seal), Fixtures.head, Fixtures.at("2026-03-03", 15))
        #expect(sealed.first?.kind == "feedback.sealed")
        #expect(c.status == .feedbackSubmitted)
        // Only the lead department's head seals.
        #expect(c.contributions.map(\.department) == ["housing"])
    }

    /// M4.3.3, M5.2.1–M5.2.3: returned feedback opens supervision; the case cannot close until it is closed.
    @Test func returnedFeedbackOpensSupervisionThatMustBeClosed() throws {
        var c = try Fixtures.caseIn(.feedbackSubmitted, policies: policies)
        #expect(
            refusal(c, .review(approve: false, reasons: nil), Fixtures.reviewer, Fixtures.at("2026-03-04"))?.clause
                == "M4.3.3")
        let events = run(&c, .review(approve: false, reasons: "調查不充分"), Fixtures.reviewer, Fixtures.at("2026-03-04"))
        #expect(events.map(\.kind) == ["feedback.returned", "supervision.opened"])
        #expect(c.status == .returned && c.feedback == nil && c.feedbackHistory.count == 1)
        #expect(c.openSupervisions.first?.reason == .returnedFeedback)
        #expect(c.openSupervisions.first?.rectificationDue == Fixtures.date("2026-03-11"))  // Wed 03-04 + 5
        // Rework, seal again, approve, reply; closing is refused while supervised.
        _ = run(
            &c, .draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: nil),
            Fixtures.handler, Fixtures.at("2026-03-05"))
        _ = run(&c, .sealFeedback(Fixtures.seal), Fixtures.head, Fixtures.at("2026-03-05", 11))
        _ = run(&c, .review(approve: true, reasons: nil), Fixtures.reviewer, Fixtures.at("2026-03-05", 12))
        _ = run(&c, .reply(text: "答覆", method: .letter), Fixtures.clerk, Fixtures.at("2026-03-05", 13))
        #expect(refusal(c, .close, Fixtures.clerk, Fixtures.at("2026-03-05", 14))?.clause == "M5.2.3")
        // The supervision runs notice → rectification → close, each by the right person, in order.
        let at = Fixtures.at("2026-03-06")
        #expect(c.status == .replied)
        var s = try Fixtures.caseIn(.returned, policies: policies)
        #expect(refusal(s, .reportRectification(text: "整改"), Fixtures.head, at)?.clause == "M5.2.2")
        #expect(refusal(s, .closeSupervision, Fixtures.reviewer, at)?.clause == "M5.2.3")
        _ = run(&s, .issueSupervisionNotice(text: "整改"), Fixtures.reviewer, at)
        #expect(refusal(s, .reportRectification(text: "整改"), Fixtures.otherHead, at)?.kind == .outOfScope)
        let report = run(&s, .reportRectification(text: "整改"), Fixtures.head, at)
        #expect(report.first?.details["on_time"] == "true")
        _ = run(&s, .closeSupervision, Fixtures.reviewer, at)
        #expect(s.openSupervisions.isEmpty)
    }

    /// M5.2.1: supervision for overdue needs an overdue case.
    @Test func overdueSupervisionOnlyWhenOverdue() throws {
        var c = try Fixtures.caseIn(.inProgress, policies: policies)
        let early = refusal(
            c, .openSupervision(reason: .overdue, method: .phone), Fixtures.reviewer, Fixtures.at("2026-03-23"))
        #expect(early?.clause == "M5.2.1")
        let events = run(
            &c, .openSupervision(reason: .overdue, method: .onSite), Fixtures.reviewer, Fixtures.at("2026-03-24"))
        #expect(events.first?.details["method"] == "on_site")
        #expect(
            refusal(c, .openSupervision(reason: .manual, method: .phone), Fixtures.reviewer, Fixtures.at("2026-03-24"))
                != nil)
    }

    /// M3.1.3: only the lead department's head signs, naming a handler; only the named handler drafts.
    @Test func onlyTheNamedHandlerDrafts() throws {
        let c = try Fixtures.caseIn(.inProgress, policies: policies)
        let other = Actor(id: "handler.li", roles: [.handler], department: "transport")
        let draft = Command.draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: nil)
        #expect(refusal(c, draft, other, Fixtures.at("2026-03-03"))?.kind == .outOfScope)
        #expect(refusal(c, draft, Fixtures.head, Fixtures.at("2026-03-03"))?.kind == .notPermitted)
        #expect(refusal(c, .sealFeedback(Fixtures.seal), Fixtures.head, Fixtures.at("2026-03-03"))?.clause == "M4.3.1")
    }
}
