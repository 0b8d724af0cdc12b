/// The rules of the commands that do more than record: assignment, sign-for, progress, extension, joint
/// handling, the seal, review, reminders and supervision.
extension Context {
    /// Enforces M3.1.1–M3.1.2 (slip with matter, requirements, deadline), M3.2.1 (joint), M3.2.2 / M4.2.3
    /// (urgent deadline), and keeps history on reassignment.
    mutating func assign(_ order: Command.Assignment, reassignment: Bool) throws(Refusal) {
        try requireText(order.matter, "the matter", "M3.1.2")
        try requireText(order.requirements, "the requirements", "M3.1.2")
        guard !order.coDepartments.contains(order.lead), Set(order.coDepartments).count == order.coDepartments.count
        else { throw refuse(.invalidInput, "co-departments must differ from the lead and each other", "M3.2.1") }
        if reassignment, letterCase.activeSlip?.lead == order.lead,
            letterCase.activeSlip?.coDepartments == order.coDepartments
        {
            throw refuse(.invalidInput, "reassignment must change the departments", "M3.1.1")
        }
        if let priority = order.priority { letterCase.priority = priority }
        let days = letterCase.priority == .urgent ? policies.deadlines.urgent : policies.deadlines.general
        let due = try deadline(days, from: today, clause: letterCase.priority == .urgent ? "M4.2.3" : "M4.2.1")
        let signForDue = try deadline(policies.deadlines.signFor, from: today, clause: "M3.1.3")
        var previous: String?
        for index in letterCase.slips.indices where letterCase.slips[index].isActive {
            letterCase.slips[index].isActive = false
            previous = letterCase.slips[index].number
        }
        let slip = AssignmentSlip(
            number: "JB-\(letterCase.number)-\(letterCase.slips.count + 1)", lead: order.lead,
            coDepartments: order.coDepartments, matter: order.matter, requirements: order.requirements,
            issuedBy: actor.id, issuedAt: now, deadline: due.due, deadlineExplanation: due.description,
            signForDue: signForDue.due, priority: letterCase.priority, isActive: true)
        letterCase.slips.append(slip)
        letterCase.feedback = nil
        letterCase.status = .assigned
        var details = [
            "slip": slip.number, "lead": order.lead.rawValue, "deadline": "\(due.due)",
            "sign_for_due": "\(signForDue.due)", "priority": letterCase.priority.rawValue,
        ]
        if !order.coDepartments.isEmpty {
            details["co_departments"] = order.coDepartments.map(\.rawValue).joined(separator: ",")
        }
        if let previous { details["supersedes"] = previous }
        emit(reassignment ? "case.reassigned" : "case.assigned", details)
    }

    /// Enforces M3.1.3: a department on the slip signs for it once and names a dedicated handler.
    mutating func signFor(handler: UserID) throws(Refusal) {
        guard let slip = letterCase.activeSlip, let department = actor.department else {
            throw refuse(.outOfScope, "only a department on the slip signs for it", "M3.1.3")
        }
        guard !letterCase.hasSignedFor(department) else {
            throw refuse(.ruleViolated, "\(department) has already signed for \(slip.number)", "M3.1.3")
        }
        if department == slip.lead && letterCase.status != .assigned {
            throw refuse(.wrongState, "the lead department signs for an assigned case", "M3.1.3")
        }
        guard !handler.rawValue.isEmpty else { throw refuse(.invalidInput, "name the dedicated handler", "M3.1.3") }
        letterCase.signFors.append(
            SignFor(department: department, handler: handler, signedBy: actor.id, at: now, slipNumber: slip.number))
        if department == slip.lead { letterCase.status = .accepted }
        emit(
            "case.signed_for",
            [
                "slip": slip.number, "department": department.rawValue, "handler": handler.rawValue,
                "on_time": "\(today <= slip.signForDue)",
            ])
    }

    /// Enforces M3.2.2 (urgent progress) and M4.1.3 (telling the sender the expected completion date).
    mutating func reportProgress(note: Personal<String>, expected: CivilDate?) throws(Refusal) {
        try requireText(note, "the progress note", "M3.2.2")
        if let expected, expected < today {
            throw refuse(.invalidInput, "the expected completion date is in the past", "M4.1.3")
        }
        letterCase.progress.append(ProgressReport(by: actor.id, at: now, note: note, expectedCompletion: expected))
        if letterCase.status == .accepted { letterCase.status = .inProgress }
        var details = ["count": "\(letterCase.progress.count)"]
        if let expected { details["expected_completion"] = "\(expected)" }
        emit("progress.reported", details)
        if expected != nil { emit("sender.informed", ["about": "progress"]) }
    }

