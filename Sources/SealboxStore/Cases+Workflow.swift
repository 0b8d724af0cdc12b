import Foundation
import GRDB
public import SealboxCore
import SealboxCrypto
import SealboxLog

extension Store {
    /// Applies a workflow command to a stored case in one transaction: opens the case with the actor's own keys,
    /// runs the engine, re-seals the document, and moves the case key where the Measures say (DESIGN §3): to the
    /// assigned departments at assignment (M3.1), away from a department that lost the case on reassignment, and to
    /// `archive` at closure, never before.
    /// - Returns: the case after the command and the events recorded.
    /// - Throws: `StoreError.noKey` when the actor holds no key for the case; `.refused` with the clause.
    @discardableResult
    public func apply(_ command: Command, to number: CaseNumber, by user: UnlockedUser, at now: Timestamp) throws
        -> (LetterCase, [CaseEvent])
    {
        try apply(command, to: number, by: user, at: now, alsoRecording: nil)
    }

    /// `apply`, writing `extra` records in the same transaction (the archive's chain record).
    @discardableResult
    func apply(
        _ command: Command, to number: CaseNumber, by user: UnlockedUser, at now: Timestamp,
        alsoRecording extra: ((Database) throws -> Void)?
    ) throws -> (LetterCase, [CaseEvent]) {
        try write { db in
            let result = try applyInTransaction(db, command, to: number, by: user, at: now)
            try extra?(db)
            try Self.signCheckpoint(db, by: user)
            return result
        }
    }

    /// One command inside the caller's transaction, without the checkpoint (the caller signs one at the end).
    func applyInTransaction(
        _ db: Database, _ command: Command, to number: CaseNumber, by user: UnlockedUser, at now: Timestamp
    ) throws -> (LetterCase, [CaseEvent]) {
        let (key, current) = try Self.loadForWrite(db, number, user)
        let prepared = try prepare(command, to: current, key: key, by: user, at: now)
        try commit(db, prepared, key: key)
        return (prepared.next, prepared.events)
    }

    /// A command's outcome worked out away from the database.
    ///
    /// The case before and after, the re-sealed document and the events. Exports prepare many in parallel and commit
    /// them in one transaction.
    struct PreparedTransition: Sendable {
        var current: LetterCase
        var next: LetterCase
        var sealed: [UInt8]
        var events: [CaseEvent]
    }

    /// Runs the engine on an opened case and seals the result; touches no database.
    /// - Throws: `StoreError.refused` with the clause.
    func prepare(
        _ command: Command, to current: LetterCase, key: SymmetricKey, by user: UnlockedUser, at now: Timestamp
    )
        throws -> PreparedTransition
    {
        switch Workflow.apply(command, to: current, by: user.actor, at: now, policies: policies) {
        case .success(let t):
            return PreparedTransition(
                current: current, next: t.letterCase, sealed: try Self.sealDocument(t.letterCase, key: key),
                events: t.events)
        case .failure(let r): throw StoreError(refusal: r)
        }
    }

    /// Writes a prepared transition: the document and clear metadata, the case key moved where the Measures say
    /// (DESIGN §3), the writer's copy of a new reply, the events.
    func commit(_ db: Database, _ prepared: PreparedTransition, key: SymmetricKey) throws {
        var frontier = try Self.frontier(db)
        try commit(db, prepared, key: key, frontier: &frontier)
        try Self.setMeta(db, "log_frontier", frontier.encoded)
    }

