import Foundation
import GRDB
public import SealboxCore
public import SealboxCrypto

extension Store {
    static func attachmentAD(_ number: CaseNumber, _ position: Int) -> [UInt8] {
        Array("sealbox/case/v1|\(number)|attachment:\(position)".utf8)
    }

    /// Adds an attachment to a case: its bytes sealed under the case key (bound to case and position), its
    /// description (file name sealed, SHA-256, size, media type) in the sealed document.
    /// - Returns: the attachment's position.
    /// - Throws: `StoreError.noKey` when `user` cannot open the case; `.notPermitted` without `case.register`.
    @discardableResult
    public func attach(
        _ bytes: [UInt8], fileName: Personal<String>, mediaType: String, to number: CaseNumber, by user: UnlockedUser,
        at now: Timestamp
    ) throws -> Int {
        guard policies.scope(of: user.actor, for: .register) != nil else {
            throw StoreError(.notPermitted, "\(user.id) may not add attachments")
        }
        return try write { db in
            var (key, c) = try Self.loadForWrite(db, number, user)
            let position = c.letter.attachments.count
            c.letter.attachments.append(
                AttachmentInfo(
                    fileName: fileName, mediaType: mediaType, byteCount: bytes.count,
                    sha256: Hex.encode(SHA256.hash(bytes))))
            let sealed = XChaCha20Poly1305.seal(bytes, using: key, authenticating: Self.attachmentAD(number, position))
            try db.execute(
                sql:
                    "INSERT INTO case_attachments(case_number, position, byte_count, sealed_bytes) VALUES (?, ?, ?, ?)",
                arguments: [number.description, position, bytes.count, Data(sealed)])
            try Self.writeMetadata(
                db, c, sealed: try Self.sealDocument(c, key: key), indexPending: try Self.isIndexPending(db, number),
                insert: false, policies: policies)
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "attachment.added", caseNumber: number, actor: user.id, at: now,
                    details: ["position": "\(position)", "bytes": "\(bytes.count)", "media_type": mediaType]))
            try Self.signCheckpoint(db, by: user)
            return position
        }
    }

    /// Reads an attachment's bytes behind the same two locks as `read`, checking its recorded SHA-256.
    /// - Throws: `StoreError.corrupted` when the bytes do not authenticate or match their digest.
    public func attachment(
        _ position: Int, of number: CaseNumber, purpose: String, by user: UnlockedUser, at now: Timestamp
    ) throws -> SecureBytes {
        let c = try read(number, purpose: purpose, by: user, at: now)
        guard c.letter.attachments.indices.contains(position) else {
            throw StoreError(.notFound, "case \(number) has no attachment \(position)")
        }
        let bytes = try read { db in try Self.openAttachment(db, position, of: number, for: user) }
        guard Hex.encode(SHA256.hash(bytes)) == c.letter.attachments[position].sha256 else {
            throw StoreError(.corrupted, "attachment \(position) of \(number) does not match its digest")
        }
        return bytes
    }

    /// Opens an attachment's bytes with a case key `user` holds (no policy check, no read event: callers do both).
    static func openAttachment(_ db: Database, _ position: Int, of number: CaseNumber, for user: UnlockedUser) throws
        -> SecureBytes
    {
        let (key, _) = try openCaseKey(db, number, for: user)
        guard
            let sealed = try Data.fetchOne(
                db, sql: "SELECT sealed_bytes FROM case_attachments WHERE case_number = ? AND position = ?",
                arguments: [number.description, position])
        else { throw StoreError(.notFound, "attachment \(position) of \(number) is missing") }
        return try XChaCha20Poly1305.open(Array(sealed), using: key, authenticating: attachmentAD(number, position))
    }

    /// Restricts a case after registration (M6.2.2).
    ///
    /// Its key moves from `office` to a new restricted group of `readers` (and the recovery key); departments
    /// already assigned keep theirs. The engine is asked first.
    /// - Throws: `StoreError.refused` when the engine refuses; `.noKey` when `user` cannot open the case.
    public func restrict(_ number: CaseNumber, readers: [UserID], by user: UnlockedUser, at now: Timestamp) throws {
        guard !readers.isEmpty else { throw StoreError(.invalidInput, "name at least one restricted reader") }
        try write { db in
            let (key, current) = try Self.loadForWrite(db, number, user)
            let transition: Transition
            switch Workflow.apply(.restrict, to: current, by: user.actor, at: now, policies: policies) {
            case .success(let t): transition = t
            case .failure(let r): throw StoreError(refusal: r)
            }
            let group = "restricted:\(number)"
            let members = try readers.map { ($0, try Self.user(db, $0).boxPublic) }
            _ = try Self.createGroup(db, id: group, kind: "restricted", members: members)
            try Self.sealCaseKey(db, number, key, to: group)
            try db.execute(
                sql: "DELETE FROM case_keys WHERE case_number = ? AND group_id = 'office'",
                arguments: [number.description])
            try Self.writeMetadata(
                db, transition.letterCase, sealed: try Self.sealDocument(transition.letterCase, key: key),
                indexPending: try Self.isIndexPending(db, number), insert: false, policies: policies)
            for event in transition.events { try Self.appendEvent(db, event) }
            try Self.signCheckpoint(db, by: user)
        }
    }
}
