import SealboxCore
import Testing

/// Every (state × command × role): the allowed pairs change state and emit the right first event; every other
/// pair is refused with a reason and a clause.
struct WorkflowTableTests {
    /// What the Measures and the shipped roles.toml allow: roles, states, and the state after.
    struct Rule: Sendable {
        var command: Command
        var roles: Set<Role>
        var states: [CaseStatus: CaseStatus]
        var event: String
        /// Sets up what the command needs beyond the state (a pending request, an open supervision…).
        var prepare: @Sendable (inout LetterCase) -> Void = { _ in }
    }

    static let handling: [CaseStatus] = [.accepted, .inProgress, .returned]
    static let supervised: [CaseStatus] = [.assigned, .accepted, .inProgress, .feedbackSubmitted, .approved, .returned]

    static func same(_ states: [CaseStatus]) -> [CaseStatus: CaseStatus] {
        Dictionary(uniqueKeysWithValues: states.map { ($0, $0) })
    }

    static func closeSupervisions(_ c: inout LetterCase) {
        for i in c.supervisions.indices where c.supervisions[i].isOpen {
            c.supervisions[i].closedAt = Fixtures.at("2026-03-02")
        }
    }

    static func openSupervision(notice: Bool, rectified: Bool) -> @Sendable (inout LetterCase) -> Void {
        { c in
            closeSupervisions(&c)
            let note = Supervision.Note(by: "reviewer.chen", at: Fixtures.at("2026-03-03"), text: "整改")
            c.supervisions.append(
                Supervision(
                    number: "DB-x", department: "transport", reason: .manual, method: .phone, openedBy: "reviewer.chen",
                    openedAt: Fixtures.at("2026-03-03"), rectificationDue: Fixtures.date("2026-03-10"),
                    notice: notice ? note : nil, rectification: rectified ? note : nil))
        }
    }