    /// Enforces M4.2.2: one pending request at a time, a reason, and the cap on the total.
    mutating func requestExtension(days: Int, reason: Personal<String>) throws(Refusal) {
        try requireText(reason, "the reason for the extension", "M4.2.2")
        guard days > 0 else { throw refuse(.invalidInput, "ask for at least one working day", "M4.2.2") }
        guard letterCase.pendingExtension == nil else {
            throw refuse(.ruleViolated, "an extension request is already awaiting a decision", "M4.2.2")
        }
        try checkCap(adding: days)
        letterCase.extensions.append(
            ExtensionRequest(requestedBy: actor.id, at: now, workingDays: days, reason: reason, decision: nil))
        emit("extension.requested", ["working_days": "\(days)"])
    }

    /// The total from the slip's issue to the extended deadline may not pass the cap (M4.2.2).
    func checkCap(adding days: Int) throws(Refusal) {
        guard let slip = letterCase.activeSlip else { throw refuse(.wrongState, "the case is not assigned", "M4.2.2") }
        let start = policies.localDate(slip.issuedAt)
        let extended = try deadline(days, from: slip.deadline, clause: "M4.2.2").due
        let total: Int
        do { total = try policies.calendar.workingDays(from: start, to: extended) } catch {
            throw refuse(.ruleViolated, error.message, "M4.2.2")
        }
        guard total <= policies.deadlines.maximumWithExtension else {
            throw refuse(
                .ruleViolated,
                "\(days) more working days would make \(total), over the cap of \(policies.deadlines.maximumWithExtension)",
                "M4.2.2")
        }
    }

    /// Enforces M4.2.2: an approved extension moves the deadline and the sender is told why.
    mutating func decideExtension(approve: Bool, notice: Personal<String>?) throws(Refusal) {
        guard let index = letterCase.extensions.lastIndex(where: { $0.decision == nil }) else {
            throw refuse(.ruleViolated, "no extension request is awaiting a decision", "M4.2.2")
        }
        let request = letterCase.extensions[index]
        var newDeadline: CivilDate?
        if approve {
            try requireText(notice, "the notice telling the sender why the letter is extended", "M4.2.2")
            try checkCap(adding: request.workingDays)
            guard let slipIndex = letterCase.slips.lastIndex(where: \.isActive) else {
                throw refuse(.wrongState, "the case is not assigned", "M4.2.2")
            }
            let due = try deadline(request.workingDays, from: letterCase.slips[slipIndex].deadline, clause: "M4.2.2")
            letterCase.slips[slipIndex].deadline = due.due
            letterCase.slips[slipIndex].deadlineExplanation += "; extended by \(due.description)"
            newDeadline = due.due
        }
        letterCase.extensions[index].decision = .init(
            approved: approve, by: actor.id, at: now, newDeadline: newDeadline, senderNotice: notice)
        if let newDeadline {
            emit("extension.approved", ["working_days": "\(request.workingDays)", "deadline": "\(newDeadline)"])
            emit("sender.notified", ["about": "extension"])
        } else {
            emit("extension.refused", ["working_days": "\(request.workingDays)"])
        }
    }

    /// Enforces M3.2.1: each co-department signs for the slip and contributes once per slip.
    mutating func contribute(_ text: Personal<String>) throws(Refusal) {
        try requireText(text, "the contribution", "M3.2.1")
        guard let slip = letterCase.activeSlip, let department = actor.department,
            slip.coDepartments.contains(department)
        else { throw refuse(.outOfScope, "only a co-department contributes", "M3.2.1") }
        guard letterCase.hasSignedFor(department) else {
            throw refuse(.ruleViolated, "\(department) must sign for the slip first", "M3.1.3")
        }
        guard !contributed(department, slip) else {
            throw refuse(.ruleViolated, "\(department) has already contributed to \(slip.number)", "M3.2.1")
        }
        letterCase.contributions.append(Contribution(department: department, by: actor.id, at: now, text: text))
        emit("contribution.submitted", ["department": department.rawValue, "slip": slip.number])
    }

    func contributed(_ department: DepartmentID, _ slip: AssignmentSlip) -> Bool {
        letterCase.contributions.contains { $0.department == department && $0.at >= slip.issuedAt }
    }

