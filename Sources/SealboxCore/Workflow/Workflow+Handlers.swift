/// One command's work on a case: the mutable case, the events so far, and the rules of each command.
struct Context {
    var letterCase: LetterCase
    let actor: Actor
    let now: Timestamp
    let policies: Policies
    var events: [CaseEvent] = []

    var today: CivilDate { policies.localDate(now) }

    mutating func emit(_ kind: String, _ details: [String: String] = [:]) {
        events.append(CaseEvent(kind: kind, caseNumber: letterCase.number, actor: actor.id, at: now, details: details))
    }

    func refuse(_ kind: Refusal.Kind, _ reason: String, _ clause: String) -> Refusal {
        Refusal(kind, reason, clause: clause)
    }

    func deadline(_ days: Int, from start: CivilDate, clause: String) throws(Refusal) -> Deadline {
        do { return try policies.calendar.adding(workingDays: days, to: start) } catch {
            throw refuse(.ruleViolated, error.message, clause)
        }
    }

    mutating func perform(_ command: Command) throws(Refusal) {
        switch command {
        case .answerOnSpot(let text, let method):
            try requireText(text, "the answer", "M4.1.3")
            letterCase.reply = Reply(by: actor.id, at: now, text: text, method: method, onTheSpot: true)
            letterCase.status = .replied
            emit("case.answered_on_spot", ["method": method.rawValue])
        case .assign(let order):
            try assign(order, reassignment: false)
        case .reassign(let order, let reason):
            try requireText(reason, "a reason for reassignment", "M3.1.1")
            try assign(order, reassignment: true)
        case .signFor(let handler):
            try signFor(handler: handler)
        case .startHandling:
            letterCase.status = .inProgress
            emit("case.handling_started")
        case .recordContact(let method, let summary):
            try requireText(summary, "a summary of the contact", "M4.1.2")
            letterCase.contacts.append(ContactRecord(by: actor.id, at: now, method: method, summary: summary))
            if letterCase.status == .accepted { letterCase.status = .inProgress }
            emit("sender.contacted", ["method": method.rawValue])
        case .reportProgress(let note, let expected):
            try reportProgress(note: note, expected: expected)
        case .requestExtension(let days, let reason):
            try requestExtension(days: days, reason: reason)
        case .decideExtension(let approve, let notice):
            try decideExtension(approve: approve, notice: notice)
        case .contribute(let text):
            try contribute(text)
        case .draftFeedback(let investigation, let opinion, let result, let satisfaction):
            for (text, what) in [
                (investigation, "the investigation"), (opinion, "the handling opinion"), (result, "the result"),
            ] {
                try requireText(text, what, "M4.3.2")
            }
            letterCase.feedback = Feedback(
                investigation: investigation, opinion: opinion, result: result, senderSatisfaction: satisfaction,
                draftedBy: actor.id, draftedAt: now, seal: nil)
            emit("feedback.drafted", satisfaction.map { ["sender_satisfaction": $0.rawValue] } ?? [:])
        case .sealFeedback(let seal):
            try sealFeedback(seal)
        case .review(let approve, let reasons):
            try review(approve: approve, reasons: reasons)
        case .reply(let text, let method):
            try requireText(text, "the reply", "M4.3.3")
            letterCase.reply = Reply(by: actor.id, at: now, text: text, method: method, onTheSpot: false)
            letterCase.status = .replied
            emit("case.replied", ["method": method.rawValue])
        case .recordSatisfaction(let satisfaction):
            letterCase.satisfaction = satisfaction
            emit("satisfaction.recorded", ["satisfaction": satisfaction.rawValue])
        case .close:
            guard letterCase.openSupervisions.isEmpty else {
                throw refuse(.ruleViolated, "close the open supervision first", "M5.2.3")
            }
            letterCase.status = .closed
            letterCase.closedAt = now
            emit("case.closed", ["satisfaction": letterCase.satisfaction?.rawValue ?? "unknown"])
        case .restrict:
            guard !letterCase.isRestricted else {
                throw refuse(.ruleViolated, "the case is already restricted", "M6.2.2")
            }
            letterCase.isRestricted = true
            emit("case.restricted")
        case .remind(let reason):
            try remind(reason: reason)
        case .openSupervision(let reason, let method):
            try openSupervision(reason: reason, method: method)
        case .issueSupervisionNotice(let text):
            try requireText(text, "the notice", "M5.2.2")
            let index = try openSupervisionIndex()
            guard letterCase.supervisions[index].notice == nil else {
                throw refuse(.ruleViolated, "the supervision notice was already issued", "M5.2.2")
            }
            letterCase.supervisions[index].notice = .init(by: actor.id, at: now, text: text)
            emit("supervision.notice_issued", ["supervision": letterCase.supervisions[index].number])
        case .reportRectification(let text):
            try requireText(text, "the rectification report", "M5.2.3")
            let index = try openSupervisionIndex()
            guard letterCase.supervisions[index].notice != nil else {
                throw refuse(.ruleViolated, "no supervision notice has been issued yet", "M5.2.2")
            }
            letterCase.supervisions[index].rectification = .init(by: actor.id, at: now, text: text)
            let due = letterCase.supervisions[index].rectificationDue
            emit(
                "supervision.rectification_reported",
                ["supervision": letterCase.supervisions[index].number, "on_time": "\(today <= due)"])
        case .closeSupervision:
            let index = try openSupervisionIndex()
            guard letterCase.supervisions[index].rectification != nil else {
                throw refuse(.ruleViolated, "the department has not reported its rectification", "M5.2.3")
            }
            letterCase.supervisions[index].closedBy = actor.id
            letterCase.supervisions[index].closedAt = now
            emit("supervision.closed", ["supervision": letterCase.supervisions[index].number])
        case .archive(let package):
            guard !package.isEmpty else {
                throw refuse(.invalidInput, "an archive package reference is needed", "M6.1.1")
            }
            letterCase.status = .archived
            letterCase.archivedAt = now
            letterCase.archivePackage = package
            emit("case.archived", ["package": package])
        }
    }

    func requireText(_ text: Personal<String>?, _ what: String, _ clause: String) throws(Refusal) {
        guard let text, !text.value.allSatisfy(\.isWhitespace) else {
            throw refuse(.invalidInput, "\(what) is missing", clause)
        }
    }

    func openSupervisionIndex() throws(Refusal) -> Int {
        guard let index = letterCase.supervisions.lastIndex(where: \.isOpen) else {
            throw refuse(.ruleViolated, "no supervision is open on this case", "M5.2.1")
        }
        return index
    }
}
