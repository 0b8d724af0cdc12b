import Foundation
import GRDB
public import SealboxCore
public import SealboxCrypto

extension Store {
    static func attachmentAD(_ number: CaseNumber, _ position: Int) -> [UInt8] {
        Array("sealbox/case/v1|\(number)|attachment:\(position)".utf8)
    }

    /// Plaintext bytes per sealed attachment chunk.
    static let attachmentChunkSize = 64 * 1024
    /// Guarded buffers for decrypted chunks, lent to one reader at a time.
    static let chunkBuffers = SecureBufferPool(count: attachmentChunkSize)

    /// Associated data of one chunk: case, position, chunk index and whether it is the last, so that chunks cannot
    /// be moved, reordered, or cut off at a chunk boundary.
    static func attachmentChunkAD(_ number: CaseNumber, _ position: Int, _ chunk: Int, last: Bool) -> [UInt8] {
        Array("sealbox/case/v1|\(number)|attachment:\(position)|chunk:\(chunk)|\(last ? "last" : "more")".utf8)
    }

    /// Associated data of an attachment's sealed age file key: case and position, so that a key cannot be moved.
    static func attachmentFileKeyAD(_ number: CaseNumber, _ position: Int) -> [UInt8] {
        Array("sealbox/case/v1|\(number)|attachment:\(position)|age-file-key".utf8)
    }

    /// Adds an attachment to a case: its bytes sealed as an age payload under a file key of its own (64 KiB chunks,
    /// each bound to its index and last-ness; the file key sealed under the case key, bound to case and position),
    /// its description (file name sealed, SHA-256, size, media type) in the sealed document.
    /// - Returns: the attachment's position.
    /// - Throws: `StoreError.noKey` when `user` cannot open the case; `.notPermitted` without `case.register`.
    @discardableResult
    public func attach(
        _ bytes: [UInt8], fileName: Personal<String>, mediaType: String, to number: CaseNumber, by user: UnlockedUser,
        at now: Timestamp
    ) throws -> Int {
        try attach(fileName: fileName, mediaType: mediaType, to: number, by: user, at: now) { emit in
            try bytes.withUnsafeBytes { try emit($0) }
        }
    }

    /// Adds the file at `path` as an attachment, streaming it: memory stays flat whatever its size.
    /// - Returns: the attachment's position.
    /// - Throws: as `attach(_:…)`; `CryptoError.io` when the file cannot be read.
    @discardableResult
    public func attach(
        fileAt path: String, fileName: Personal<String>, mediaType: String, to number: CaseNumber,
        by user: UnlockedUser, at now: Timestamp
    ) throws -> Int {
        try attach(fileName: fileName, mediaType: mediaType, to: number, by: user, at: now) { emit in
            try FileStreams.forEachBlock(ofFile: path) { try emit($0) }
        }
    }