    static let rules: [Rule] = [
        Rule(
            command: .answerOnSpot(text: "答覆", method: .phone), roles: [.clerk], states: [.registered: .replied],
            event: "case.answered_on_spot"),
        Rule(
            command: .assign(.init(lead: "transport", matter: "路燈維修", requirements: "修復")), roles: [.clerk],
            states: [.registered: .assigned], event: "case.assigned"),
        Rule(
            command: .reassign(.init(lead: "health", matter: "路燈維修", requirements: "修復"), reason: "職責"),
            roles: [.clerk, .reviewer],
            states: [.assigned: .assigned, .accepted: .assigned, .inProgress: .assigned, .returned: .assigned],
            event: "case.reassigned"),
        Rule(
            command: .signFor(handler: "handler.wang"), roles: [.departmentHead], states: [.assigned: .accepted],
            event: "case.signed_for"),
        Rule(
            command: .startHandling, roles: [.handler], states: [.accepted: .inProgress], event: "case.handling_started"
        ),
        Rule(
            command: .recordContact(method: .phone, summary: "聯繫"), roles: [.handler],
            states: [.accepted: .inProgress, .inProgress: .inProgress, .returned: .returned], event: "sender.contacted"),
        Rule(
            command: .reportProgress(note: "進展", expectedCompletion: nil), roles: [.handler, .departmentHead],
            states: [.accepted: .inProgress, .inProgress: .inProgress, .returned: .returned], event: "progress.reported"
        ),
        Rule(
            command: .requestExtension(workingDays: 5, reason: "延期理由"), roles: [.handler, .departmentHead],
            states: same(handling), event: "extension.requested"),
        Rule(
            command: .decideExtension(approve: true, senderNotice: "延期理由"), roles: [.reviewer],
            states: same(handling), event: "extension.approved",
            prepare: { c in
                c.extensions.append(
                    ExtensionRequest(
                        requestedBy: "handler.wang", at: Fixtures.at("2026-03-03"), workingDays: 5, reason: "延期理由",
                        decision: nil))
            }),
        // Contributions come from co-departments only: every lead-department actor is refused.
        Rule(command: .contribute(text: "協辦"), roles: [], states: [:], event: "contribution.submitted"),
        Rule(
            command: .draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: nil),
            roles: [.handler], states: same([.inProgress, .returned]), event: "feedback.drafted"),
        Rule(
            command: .sealFeedback(Fixtures.seal), roles: [.departmentHead],
            states: [.inProgress: .feedbackSubmitted, .returned: .feedbackSubmitted], event: "feedback.sealed",
            prepare: { c in
                c.feedback = Feedback(
                    investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: nil,
                    draftedBy: "handler.wang", draftedAt: Fixtures.at("2026-03-04"), seal: nil)
            }),
        Rule(
            command: .review(approve: true, reasons: nil), roles: [.reviewer], states: [.feedbackSubmitted: .approved],
            event: "feedback.approved"),
        Rule(
            command: .reply(text: "答覆", method: .phone), roles: [.clerk], states: [.approved: .replied],
            event: "case.replied"),
        Rule(
            command: .recordSatisfaction(.satisfied), roles: [.clerk], states: same([.replied, .closed]),
            event: "satisfaction.recorded"),
        Rule(command: .close, roles: [.clerk, .reviewer], states: [.replied: .closed], event: "case.closed"),
        Rule(
            command: .restrict, roles: [.reviewer], states: same(CaseStatus.allCases.filter { $0 != .archived }),
            event: "case.restricted"),
        Rule(
            command: .remind(reason: "manual"), roles: [.clerk, .reviewer],
            states: same([.assigned, .accepted, .inProgress, .returned]), event: "reminder.sent"),
        Rule(
            command: .openSupervision(reason: .manual, method: .phone), roles: [.reviewer], states: same(supervised),
            event: "supervision.opened", prepare: closeSupervisions),
        Rule(
            command: .issueSupervisionNotice(text: "整改"), roles: [.reviewer], states: same(supervised),
            event: "supervision.notice_issued", prepare: openSupervision(notice: false, rectified: false)),
        Rule(
            command: .reportRectification(text: "整改"), roles: [.departmentHead], states: same(supervised),
            event: "supervision.rectification_reported", prepare: openSupervision(notice: true, rectified: false)),
        Rule(
            command: .closeSupervision, roles: [.reviewer], states: same(supervised), event: "supervision.closed",
            prepare: openSupervision(notice: true, rectified: true)),
        Rule(
            command: .archive(package: "seq-9"), roles: [.archivist], states: [.closed: .archived],
            event: "case.archived"),
    ]

    @Test func everyStateCommandAndRolePair() throws {
        let policies = try Fixtures.policies()
        var fixtures: [CaseStatus: LetterCase] = [:]
        for state in CaseStatus.allCases { fixtures[state] = try Fixtures.caseIn(state, policies: policies) }
        var allowed = 0
        var refused = 0
        let now = Fixtures.at("2026-03-05", 15)
        for rule in Self.rules {
            for state in CaseStatus.allCases {
                for role in Role.allCases {
                    var c = try #require(fixtures[state])
                    #expect(c.status == state)
                    rule.prepare(&c)
                    let actor = try #require(Fixtures.byRole[role])
                    let result = Workflow.apply(rule.command, to: c, by: actor, at: now, policies: policies)
                    let label = "\(rule.command.name) in \(state.rawValue) by \(role.rawValue)"
                    if let next = rule.states[state], rule.roles.contains(role) {
                        allowed += 1
                        switch result {
                        case .success(let t):
                            #expect(t.letterCase.status == next, "\(label): wrong state \(t.letterCase.status)")
                            #expect(t.events.first?.kind == rule.event, "\(label): events \(t.events.map(\.kind))")
                            #expect(
                                t.events.allSatisfy {
                                    $0.caseNumber == c.number && $0.actor == actor.id && $0.at == now
                                })
                        case .failure(let refusal):
                            Issue.record("\(label) was refused: \(refusal)")
                        }
                    } else {
                        refused += 1
                        switch result {
                        case .success(let t):
                            Issue.record("\(label) was allowed (→ \(t.letterCase.status.rawValue))")
                        case .failure(let refusal):
                            #expect(!refusal.reason.isEmpty && !refusal.clause.isEmpty, "\(label)")
                            #expect(Fixtures.personalStrings.allSatisfy { !refusal.reason.contains($0) }, "\(label)")
                        }
                    }
                }
            }
        }
        let total = Self.rules.count * CaseStatus.allCases.count * Role.allCases.count
        print("workflow table: \(total) (state × command × role) pairs: \(allowed) allowed, \(refused) refused")
        #expect(allowed + refused == total)
        #expect(total == 23 * 10 * 7)
    }
}
