import Foundation
import GRDB
import SealboxCore
import SealboxCrypto

@testable import SealboxStore

/// A store in a temporary folder with the office, two departments, and one user per role, all unlocked.
final class StoreFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    /// Cheap Argon2id costs for tests only (the policy default is libsodium's interactive level).
    static let fastKDF = Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: [UInt8](repeating: 1, count: 16))

    let folder: URL
    let store: Store
    let recovery: AgeIdentity
    var users: [String: UnlockedUser] = [:]
    let now = Timestamp((try? CivilDate(parsing: "2026-03-02")) ?? CivilDate(dayNumber: 0), hour: 9)

    static func policies() throws -> Policies {
        try PolicyFiles.load(folder: root.appendingPathComponent("Policies").path)
    }

    static func passphrase(_ user: String) -> SecureBytes { SecureBytes(copying: Array("pass-\(user)".utf8)) }

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try Store(path: folder.appendingPathComponent("sealbox.db").path, policies: Self.policies())
        let initialisation = try store.initialise(
            admin: "admin", passphrase: Self.passphrase("admin"), kdf: Self.fastKDF, at: now)
        recovery = initialisation.recovery
        let admin = try store.unlock("admin", passphrase: Self.passphrase("admin"), at: now)
        users["admin"] = admin
        let people: [(String, Set<Role>, DepartmentID?)] = [
            ("clerk", [.clerk], nil), ("clerk2", [.clerk], nil), ("reviewer", [.reviewer], nil),
            ("head", [.departmentHead], "transport"), ("handler", [.handler], "transport"),
            ("healthhead", [.departmentHead], "health"), ("archivist", [.archivist], nil), ("auditor", [.auditor], nil),
        ]
        for (name, roles, department) in people {
            try store.addUser(
                UserID(name), roles: roles, department: department, passphrase: Self.passphrase(name),
                kdf: Self.fastKDF,
                by: admin, at: now)
        }
        try store.createDepartment("transport", members: ["handler"], sealHolders: ["head"], by: admin, at: now)
        try store.createDepartment("health", members: [], sealHolders: ["healthhead"], by: admin, at: now)
        for name in ["clerk", "clerk2", "reviewer"] {
            try store.grant("office", to: UserID(name), usingRecovery: recovery, at: now)
        }
        try store.grant("archive", to: "archivist", withSeal: true, usingRecovery: recovery, at: now)
        for (name, _, _) in people {
            users[name] = try store.unlock(UserID(name), passphrase: Self.passphrase(name), at: now)
        }
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    func user(_ name: String) -> UnlockedUser {
        guard let u = users[name] else { fatalError("no fixture user \(name)") }
        return u
    }

    func at(_ date: String, _ hour: Int = 10) -> Timestamp {
        Timestamp((try? CivilDate(parsing: date)) ?? CivilDate(dayNumber: 0), hour: hour)
    }

    /// Drives a registered case to closure with the given personal texts.
    func runToClosure(_ number: CaseNumber, feedback: String, reply: String) throws {
        try store.apply(
            .assign(.init(lead: "transport", matter: Personal(feedback), requirements: "修復")), to: number,
            by: user("clerk"), at: at("2026-03-02", 11))
        try store.apply(.signFor(handler: "handler"), to: number, by: user("head"), at: at("2026-03-02", 12))
        try store.apply(.startHandling, to: number, by: user("handler"), at: at("2026-03-03"))
        try store.apply(
            .draftFeedback(
                investigation: Personal(feedback), opinion: Personal(feedback), result: Personal(feedback),
                senderSatisfaction: .satisfied), to: number, by: user("handler"), at: at("2026-03-04"))
        try store.sealFeedback(number, by: user("head"), at: at("2026-03-04", 11))
        try store.apply(.review(approve: true, reasons: nil), to: number, by: user("reviewer"), at: at("2026-03-05"))
        try store.apply(
            .reply(text: Personal(reply), method: .phone), to: number, by: user("clerk"), at: at("2026-03-05", 11))
        try store.apply(.close, to: number, by: user("clerk"), at: at("2026-03-05", 12))
    }
}

extension StoreFixture {
    /// Adds an attachment to case `number` in a form stored before v12, straight into the database: sealed under the
    /// case key in one 64 KiB chunk (v8) or as one blob (v2), and described in the sealed document.
    func addLegacyAttachment(_ bytes: [UInt8], chunked: Bool, to number: CaseNumber) throws {
        try store.pool.write { db in
            let (key, _) = try Store.openCaseKey(db, number, for: user("clerk"))
            let sealed = { (n: CaseNumber) in
                Array(
                    try Data.fetchOne(
                        db, sql: "SELECT sealed_document FROM cases WHERE number = ?", arguments: [n.description])
                        ?? Data())
            }
            var document = try Store.openDocument(try sealed(number), number: number, key: key)
            let position = document.letter.attachments.count
            if chunked {
                try db.execute(
                    sql: """
                        INSERT INTO case_attachments(case_number, position, byte_count, sealed_bytes, chunk_count)
                        VALUES (?, ?, ?, x'', 1)
                        """, arguments: [number.description, position, bytes.count])
                let chunk = XChaCha20Poly1305.seal(
                    bytes, using: key, authenticating: Store.attachmentChunkAD(number, position, 0, last: true))
                try db.execute(
                    sql: "INSERT INTO attachment_chunks(case_number, position, chunk, sealed) VALUES (?, ?, 0, ?)",
                    arguments: [number.description, position, Data(chunk)])
            } else {
                let whole = XChaCha20Poly1305.seal(
                    bytes, using: key, authenticating: Store.attachmentAD(number, position))
                try db.execute(
                    sql: """
                        INSERT INTO case_attachments(case_number, position, byte_count, sealed_bytes, chunk_count)
                        VALUES (?, ?, ?, ?, NULL)
                        """, arguments: [number.description, position, bytes.count, Data(whole)])
            }
            document.letter.attachments.append(
                AttachmentInfo(
                    fileName: Personal("old-\(position).bin"), mediaType: "application/octet-stream",
                    byteCount: bytes.count,
                    sha256: Hex.encode(SHA256.hash(bytes))))
            try db.execute(
                sql: "UPDATE cases SET sealed_document = ? WHERE number = ?",
                arguments: [Data(try Store.sealDocument(document, key: key)), number.description])
        }
    }
}
