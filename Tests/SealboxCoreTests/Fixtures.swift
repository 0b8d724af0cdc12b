import Foundation
import SealboxCore

/// Shared fixtures: the real `Policies/` folder, dates, actors, and a case driven along the happy path.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Every file under `Policies/`, keyed by its path relative to that folder.
    static func policyFiles() throws -> [String: String] {
        let folder = root.appendingPathComponent("Policies")
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let path = enumerator?.nextObject() as? String {
            guard path.hasSuffix(".toml") else { continue }
            files[path] = try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
        }
        return files
    }

    static func policies() throws -> Policies { try Policies.load(files: policyFiles()) }

    static func date(_ text: String) -> CivilDate {
        // Test literals are valid dates.
        guard let d = try? CivilDate(parsing: text) else { fatalError("bad test date \(text)") }
        return d
    }

    static func at(_ text: String, _ hour: Int = 10) -> Timestamp { Timestamp(date(text), hour: hour) }

    static let clerk = Actor(id: "clerk.li", roles: [.clerk])
    static let reviewer = Actor(id: "reviewer.chen", roles: [.reviewer])
    static let handler = Actor(id: "handler.wang", roles: [.handler], department: "transport")
    static let head = Actor(id: "head.zhao", roles: [.departmentHead], department: "transport")
    static let coHead = Actor(id: "head.sun", roles: [.departmentHead], department: "housing")
    static let coHandler = Actor(id: "handler.zhou", roles: [.handler], department: "housing")
    static let otherHead = Actor(id: "head.qian", roles: [.departmentHead], department: "health")
    static let archivist = Actor(id: "archivist.he", roles: [.archivist])
    static let auditor = Actor(id: "auditor.ma", roles: [.auditor])
    static let admin = Actor(id: "admin.root", roles: [.administrator])

    /// One actor per role, department staff in the lead department `transport`.
    static let byRole: [Role: Actor] = [
        .clerk: clerk, .reviewer: reviewer, .handler: handler, .departmentHead: head, .archivist: archivist,
        .auditor: auditor, .administrator: admin,
    ]

    /// Strings of personal data used in fixtures: no event may contain any of them.
    static let personalStrings = [
        "張三", "13800138000", "110101199003071234", "路燈不亮", "中山路", "198.51.100.7", "調查", "意見", "結果",
        "答覆", "整改", "延期理由", "聯繫", "進展",
    ]

    static func letter(anonymous: Bool = false, received: Timestamp = at("2026-03-02", 9)) -> Letter {
        Letter(
            channel: anonymous ? .website : .hotline, receivedAt: received,
            sender: anonymous
                ? Sender(anonymousIdentifier: "198.51.100.7")
                : Sender(name: "張三", contact: "13800138000", idNumber: "110101199003071234"),
            subject: "中山路路燈不亮", content: "中山路一帶路燈不亮已有兩週。")
    }

    static let seal = Command.SealInput(keyID: "transport-seal-1", digest: "ab12", signature: "c2lnbmF0dXJl")

    /// Unwraps a transition or fails loudly with the refusal.
    static func ok(_ result: Result<Transition, Refusal>, file: StaticString = #file, line: UInt = #line)
        -> Transition
    {
        switch result {
        case .success(let t): return t
        case .failure(let refusal): fatalError("refused: \(refusal)", file: file, line: line)
        }
    }

    /// Drives a fresh case to `target` along the happy path (joint when `co` is set), starting on `start`.
    static func caseIn(
        _ target: CaseStatus, policies: Policies, serial: Int = 1, start: String = "2026-03-02",
        co: [DepartmentID] = [], priority: Priority = .general
    ) throws -> LetterCase {
        let number = try CaseNumber(year: 2026, serial: serial)
        var now = at(start, 9)
        var c = ok(
            Workflow.register(
                number: number, letter: letter(received: now), priority: priority, by: clerk, at: now,
                policies: policies)
        ).letterCase
        func step(_ command: Command, _ actor: Actor, hours: Int64 = 1) {
            now = Timestamp(secondsSinceEpoch: now.secondsSinceEpoch + hours * 3600)
            c = ok(Workflow.apply(command, to: c, by: actor, at: now, policies: policies)).letterCase
        }
        if target == .registered { return c }
        step(.assign(.init(lead: "transport", coDepartments: co, matter: "路燈維修", requirements: "查明原因並修復")), clerk)
        if target == .assigned { return c }
        step(.signFor(handler: handler.id), head)
        for department in co {
            let coHeadActor = Actor(id: UserID("head.\(department)"), roles: [.departmentHead], department: department)
            step(.signFor(handler: UserID("handler.\(department)")), coHeadActor)
            step(.contribute(text: "協辦意見"), coHeadActor)
        }
        if target == .accepted { return c }
        step(.startHandling, handler)
        if target == .inProgress { return c }
        step(.draftFeedback(investigation: "調查", opinion: "意見", result: "結果", senderSatisfaction: .satisfied), handler)
        step(.sealFeedback(seal), head)
        if target == .feedbackSubmitted { return c }
        if target == .returned {
            step(.review(approve: false, reasons: "調查不充分"), reviewer)
            return c
        }
        step(.review(approve: true, reasons: nil), reviewer)
        if target == .approved { return c }
        step(.reply(text: "答覆", method: .phone), clerk)
        if target == .replied { return c }
        step(.close, clerk)
        if target == .closed { return c }
        step(.archive(package: "seq-1"), archivist)
        return c
    }
}
