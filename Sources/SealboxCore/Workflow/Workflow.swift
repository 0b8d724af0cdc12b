/// The Measures as a state machine: every command is a function of (case, actor, command, now, policies) that
/// returns the new case and the events to record, or a refusal naming the clause it enforces (DESIGN §5).
public enum Workflow {
    /// Registers a letter (M2.2.1–M2.2.3).
    ///
    /// - Parameters:
    ///   - number: the next gapless number for the year (the store allocates it).
    ///   - letter: the letter as received.
    ///   - category: an optional category.
    ///   - priority: general or urgent.
    ///   - restricted: restricted readers from the start (M6.2.2).
    ///   - actor: who registers.
    ///   - now: the time.
    ///   - policies: the policies.
    /// - Returns: the new case and its `case.registered` event, or a refusal.
    public static func register(
        number: CaseNumber, letter: Letter, category: String? = nil, priority: Priority = .general,
        restricted: Bool = false, by actor: Actor, at now: Timestamp, policies: Policies
    ) -> Result<Transition, Refusal> {
        guard policies.scope(of: actor, for: .register) != nil else {
            return .failure(Refusal(.notPermitted, "\(actor.id) may not register letters", clause: "DESIGN§4"))
        }
        guard !letter.subject.value.isEmpty, !letter.content.value.isEmpty else {
            return .failure(Refusal(.invalidInput, "a letter needs a subject and content", clause: "M2.2.1"))
        }
        if letter.sender.isAnonymous && (letter.sender.anonymousIdentifier?.value.isEmpty ?? true) {
            return .failure(
                Refusal(
                    .invalidInput, "an anonymous letter needs its IP address or another identifier to follow it up",
                    clause: "M2.2.2"))
        }
        guard number.year == policies.localDate(letter.receivedAt).year || number.year == policies.localDate(now).year
        else {
            return .failure(Refusal(.invalidInput, "the number's year must be the year of receipt", clause: "M2.2.3"))
        }
        let letterCase = LetterCase(
            number: number, letter: letter, registeredBy: actor.id, registeredAt: now, category: category,
            priority: priority, isRestricted: restricted, retention: policies.defaultRetention)
        var details = [
            "channel": letter.channel.rawValue, "priority": priority.rawValue, "received": "\(letter.receivedAt)",
            "anonymous": "\(letter.sender.isAnonymous)", "attachments": "\(letter.attachments.count)",
        ]
        if let category { details["category"] = category }
        if restricted { details["restricted"] = "true" }
        let event = CaseEvent(kind: "case.registered", caseNumber: number, actor: actor.id, at: now, details: details)
        return .success(Transition(letterCase: letterCase, events: [event]))
    }

    /// Applies `command` to `letterCase`.
    ///
    /// Checks, in order: the actor's roles grant the permission (deny by default); the case is in a state
    /// where the command applies; the actor's scope reaches the case; the rules of the Measures.
    /// - Returns: the new case and its events, or a refusal with the clause it enforces.
    public static func apply(
        _ command: Command, to letterCase: LetterCase, by actor: Actor, at now: Timestamp, policies: Policies
    ) -> Result<Transition, Refusal> {
        guard let scope = policies.scope(of: actor, for: command.permission) else {
            return .failure(
                Refusal(
                    .notPermitted, "\(actor.id) has no role that grants \(command.permission.rawValue)",
                    clause: "DESIGN§4"))
        }
        guard command.allowedStates.contains(letterCase.status) else {
            return .failure(
                Refusal(
                    .wrongState, "\(command.name) does not apply to a case that is \(letterCase.status.rawValue)",
                    clause: "DESIGN§5"))
        }
        if let refusal = checkScope(scope, of: actor, for: command, on: letterCase) { return .failure(refusal) }
        var context = Context(letterCase: letterCase, actor: actor, now: now, policies: policies)
        do {
            try context.perform(command)
        } catch {
            return .failure(error)
        }
        return .success(Transition(letterCase: context.letterCase, events: context.events))
    }

    /// Whether the actor's scope reaches the case for this command.
    static func checkScope(_ scope: Scope, of actor: Actor, for command: Command, on c: LetterCase) -> Refusal? {
        let departments = c.activeSlip?.departments ?? []
        switch scope {
        case .office:
            return nil
        case .none:
            return Refusal(.outOfScope, "\(actor.id)'s role reaches no case", clause: "DESIGN§4")
        case .department:
            // Rectification is reported by the supervised department; everything else by a department on the slip.
            if case .reportRectification = command, let open = c.openSupervisions.last {
                return actor.department == open.department
                    ? nil
                    : Refusal(.outOfScope, "only the supervised department reports rectification", clause: "M5.2.3")
            }
            guard let department = actor.department, departments.contains(department) else {
                return Refusal(
                    .outOfScope, "the case is not assigned to \(actor.department?.rawValue ?? "your department")",
                    clause: "M3.1.1")
            }
            return nil
        case .handler:
            if case .contribute = command {
                guard let department = actor.department, c.activeSlip?.coDepartments.contains(department) == true else {
                    return Refusal(.outOfScope, "only a co-department contributes", clause: "M3.2.1")
                }
                return nil
            }
            guard let handler = c.handler, handler == actor.id else {
                return Refusal(
                    .outOfScope, "only the named handler of the lead department may do this", clause: "M3.1.3")
            }
            return nil
        }
    }
}