    /// Commits a prepared transition, appending its events to `frontier`, which the caller stores when its batch is
    /// done (an export records many cases in one transaction).
    func commit(_ db: Database, _ prepared: PreparedTransition, key: SymmetricKey, frontier: inout MerkleFrontier)
        throws
    {
        let (current, next) = (prepared.current, prepared.next)
        let number = next.number
        try Self.writeMetadata(
            db, next, sealed: prepared.sealed, indexPending: try Self.isIndexPending(db, number), insert: false,
            policies: policies)
        let before = Set(current.activeSlip?.departments ?? [])
        let after = Set(next.activeSlip?.departments ?? [])
        for department in after.subtracting(before) {
            try Self.sealCaseKey(db, number, key, to: Self.departmentGroup(department))
        }
        for department in before.subtracting(after) {
            try db.execute(
                sql: "DELETE FROM case_keys WHERE case_number = ? AND group_id = ?",
                arguments: [number.description, Self.departmentGroup(department)])
        }
        if next.status == .closed && current.status != .closed {
            try Self.sealCaseKey(db, number, key, to: "archive")
        }
        if let reply = next.reply, current.reply == nil,
            let citizen = try Data.fetchOne(
                db, sql: "SELECT citizen_box FROM cases WHERE number = ?", arguments: [number.description])
        {
            // The writer's copy of the reply, for the lookup page: sealed to the key their query code derives.
            let sealed = SealedBox.seal(Array(reply.text.value.utf8), to: try BoxPublicKey(Array(citizen)))
            try db.execute(
                sql: "UPDATE cases SET citizen_reply = ? WHERE number = ?",
                arguments: [Data(sealed), number.description])
        }
        for event in prepared.events { try Self.appendEvent(db, event, to: &frontier) }
    }