    func attach(
        fileName: Personal<String>, mediaType: String, to number: CaseNumber, by user: UnlockedUser, at now: Timestamp,
        source: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws -> Int {
        guard policies.scope(of: user.actor, for: .register) != nil else {
            throw StoreError(.notPermitted, "\(user.id) may not add attachments")
        }
        return try write { db in
            var (key, c) = try Self.loadForWrite(db, number, user)
            let position = c.letter.attachments.count
            var writer = try Self.storeAttachment(db, number, position: position, key: key, source: source)
            c.letter.attachments.append(
                AttachmentInfo(
                    fileName: fileName, mediaType: mediaType, byteCount: writer.total,
                    sha256: Hex.encode(writer.digest.finalize())))
            try Self.writeMetadata(
                db, c, sealed: try Self.sealDocument(c, key: key), indexPending: try Self.isIndexPending(db, number),
                insert: false, policies: policies)
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "attachment.added", caseNumber: number, actor: user.id, at: now,
                    details: ["position": "\(position)", "bytes": "\(writer.total)", "media_type": mediaType]))
            try Self.signCheckpoint(db, by: user)
            return position
        }
    }

    /// Stores one attachment's bytes, streamed from `source`, as an age payload under a new file key, with its row.
    /// - Returns: the writer, for its size and SHA-256.
    static func storeAttachment(
        _ db: Database, _ number: CaseNumber, position: Int, key: SymmetricKey,
        source: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws -> AttachmentChunkWriter {
        try db.execute(
            sql: """
                INSERT INTO case_attachments(case_number, position, byte_count, sealed_bytes, chunk_count)
                VALUES (?, ?, 0, x'', 0)
                """,
            arguments: [number.description, position])
        var writer = try AttachmentChunkWriter(db: db, number: number, position: position)
        try source { try writer.update($0) }
        try writer.finish()
        let sealedKey = XChaCha20Poly1305.seal(
            writer.fileKey.encoded, using: key, authenticating: attachmentFileKeyAD(number, position))
        try db.execute(
            sql: """
                UPDATE case_attachments SET byte_count = ?, chunk_count = ?, sealed_file_key = ?
                WHERE case_number = ? AND position = ?
                """,
            arguments: [writer.total, writer.chunks, Data(sealedKey), number.description, position])
        return writer
    }

    /// How one attachment is stored: its size, its chunk count (nil: one blob, before v8) and, from v12, the age
    /// file key its chunks are sealed under (nil: chunks sealed under the case key, v8).
    struct StoredAttachment {
        var byteCount: Int
        var chunks: Int?
        var fileKey: AgeFileKey?
        var legacyBlob: [UInt8]

        /// The bytes of its age payload (v12): what follows an age header to make the attachment an age file.
        var payloadCount: Int { AgeFileKey.sealedCount(plaintextCount: byteCount) }
    }

    /// Reads how attachment `position` of case `number` is stored, opening its file key with the case key.
    /// - Throws: `StoreError.notFound`; `.corrupted` when its file key does not open (moved, flipped, wrong key).
    static func storedAttachment(_ db: Database, _ position: Int, of number: CaseNumber, key: SymmetricKey) throws
        -> StoredAttachment
    {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT byte_count, chunk_count, sealed_bytes, sealed_file_key FROM case_attachments
                        WHERE case_number = ? AND position = ?
                        """),
                arguments: [number.description, position])
        else { throw StoreError(.notFound, "attachment \(position) of \(number) is missing") }
        var fileKey: AgeFileKey?
        if let sealed = row["sealed_file_key"] as Data? {
            guard
                let encoded = try? XChaCha20Poly1305.open(
                    Array(sealed), using: key, authenticating: attachmentFileKeyAD(number, position))
            else { throw StoreError(.corrupted, "attachment \(position) of \(number): its file key does not open") }
            fileKey = try AgeFileKey(encoded: encoded)
        }
        let chunks = row["chunk_count"] as Int?
        return StoredAttachment(
            byteCount: row["byte_count"], chunks: chunks, fileKey: fileKey,
            legacyBlob: chunks == nil ? Array(row["sealed_bytes"] as Data) : [])
    }

    /// Passes each stored chunk of a chunked attachment to `body` as it lies in the database, with its index and
    /// whether it is the last, checking that none is missing, extra or out of order.
    static func forEachStoredChunk(
        _ db: Database, _ position: Int, of number: CaseNumber, count: Int,
        _ body: (UnsafeRawBufferPointer, Int, Bool) throws -> Void
    ) throws {
        let cursor = try Row.fetchCursor(
            db.cachedStatement(
                sql: "SELECT chunk, sealed FROM attachment_chunks WHERE case_number = ? AND position = ? ORDER BY chunk"
            ),
            arguments: [number.description, position])
        var next = 0
        while let chunk = try cursor.next() {
            guard chunk["chunk"] as Int == next, next < count else {
                throw StoreError(.corrupted, "attachment \(position) of \(number) has a missing or extra chunk")
            }
            // The blob read where SQLite holds it: no copy.
            try chunk.withUnsafeData(named: "sealed") { data in
                try (data ?? Data()).withUnsafeBytes { try body($0, next, next == count - 1) }
            }
            next += 1
        }
        guard next == count else {
            throw StoreError(.corrupted, "attachment \(position) of \(number) is cut short")
        }
    }

    /// Streams the plaintext of an attachment, as `storedAttachment` read it, chunk by chunk, to `body` (one guarded
    /// 64 KiB buffer, reused).
    ///
    /// No policy check and no read event: callers do both. A missing, reordered, moved or cut-off chunk fails.
    /// - Throws: `StoreError.corrupted`; `CryptoError` when a v8 chunk or a v2 blob does not authenticate.
    static func forEachAttachmentChunk(
        _ db: Database, _ stored: StoredAttachment, _ position: Int, of number: CaseNumber, key: SymmetricKey,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard let chunks = stored.chunks else {
            // Stored before v8: one sealed blob.
            let bytes = try XChaCha20Poly1305.open(
                stored.legacyBlob, using: key, authenticating: attachmentAD(number, position))
            try bytes.withUnsafeBytes(body)
            return
        }
        // Decrypted chunks land in a pooled guarded buffer (one `sodium_malloc` per attachment was a tenth of export).
        try chunkBuffers.withBuffer { buffer in
            try forEachStoredChunk(db, position, of: number, count: chunks) { sealed, index, last in
                let count: Int
                if let fileKey = stored.fileKey {
                    do {
                        count = try buffer.withUnsafeMutableBytes {
                            try fileKey.openChunk(sealed, index: UInt64(index), last: last, into: $0)
                        }
                    } catch {
                        throw StoreError(
                            .corrupted, "attachment \(position) of \(number): chunk \(index) does not open")
                    }
                } else {
                    // v8: sealed under the case key, bound by associated data.
                    count = try XChaCha20Poly1305.open(
                        sealed, using: key, authenticating: attachmentChunkAD(number, position, index, last: last),
                        into: buffer)
                }
                try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            }
        }
    }

    /// Streams a v12 attachment's age payload, as stored, to `body`, each chunk checked (not decrypted) first:
    /// after an age header for the file key, these bytes make the attachment an age file.
    /// - Throws: `StoreError.corrupted` when a chunk is missing, extra, out of order or does not authenticate.
    static func forEachSealedChunk(
        _ db: Database, _ position: Int, of number: CaseNumber, _ stored: StoredAttachment,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard let fileKey = stored.fileKey, let chunks = stored.chunks else {
            throw StoreError(.corrupted, "attachment \(position) of \(number) is not stored as an age payload")
        }
        try forEachStoredChunk(db, position, of: number, count: chunks) { sealed, index, last in
            guard fileKey.verifyChunk(sealed, index: UInt64(index), last: last) else {
                throw StoreError(
                    .corrupted, "attachment \(position) of \(number): chunk \(index) does not authenticate")
            }
            try body(sealed)
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
        let stored = try storedAttachment(db, position, of: number, key: key)
        let size = stored.byteCount
        var filled = 0
        let bytes = try SecureBytes(count: size) { (out: UnsafeMutableRawBufferPointer) throws -> Void in
            try forEachAttachmentChunk(db, stored, position, of: number, key: key) { chunk in
                guard filled + chunk.count <= size else {
                    throw StoreError(.corrupted, "attachment \(position) of \(number) is longer than recorded")
                }
                UnsafeMutableRawBufferPointer(rebasing: out[filled..<(filled + chunk.count)]).copyMemory(from: chunk)
                filled += chunk.count
            }
        }
        guard filled == size else {
            throw StoreError(.corrupted, "attachment \(position) of \(number) is shorter than recorded")
        }
        return bytes
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

/// Seals an attachment's bytes into 64 KiB chunks as they stream in, holding back a full chunk until the next
/// byte shows whether it is the last.
struct AttachmentChunkWriter {
    let db: Database
    let number: CaseNumber
    let position: Int
    /// The attachment's own age file key.
    let fileKey: AgeFileKey
    /// The chunk being filled, then sealed in place (room for its tag after it).
    private let buffer = SecureBytes(count: Store.attachmentChunkSize + AgeFileKey.tagCount)
    private var filled = 0
    private(set) var chunks = 0
    private(set) var total = 0
    var digest = SHA256()

    init(db: Database, number: CaseNumber, position: Int) throws {
        self.db = db
        self.number = number
        self.position = position
        self.fileKey = try AgeFileKey.generate()
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) throws {
        digest.update(bytes)
        total += bytes.count
        var offset = 0
        while offset < bytes.count {
            if filled == Store.attachmentChunkSize { try seal(last: false) }
            let take = min(Store.attachmentChunkSize - filled, bytes.count - offset)
            let start = filled
            buffer.withUnsafeMutableBytes { b in
                UnsafeMutableRawBufferPointer(rebasing: b[start..<(start + take)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            }
            filled += take
            offset += take
        }
    }

    /// Seals the last chunk (empty only for an empty attachment).
    mutating func finish() throws { try seal(last: true) }

    private mutating func seal(last: Bool) throws {
        let (count, index) = (filled, chunks)
        let sealed = buffer.withUnsafeMutableBytes { b in
            fileKey.sealChunk(b, count: count, index: UInt64(index), last: last)
            return Data(UnsafeRawBufferPointer(rebasing: b[0..<(count + AgeFileKey.tagCount)]))
        }
        try db.cachedStatement(
            sql: "INSERT INTO attachment_chunks(case_number, position, chunk, sealed) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [number.description, position, chunks, sealed])
        chunks += 1
        filled = 0
    }
}