    /// Enforces M4.3.1 (the seal of the lead department, applied by its head) and M3.2.1 (the consolidated
    /// feedback waits for every co-department).
    mutating func sealFeedback(_ seal: Command.SealInput) throws(Refusal) {
        guard var feedback = letterCase.feedback, feedback.seal == nil else {
            throw refuse(.ruleViolated, "there is no unsealed feedback draft to seal", "M4.3.1")
        }
        guard let slip = letterCase.activeSlip, actor.department == slip.lead else {
            throw refuse(.outOfScope, "only the lead department seals the feedback", "M4.3.1")
        }
        let missing = slip.coDepartments.filter { !contributed($0, slip) }
        guard missing.isEmpty else {
            throw refuse(
                .ruleViolated, "waiting for contributions from \(missing.map(\.rawValue).joined(separator: ", "))",
                "M3.2.1")
        }
        guard !seal.keyID.isEmpty, !seal.digest.isEmpty, !seal.signature.isEmpty else {
            throw refuse(.invalidInput, "the seal needs a key id, a digest and a signature", "M4.3.1")
        }
        feedback.seal = DepartmentSeal(
            department: slip.lead, sealedBy: actor.id, at: now, keyID: seal.keyID, digest: seal.digest,
            signature: seal.signature)
        letterCase.feedback = feedback
        letterCase.status = .feedbackSubmitted
        emit(
            "feedback.sealed",
            [
                "department": slip.lead.rawValue, "seal_key": seal.keyID, "digest": seal.digest,
                "on_time": "\(today <= slip.deadline)",
            ])
    }

    /// Enforces M4.3.3 (approve, or return with reasons) and M5.2.1 (returned feedback can open supervision).
    mutating func review(approve: Bool, reasons: Personal<String>?) throws(Refusal) {
        if !approve { try requireText(reasons, "the reasons for returning the feedback", "M4.3.3") }
        letterCase.reviews.append(Review(approved: approve, reasons: approve ? nil : reasons, by: actor.id, at: now))
        let round = "\(letterCase.reviews.count)"
        if approve {
            letterCase.status = .approved
            emit("feedback.approved", ["round": round])
            return
        }
        if let feedback = letterCase.feedback { letterCase.feedbackHistory.append(feedback) }
        letterCase.feedback = nil
        letterCase.status = .returned
        emit("feedback.returned", ["round": round])
        if policies.superviseOnReturn && letterCase.openSupervisions.isEmpty {
            try openSupervision(reason: .returnedFeedback, method: .written)
        }
    }

    /// Enforces M5.1.2: reminders go to a department whose letter is near or past its deadline.
    mutating func remind(reason: String) throws(Refusal) {
        guard let slip = letterCase.activeSlip else { throw refuse(.wrongState, "the case is not assigned", "M5.1.2") }
        let known = ["due_soon", "overdue", "progress_overdue", "sign_for_overdue", "manual"]
        guard known.contains(reason) else {
            throw refuse(.invalidInput, "reason must be one of \(known.joined(separator: ", "))", "M5.1.2")
        }
        letterCase.reminders.append(Reminder(by: actor.id, at: now, department: slip.lead, reason: reason))
        emit("reminder.sent", ["department": slip.lead.rawValue, "reason": reason, "deadline": "\(slip.deadline)"])
    }

    /// Enforces M5.2.1–M5.2.3: one open supervision at a time, with a rectification deadline.
    mutating func openSupervision(reason: Supervision.Reason, method: Supervision.Method) throws(Refusal) {
        guard let slip = letterCase.activeSlip else { throw refuse(.wrongState, "the case is not assigned", "M5.2.1") }
        guard letterCase.openSupervisions.isEmpty else {
            throw refuse(.ruleViolated, "a supervision is already open on this case", "M5.2.1")
        }
        if reason == .overdue && today <= slip.deadline {
            throw refuse(.ruleViolated, "the case is not overdue (deadline \(slip.deadline))", "M5.2.1")
        }
        let due = try deadline(policies.deadlines.rectification, from: today, clause: "M5.2.3")
        let supervision = Supervision(
            number: "DB-\(letterCase.number)-\(letterCase.supervisions.count + 1)", department: slip.lead,
            reason: reason, method: method, openedBy: actor.id, openedAt: now, rectificationDue: due.due)
        letterCase.supervisions.append(supervision)
        emit(
            "supervision.opened",
            [
                "supervision": supervision.number, "department": slip.lead.rawValue, "reason": reason.rawValue,
                "method": method.rawValue, "rectification_due": "\(due.due)",
            ])
    }
}