    static func isIndexPending(_ db: Database, _ number: CaseNumber) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT index_pending FROM cases WHERE number = ?"), arguments: [number.description]
        )
            ?? false
    }

    static func loadForWrite(_ db: Database, _ number: CaseNumber, _ user: UnlockedUser) throws -> (
        SymmetricKey, LetterCase
    ) {
        guard
            let sealed = try Data.fetchOne(
                db, sql: "SELECT sealed_document FROM cases WHERE number = ?", arguments: [number.description])
        else { throw StoreError(.notFound, "no case \(number)") }
        let (key, _) = try openCaseKey(db, number, for: user)
        return (key, try openDocument(Array(sealed), number: number, key: key))
    }

    /// Seals the lead department's feedback with its seal key (公章, M4.3.1): BLAKE2b-256 of the canonical
    /// feedback, signed by the department seal, then recorded through the engine.
    /// - Throws: `StoreError.noKey` when `head` does not hold the department's seal.
    @discardableResult
    public func sealFeedback(_ number: CaseNumber, by head: UnlockedUser, at now: Timestamp) throws
        -> (LetterCase, [CaseEvent])
    {
        // The role first: someone who may not seal learns nothing about the case's state.
        guard let scope = policies.scope(of: head.actor, for: .sealFeedback), scope != .none else {
            throw StoreError(.notPermitted, "\(head.id) has no role that grants case.feedback_seal")
        }
        let input: Command.SealInput = try read { db in
            let (_, c) = try Self.loadForWrite(db, number, head)
            guard let department = head.department, let feedback = c.feedback else {
                throw StoreError(.refused, "there is no unsealed feedback draft to seal", clause: "M4.3.1")
            }
            let secret = try Self.openGroupSecret(db, Self.departmentGroup(department), for: head)
            guard let seed = secret.seal else {
                throw StoreError(.noKey, "\(head.id) does not hold the seal of \(department)")
            }
            let seal = try SigningSecretKey(seed: seed)
            let digest = try Self.feedbackDigest(feedback, number: number)
            return Command.SealInput(
                keyID: "\(department):\(Hex.encode(seal.publicKey.bytes.prefix(8)))", digest: Hex.encode(digest),
                signature: Base64.encode(seal.signature(for: digest)))
        }
        return try apply(.sealFeedback(input), to: number, by: head, at: now)
    }

    /// The digest the department seal signs: BLAKE2b-256 over the case number and the feedback's canonical JSON
    /// (`CanonicalJSON.unsealedFeedback`).
    static func feedbackDigest(_ feedback: Feedback, number: CaseNumber) throws -> [UInt8] {
        // Hashed where it was written, not copied after the prefix: the canonical text is personal data, wiped after.
        var canonical = CanonicalJSON.unsealedFeedback(feedback)
        defer { SecureBytes.wipe(&canonical) }
        let hasher = try BLAKE2b(outputCount: 32)
        hasher.update(Array("sealbox-feedback-v1|\(number)|".utf8))
        hasher.update(canonical)
        return hasher.finalize()
    }

    /// Verifies the 公章 on a case's feedback against the department's seal public key.
    public func verifySeal(of c: LetterCase) throws -> Bool {
        try verifySeal(of: c, keys: sealPublicKey)
    }

    /// Verifies the 公章 with the seal public key `keys` gives for the sealing department (an export looks each
    /// department up once, not once a case).
    func verifySeal(of c: LetterCase, keys: (DepartmentID) throws -> SigningPublicKey) throws -> Bool {
        guard let feedback = c.feedback, let seal = feedback.seal, let signature = Base64.decode(seal.signature) else {
            return false
        }
        let digest = try Self.feedbackDigest(feedback, number: c.number)
        guard Hex.encode(digest) == seal.digest else { return false }
        return try keys(seal.department).isValidSignature(signature, for: digest)
    }

    // MARK: - Reading

    /// Reads a case with its personal data, behind two locks (DESIGN §1.2).
    ///
    /// The role policy first (deny by default, scope), then a key the reader really holds. Each read is recorded as an event with the reader and the purpose.
    /// - Throws: `StoreError.notPermitted` (policy), `.noKey` (keys), `.notFound`.
    public func read(_ number: CaseNumber, purpose: String, by user: UnlockedUser, at now: Timestamp) throws
        -> LetterCase
    {
        let access = try readAccess(purpose: purpose, by: user)
        return try write { db in
            let c = try readInTransaction(db, number, purpose: purpose, access: access, by: user, at: now)
            try Self.signCheckpoint(db, by: user)
            return c
        }
    }

    /// How `user` may read personal data: the scope, and whether only as an archivist (closed cases).
    struct ReadAccess {
        var scope: Scope
        var archiving: Bool
    }

    /// The policy half of a read (M6.2): refuses a user without the permission, or a read without a purpose.
    func readAccess(purpose: String, by user: UnlockedUser) throws -> ReadAccess {
        let actor = user.actor
        let archiving =
            policies.scope(of: actor, for: .archive) != nil && policies.scope(of: actor, for: .readPersonal) == nil
        let scope = policies.scope(of: actor, for: archiving ? .archive : .readPersonal)
        guard let scope, scope != .none else {
            throw StoreError(.notPermitted, "\(user.id) may not read personal data")
        }
        guard !purpose.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StoreError(.invalidInput, "say why you read this case (--purpose)")
        }
        return ReadAccess(scope: scope, archiving: archiving)
    }

    /// One read inside the caller's transaction: scope, then the key, then the `case.read` event (no checkpoint).
    func readInTransaction(
        _ db: Database, _ number: CaseNumber, purpose: String, access: ReadAccess, by user: UnlockedUser,
        at now: Timestamp
    ) throws -> LetterCase {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT status, sealed_document FROM cases WHERE number = ?", arguments: [number.description])
        else { throw StoreError(.notFound, "no case \(number)") }
        let status = CaseStatus(rawValue: row["status"]) ?? .registered
        if access.archiving && status != .closed && status != .archived {
            throw StoreError(.notPermitted, "an archivist opens closed cases only (M6.1.3)")
        }
        if access.scope == .department || access.scope == .handler {
            let departments = try String.fetchAll(
                db, sql: "SELECT department FROM case_departments WHERE case_number = ?",
                arguments: [number.description])
            guard let mine = user.department, departments.contains(mine.rawValue) else {
                throw StoreError(.notPermitted, "case \(number) is not assigned to your department")
            }
        }
        let (key, _) = try Self.openCaseKey(db, number, for: user)
        let c = try Self.openDocument(Array(row["sealed_document"] as Data), number: number, key: key)
        if access.scope == .handler && c.handler != user.id {
            throw StoreError(.notPermitted, "only the named handler reads case \(number)")
        }
        try Self.appendEvent(
            db, CaseEvent(kind: "case.read", caseNumber: number, actor: user.id, at: now, details: ["purpose": purpose])
        )
        return c
    }

    /// Lists cases by clear metadata only; needs no key (`case.read_metadata`).
    public func list(status: CaseStatus? = nil, department: DepartmentID? = nil, by actor: Actor) throws
        -> [CaseSummary]
    {
        guard policies.scope(of: actor, for: .readMetadata) != nil else {
            throw StoreError(.notPermitted, "\(actor.id) may not list cases")
        }
        return try read { db in
            var sql = "SELECT * FROM cases WHERE 1 = 1"
            var args: [any DatabaseValueConvertible] = []
            if let status {
                sql += " AND status = ?"
                args.append(status.rawValue)
            }
            if let department {
                sql += " AND number IN (SELECT case_number FROM case_departments WHERE department = ?)"
                args.append(department.rawValue)
            }
            sql += " ORDER BY year, serial"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                CaseSummary(
                    number: try CaseNumber(parsing: row["number"] as String),
                    channel: Channel(rawValue: row["channel"]) ?? .other,
                    status: CaseStatus(rawValue: row["status"]) ?? .registered,
                    priority: Priority(rawValue: row["priority"]) ?? .general, category: row["category"],
                    restricted: row["restricted"],
                    leadDepartment: (row["lead_department"] as String?).map { DepartmentID($0) },
                    deadline: try (row["deadline"] as String?).map { try CivilDate(parsing: $0) },
                    receivedAt: Timestamp(secondsSinceEpoch: row["received_at"]), retention: row["retention"])
            }
        }
    }
}

extension Store {
    /// The cases that need attention on `today` (M5.1.1), from the clear tracking metadata.
    ///
    /// No case is opened, so tracking needs no key and logs no read.
    /// - Throws: `StoreError.notPermitted` without `case.read_metadata`; `CoreError` when a date has no calendar.
    public func track(on today: CivilDate, by user: UnlockedUser, at now: Timestamp) throws -> [Tracking.Item] {
        guard policies.scope(of: user.actor, for: .readMetadata) != nil else {
            throw StoreError(.notPermitted, "\(user.id) may not track cases")
        }
        let inputs: [Tracking.Inputs] = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT number, status, priority, lead_department, deadline, sign_for_due, lead_signed_for,
                    last_progress, supervised FROM cases
                    WHERE status IN ('assigned', 'accepted', 'in_progress', 'returned') AND deadline IS NOT NULL
                    ORDER BY year, serial
                    """
            ).map { row in
                let deadline: String = row["deadline"]
                return Tracking.Inputs(
                    number: try CaseNumber(parsing: row["number"] as String),
                    status: CaseStatus(rawValue: row["status"]) ?? .assigned,
                    priority: Priority(rawValue: row["priority"]) ?? .general,
                    lead: DepartmentID((row["lead_department"] as String?) ?? ""),
                    deadline: try CivilDate(parsing: deadline),
                    signForDue: try CivilDate(parsing: (row["sign_for_due"] as String?) ?? deadline),
                    leadSignedFor: row["lead_signed_for"],
                    lastProgress: try CivilDate(parsing: (row["last_progress"] as String?) ?? deadline),
                    isSupervised: row["supervised"])
            }
        }
        return try Tracking.attention(inputs, on: today, policies: policies)
    }
}

extension Store {
    /// Whether a case is restricted (M6.2.2), from its clear metadata.
    ///
    /// Lets the CLI ask for the passphrase again before revealing a restricted sender; `false` for an unknown case
    /// (the read then reports it).
    public func isRestricted(_ number: CaseNumber) throws -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT restricted FROM cases WHERE number = ?", arguments: [number.description])
                ?? false
        }
    }
}
