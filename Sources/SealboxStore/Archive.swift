import Foundation
import GRDB
import SealboxArchive
public import SealboxCore
public import SealboxCrypto
import SealboxLog
import Synchronization

/// One exported package.
public struct ExportedPackage: Sendable, Equatable {
    public var sequence: Int
    public var caseNumber: CaseNumber
    public var fileName: String
    public var tagDigest: String
}

extension Store {
    /// The archive's public keys, which anyone may have.
    ///
    /// The age recipient packages are sealed to (the archive group's X25519 key) and the minisign key that signs them
    /// (the archive group's seal).
    public func archiveKeys() throws -> (recipient: AgeRecipient, signer: Minisign.PublicKey) {
        try read { db in
            let (_, box) = try Self.groupPublic(db, "archive")
            guard let seal = try Data.fetchOne(db, sql: "SELECT seal_public FROM key_groups WHERE id = 'archive'")
            else {
                throw StoreError(.notFound, "this store's archive group has no signing key (made before v5)")
            }
            let key = try SigningPublicKey(Array(seal))
            return (AgeRecipient(box), try Minisign.PublicKey(keyID: Self.minisignKeyID(key), key: key))
        }
    }

    /// A stable minisign key id for the archive key: the first 8 bytes of BLAKE2b-256 of the public key.
    static func minisignKeyID(_ key: SigningPublicKey) throws -> [UInt8] {
        Array(try BLAKE2b.hash(key.bytes, outputCount: 32).prefix(8))
    }

    /// Exports every closed, not yet archived case into one signed, chained package each (M6.1), in `folder`.
    ///
    /// Cases go in batches of at most `batchSize` (`batchPlan`), each through three steps: read (`openBatch`: one
    /// transaction), opened and written as partial files (`writeBatch`: on every core), synced, recorded and renamed
    /// into place (`recordBatch`: one transaction). The steps are pipelined: while one batch is written, the next is
    /// read and earlier ones synced and recorded, on a queue of their own, in order. A crash leaves no half package
    /// and no case marked archived without one (a package written but not recorded is rewritten, identically
    /// numbered, next time). One export at a time per store (a lock file beside it).
    /// - Parameters:
    ///   - folder: where packages go.
    ///   - archivist: an archivist holding the archive key and its seal.
    ///   - extraRecipients: further age recipients (several archive keys are allowed).
    ///   - now: the time.
    ///   - batchSize: cases per batch.
    ///   - progress: called for each package once its batch is synced and recorded, with the count so far and the
    ///     total.
    /// - Returns: the packages written.
    /// - Throws: `StoreError.notPermitted` / `.noKey`; `.busy` when another export runs; `ArchiveError` for I/O.
    public func exportArchive(
        to folder: String, by archivist: UnlockedUser, extraRecipients: [AgeRecipient] = [], at now: Timestamp,
        batchSize: Int = 64, progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> [ExportedPackage] {
        guard policies.scope(of: archivist.actor, for: .archive) != nil else {
            throw StoreError(.notPermitted, "\(archivist.id) may not archive cases")
        }
        let lock = try ExportLock(path: path + "-archive.lock")
        defer { lock.release() }
        _ = try reconcileArchive(folder: folder, locked: true)
        _ = try readAccess(purpose: "archive export", by: archivist)
        let (secret, origin, pending) = try read { db -> (GroupSecret, String, [CaseNumber]) in
            let secret = try Self.openGroupSecret(db, "archive", for: archivist)
            let numbers = try String.fetchAll(
                db, sql: "SELECT number \(Self.waitingToBeArchived) ORDER BY year, serial"
            ).map { try CaseNumber(parsing: $0) }
            return (secret, try Self.origin(db), numbers)
        }
        guard let seed = secret.seal else {
            throw StoreError(.noKey, "\(archivist.id) does not hold the archive signing key")
        }
        let sealKey = try SigningSecretKey(seed: seed)
        let signer = Minisign.SecretKey(key: sealKey, keyID: try Self.minisignKeyID(sealKey.publicKey))
        let recipients = [AgeRecipient(secret.box.publicKey)] + extraRecipients
        var (sequence, previous) = try read { db -> (Int, String) in
            let last = try Row.fetchOne(
                db, sql: "SELECT sequence, tag_digest FROM archive_packages ORDER BY sequence DESC LIMIT 1")
            return ((last?["sequence"] as Int?) ?? 0, (last?["tag_digest"] as String?) ?? "none")
        }
        let run = ExportRun(
            folder: folder, archivist: archivist, box: secret.box, signer: signer, recipients: recipients,
            origin: origin, now: now, sealKeys: SealKeyCache(self))
        let batches = Self.batchPlan(count: pending.count, size: batchSize).map { Array(pending[$0]) }
        guard !batches.isEmpty else { return [] }
        // A pipeline: the database work (opening a batch; recording one) runs in order on a queue of its own while
        // this thread and the processors write the packages of the batch in hand. Batch k + 2 is queued for opening
        // ahead of batch k's record, and records are collected as they finish, not waited for, so the writers wait
        // on neither the disk nor a record. A batch's sync starts, on a queue of its own, as soon as it is written,
        // and its record's transaction commits only once it is done. Records stay in order, a batch is recorded only
        // after it is written and synced, and once one record fails every later one is refused (`RecordChain`).
        let database = DispatchQueue(label: "sealbox.export.database")
        let syncing = DispatchQueue(label: "sealbox.export.sync")
        var openings: [Int: Pending<OpenedBatch>] = [:]
        func queueOpening(_ j: Int) {
            guard j < batches.count else { return }
            openings[j] = Pending(on: database) { try self.openBatch(batches[j], run) }
        }
        queueOpening(0)
        queueOpening(1)
        let chain = RecordChain()
        var recordings: [Pending<[ExportedPackage]>] = []
        var written: [ExportedPackage] = []
        var failure: (any Error)?
        var unrecorded: WrittenBatch?
        func collect(waiting: Bool) throws {
            while let first = recordings.first, waiting || first.isFinished {
                recordings.removeFirst()
                let recorded = try first.wait()
                written += recorded
                for done in (written.count - recorded.count + 1)...written.count { progress(done, pending.count) }
            }
        }
        for k in batches.indices {
            do {
                guard let opening = openings.removeValue(forKey: k) else {
                    throw StoreError(.database, "batch \(k) of the export was never opened")
                }
                let batch = try writeBatch(try opening.wait(), after: sequence, previous: previous, run)
                unrecorded = batch
                (sequence, previous) = (
                    batch.packages.last?.sequence ?? sequence, batch.packages.last?.tagDigest ?? previous
                )
                queueOpening(k + 2)
                // Once synced, the batch's pages leave the page cache: a package is cold data, which should not push
                // the store's own pages out, and the next packages are written into the pages just freed.
                let synced = Pending(on: syncing) { try batch.durable.sync(batch.temporaries, droppingCache: true) }
                recordings.append(
                    Pending(on: database) {
                        // Whatever the outcome, no sync of the batch is left running once its step is done.
                        defer { _ = try? synced.wait() }
                        return try chain.record(batch.temporaries) { try self.recordBatch(batch, synced: synced, run) }
                    })
                unrecorded = nil
                try collect(waiting: false)
            } catch {
                failure = error
                break
            }
        }
        // Nothing runs on after this returns: every queued opening and recording is waited for, and a batch
        // written but never queued for its record leaves no partial file.
        for opening in openings.values { _ = try? opening.wait() }
        Self.removePartials(unrecorded?.temporaries ?? [])
        do {
            try collect(waiting: true)
        } catch {
            failure = failure ?? error
        }
        for refused in recordings { _ = try? refused.wait() }
        if let failure { throw failure }
        return written
    }

    /// How an export cuts `count` cases into batches of at most `size`: a small first one (an eighth), since
    /// nothing else runs while it is opened; a small last one, since nothing else runs while it is synced and
    /// recorded; and between them batches as even as they can be.
    static func batchPlan(count: Int, size: Int) -> [Range<Int>] {
        let size = max(size, 1)
        guard count > 0 else { return [] }
        let small = max(1, size / 8)
        let first = min(count, small)
        var rest = count - first
        let last = rest > size ? small : 0
        rest -= last
        let batches = (rest + size - 1) / size
        var plan = [0..<first]
        var start = first
        for k in 0..<batches {
            let end = start + rest / batches + (k < rest % batches ? 1 : 0)
            plan.append(start..<end)
            start = end
        }
        if last > 0 { plan.append(start..<count) }
        return plan
    }

    /// What an export keeps for all its batches: where packages go, who exports, the archive's secret box key,
    /// the signer, the age recipients, the log origin and the time.
    struct ExportRun: @unchecked Sendable {
        // Unchecked: nothing here is written after the run starts; the stages only read the keys, concurrently.
        let folder: String
        let archivist: UnlockedUser
        let box: BoxSecretKey
        let signer: Minisign.SecretKey
        let recipients: [AgeRecipient]
        let origin: String
        let now: Timestamp
        /// The departments' seal public keys, each looked up once.
        let sealKeys: SealKeyCache
    }

    /// The departments' seal public keys as an export needs them: each read from the store once, then shared by the
    /// packages written in parallel.
    final class SealKeyCache: Sendable {
        private let store: Store
        private let keys = Mutex<[DepartmentID: SigningPublicKey]>([:])

        init(_ store: Store) { self.store = store }

        /// The seal public key of `department`.
        /// - Throws: `StoreError.notFound` when the department has none.
        func key(_ department: DepartmentID) throws -> SigningPublicKey {
            if let known = keys.withLock({ $0[department] }) { return known }
            let key = try store.sealPublicKey(department)
            keys.withLock { $0[department] = key }
            return key
        }
    }

    /// A batch opened: its cases as read (still sealed) and the certificate of the checkpoint their proofs use.
    struct OpenedBatch: Sendable {
        var cases: [ReadCase]
        var certificate: [UInt8]
    }

    /// A case as an export's opening reads it, still sealed.
    ///
    /// Its document, its key sealed to the archive (with the envelope's wrap key if it names one), its history and
    /// closing proof. The writers open it (`open`), each on its core: the database queue does only what must be in
    /// the transaction.
    struct ReadCase: Sendable {
        var number: CaseNumber
        var sealed: [UInt8]
        var key: StoredCaseKey
        var wrapBox: [UInt8]?
        var history: [LoggedEvent]
        var proof: TlogProof?

        /// The case key opened with the archive secret and the document decrypted and decoded.
        func open(with box: BoxSecretKey) throws -> OpenedCase {
            let key = try Store.unsealCaseKey(number, self.key, wrapBox: wrapBox, with: box)
            return OpenedCase(
                letterCase: try Store.openDocument(sealed, number: number, key: key), key: key, sealed: sealed,
                history: history, proof: proof)
        }
    }

    /// A batch written as partial files (their writeback started, not yet synced), with each case's archived
    /// document sealed, not yet recorded, and the sync that will make them durable (opened before they were
    /// written).
    struct WrittenBatch: Sendable {
        var opened: [OpenedCase]
        var packages: [ExportedPackage]
        var temporaries: [String]
        var archived: [PreparedTransition]
        var durable: FileStreams.FileSystemSync
    }

    /// Opens a batch in one transaction: each case's sealed document and key read, each read logged, one checkpoint
    /// signed, and each closing event proved against it.
    ///
    /// The keys and documents are opened by the writers (`ReadCase.open`), on every core, rather than here on the
    /// database queue, which the pipeline waits on.
    func openBatch(_ numbers: [CaseNumber], _ run: ExportRun) throws -> OpenedBatch {
        try write { db in
            let rows = try Self.exportRows(db, numbers)
            var frontier = try Self.frontier(db)
            for n in numbers {
                try Self.appendEvent(
                    db,
                    CaseEvent(
                        kind: "case.read", caseNumber: n, actor: run.archivist.id, at: run.now,
                        details: ["purpose": "archive export"]), to: &frontier)
            }
            try Self.setMeta(db, "log_frontier", frontier.encoded)
            try Self.signCheckpoint(db, by: run.archivist)
            // Proofs against the checkpoint just signed, read from the log's kept subtrees (O(log n) rows each,
            // however long the log).
            var prover = try LogProver(db)
            let histories = try Self.events(db, cases: numbers)
            let read = try rows.indices.map { i in
                let history = histories[numbers[i].description] ?? []
                let closing = history.last { $0.kind == "case.closed" }
                return ReadCase(
                    number: numbers[i], sealed: rows[i].sealed, key: rows[i].key, wrapBox: rows[i].wrapBox,
                    history: history, proof: try closing.map { try prover.prove(db, $0) })
            }
            return OpenedBatch(cases: read, certificate: prover.signerCertificate)
        }
    }

    /// Each case's sealed document, its key sealed to the archive and that key's envelope wrap key if any, read for a
    /// batch in one statement (a thousand cases at most), in the order of `numbers`.
    /// - Throws: `StoreError.notPermitted` for a case that is not closed (or not there); `.noKey` for one not sealed
    ///   to the archive key.
    static func exportRows(_ db: Database, _ numbers: [CaseNumber]) throws -> [(
        sealed: [UInt8], key: StoredCaseKey, wrapBox: [UInt8]?
    )] {
        var found: [String: (status: String, sealed: [UInt8], key: StoredCaseKey?, wrapBox: [UInt8]?)] = [:]
        for start in stride(from: 0, to: numbers.count, by: 1000) {
            let part = numbers[start..<min(start + 1000, numbers.count)].map(\.description)
            let marks = Array(repeating: "?", count: part.count).joined(separator: ", ")
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT c.number, c.status, c.sealed_document, k.group_id, k.sealed_key, k.envelope_id,
                        e.sealed_wrap_key
                    FROM cases c LEFT JOIN case_keys k ON k.case_number = c.number AND k.group_id = 'archive'
                        LEFT JOIN key_envelopes e ON e.id = k.envelope_id
                    WHERE c.number IN (\(marks))
                    """, arguments: StatementArguments(part))
            while let row = try rows.next() {
                let key = (row[4] as Data?).map {
                    StoredCaseKey(group: row[3], sealed: Array($0), envelope: row[5])
                }
                found[row[0]] = (row[1], Array(row[2] as Data), key, (row[6] as Data?).map { Array($0) })
            }
        }
        return try numbers.map { n in
            guard let row = found[n.description], row.status == CaseStatus.closed.rawValue else {
                throw StoreError(.notPermitted, "an archivist opens closed cases only (M6.1.3)")
            }
            guard let key = row.key else { throw StoreError(.noKey, "case \(n) is not sealed to the archive key") }
            return (row.sealed, key, row.wrapBox)
        }
    }

    /// Writes an opened batch as partial files, each one's writeback started as its payload ends (`recordBatch`
    /// makes them durable).
    ///
    /// The payloads in parallel (no package's payload depends on another), then in order the unsigned tag files that
    /// chain each package to the one before (small and quick), then in parallel each package's tag manifest signed,
    /// its tags written and its case's archived document sealed. On failure no partial file of the batch stays
    /// behind.
    func writeBatch(_ batch: OpenedBatch, after sequence: Int, previous: String, _ run: ExportRun) throws
        -> WrittenBatch
    {
        let read = batch.cases
        let names = read.indices.map {
            "\(String(format: "%06d", sequence + 1 + $0))-\(read[$0].number).tar"
        }
        let temporaries = names.map { "\(run.folder)/.\($0).partial" }
        // Opened before the first file of the batch is written, so that its sync reports any writeback error met
        // while they are.
        let durable = try FileStreams.FileSystemSync(folder: run.folder)
        do {
            // Each core takes the next package until none is left. With AVX-512 its payload digests wait until
            // the core has written eight packages, then are worked out together, eight files at a time on the
            // lanes (`SHA512Lanes`: about a third of the time one SHA-512 takes); without, each file is hashed as it
            // is written.
            let lanes = SHA512Lanes.isAvailable
            let next = Mutex(0)
            let parts = try Parallel.map(min(read.count, ProcessInfo.processInfo.activeProcessorCount)) { _ in
                var mine: [(Int, Unchecked<BagWriter>, OpenedCase)] = []
                var waiting: [BagWriter] = []
                func digest() {
                    BagWriter.digestPayloads(waiting)
                    // The tag files that do not chain are worked out here, in parallel.
                    for bag in waiting { bag.endPayload() }
                    waiting = []
                }
                do {
                    while true {
                        let i = next.withLock { n in
                            defer { n += 1 }
                            return n
                        }
                        guard i < read.count else { break }
                        let opened = try read[i].open(with: run.box)
                        let bag = try writePayload(
                            opened, certificate: batch.certificate, to: temporaries[i], run, deferringDigests: lanes)
                        // The disk starts on the payload while the processors go on with the next packages.
                        try bag.startWriteback()
                        mine.append((i, Unchecked(bag), opened))
                        waiting.append(bag)
                        if waiting.count == (lanes ? 8 : 1) { digest() }
                    }
                    digest()
                } catch {
                    // The other cores stop at their next package.
                    next.withLock { $0 = read.count }
                    throw error
                }
                return mine
            }
            let written = parts.flatMap { $0 }.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
            let (bags, opened) = (written.map(\.0), written.map(\.1))
            var tags: [BagWriter.TagFiles] = []
            var packages: [ExportedPackage] = []
            var previous = previous
            let baggingDate = "\(policies.localDate(run.now))"
            for (i, bag) in bags.enumerated() {
                let number = opened[i].letterCase.number
                let position = sequence + 1 + i
                let tag = bag.value.tagFiles(
                    info: [
                        ("Source-Organization", "Mayor's Mailbox office (Sealbox)"),
                        ("External-Identifier", number.description),
                        ("Bag-Group-Identifier", run.origin), ("Sealbox-Sequence", "\(position)"),
                        ("Sealbox-Previous-Package", previous),
                    ],
                    baggingDate: baggingDate)
                previous = tag.digest
                tags.append(tag)
                packages.append(
                    ExportedPackage(sequence: position, caseNumber: number, fileName: names[i], tagDigest: tag.digest))
            }
            let (finished, chained) = (tags, packages)
            let archived = try Parallel.map(bags.count) { i in
                let p = chained[i]
                try bags[i].value.finish(
                    writing: finished[i], signer: run.signer,
                    trustedComment: "Sealbox-Sequence: \(p.sequence) \(p.caseNumber)", sync: false)
                return try prepare(
                    .archive(package: "\(p.sequence):\(p.tagDigest.prefix(16))"), to: opened[i].letterCase,
                    key: opened[i].key, by: run.archivist, at: run.now)
            }
            return WrittenBatch(
                opened: opened, packages: packages, temporaries: temporaries, archived: archived, durable: durable)
        } catch {
            Self.removePartials(temporaries)
            throw error
        }
    }

    /// Records a written batch in one transaction that commits once `synced` (the batch's sync) is done, then renames
    /// its files into place.
    ///
    /// Each case is archived only if its document is still the one exported (nothing else may change a closed case
    /// meanwhile). A failure before the commit removes the batch's partial files; a crash after it leaves recorded,
    /// synced partial files, which the next export (or `archive reconcile`) renames: a package never shows without
    /// its record.
    /// - Returns: the packages recorded.
    func recordBatch(_ batch: WrittenBatch, synced: Pending<Void>, _ run: ExportRun) throws -> [ExportedPackage] {
        do {
            try write { db in
                var frontier = try Self.frontier(db)
                for (i, p) in batch.packages.enumerated() {
                    guard
                        let stored = try Data.fetchOne(
                            db.cachedStatement(sql: "SELECT sealed_document FROM cases WHERE number = ?"),
                            arguments: [p.caseNumber.description]),
                        Self.sameBytes(stored, batch.opened[i].sealed)
                    else {
                        throw StoreError(.busy, "case \(p.caseNumber) changed during the export; run the export again")
                    }
                    try commit(db, batch.archived[i], key: batch.opened[i].key, frontier: &frontier)
                    try db.cachedStatement(
                        sql: """
                            INSERT INTO archive_packages(sequence, case_number, tag_digest, file_name, created_at)
                            VALUES (?, ?, ?, ?, ?)
                            """
                    ).execute(
                        arguments: [
                            p.sequence, p.caseNumber.description, p.tagDigest, p.fileName,
                            run.now.secondsSinceEpoch,
                        ])
                }
                try Self.setMeta(db, "log_frontier", frontier.encoded)
                try Self.signCheckpoint(db, by: run.archivist)
                // Durable before recorded: the transaction commits only once the batch's partial files are synced
                // (one `syncfs`, their writeback started as each payload ended), which ran meanwhile.
                try synced.wait()
            }
        } catch {
            // No sync left running on files about to be removed.
            _ = try? synced.wait()
            Self.removePartials(batch.temporaries)
            throw error
        }
        for (i, p) in batch.packages.enumerated() {
            guard rename(batch.temporaries[i], "\(run.folder)/\(p.fileName)") == 0 else {
                throw StoreError(.database, "cannot rename \(batch.temporaries[i])")
            }
        }
        try FileStreams.sync(path: run.folder)
        return batch.packages
    }

    /// Whether a stored document is byte for byte the one exported (`memcmp`: an element-wise `==` over the ~10 KB
    /// was measurable over a batch).
    static func sameBytes(_ stored: Data, _ exported: [UInt8]) -> Bool {
        stored.withUnsafeBytes { a in
            exported.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                guard let x = a.baseAddress, let y = b.baseAddress else { return true }
                return memcmp(x, y, a.count) == 0
            }
        }
    }

    /// Removes the partial files of a batch that will not be recorded.
    static func removePartials(_ paths: [String]) {
        for path in paths where FileStreams.exists(path) { FileStreams.remove(path) }
    }

    /// A case opened for export: the case, its key, its sealed document as read, its history and closing proof.
    struct OpenedCase: Sendable {
        var letterCase: LetterCase
        var key: SymmetricKey
        var sealed: [UInt8]
        var history: [LoggedEvent]
        var proof: TlogProof?
    }

    /// The closed cases no package holds yet, as an SQL `FROM … WHERE …` clause: what an export files.
    static let waitingToBeArchived =
        "FROM cases WHERE status = 'closed' AND number NOT IN (SELECT case_number FROM archive_packages)"

    /// Where the archive stands, from the store's records alone (no key, no personal data).
    public struct ArchiveStatus: Sendable, Equatable {
        /// Packages recorded.
        public var packages: Int
        /// The last package recorded: its sequence, case, file name and tag-manifest digest.
        public var last: ExportedPackage?
        /// Closed cases not yet archived: what the next `archive export` files (M6.1.3).
        public var waiting: Int
        /// The earliest-numbered of those, if any.
        public var firstWaiting: CaseNumber?
        /// Packages disposed of after their retention ended (a signed disposal record stands for each).
        public var disposed = 0
    }

    /// Where the archive stands: packages recorded, the chain's head, and the closed cases waiting to be filed.
    public func archiveStatus() throws -> ArchiveStatus {
        try read { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM archive_packages") ?? 0
            let last = try Row.fetchOne(
                db,
                sql: """
                    SELECT sequence, case_number, file_name, tag_digest FROM archive_packages
                    ORDER BY sequence DESC LIMIT 1
                    """
            ).map { row in
                ExportedPackage(
                    sequence: row[0], caseNumber: try CaseNumber(parsing: row[1] as String), fileName: row[2],
                    tagDigest: row[3])
            }
            let waiting = try Int.fetchOne(db, sql: "SELECT COUNT(*) \(Self.waitingToBeArchived)") ?? 0
            let first = try String.fetchOne(
                db, sql: "SELECT number \(Self.waitingToBeArchived) ORDER BY year, serial LIMIT 1")
            let disposed =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM archive_packages WHERE disposed_at IS NOT NULL") ?? 0
            return ArchiveStatus(
                packages: count, last: last, waiting: waiting,
                firstWaiting: try first.map { try CaseNumber(parsing: $0) }, disposed: disposed)
        }
    }

    /// What `reconcileArchive` did.
    public struct ArchiveReconciliation: Sendable, Equatable {
        /// Recorded packages whose synced partial file was renamed into place (an export stopped after recording).
        public var completed: [String] = []
        /// Files removed: partial files of a batch never recorded, final files no record names, the package of a
        /// recorded disposal and disposal records never recorded.
        public var removed: [String] = []
        /// Recorded packages found nowhere in the folder (another folder, or lost).
        public var missing: [String] = []
    }

    /// Brings an archive folder in line with the store after a crash: a package is visible only when recorded.
    ///
    /// Recorded packages left as partial files are checked (their tag-manifest digest) and renamed into place;
    /// partial files of a batch that was never recorded, and any final package file no record names, are removed
    /// (their cases are still closed, not archived, and are exported again). Likewise for disposals: the package of
    /// a recorded disposal is removed if still there, and its record must be; a disposal record not recorded is
    /// removed (its package stays). Needs no key.
    /// - Returns: what was done.
    /// - Throws: `StoreError.busy` when an export is running; `ArchiveError` for an unreadable file.
    public func reconcileArchive(folder: String, locked: Bool = false) throws -> ArchiveReconciliation {
        let lock = locked ? nil : try ExportLock(path: path + "-archive.lock")
        defer { lock?.release() }
        var result = ArchiveReconciliation()
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT file_name, tag_digest, disposed_at FROM archive_packages ORDER BY sequence"
            ).map {
                (
                    name: $0["file_name"] as String, digest: $0["tag_digest"] as String,
                    disposed: $0["disposed_at"] != nil
                )
            }
        }
        var files = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
        // A disposed package's record must be there; the package itself goes if a disposal stopped before removing
        // it (the disposal was recorded, so its record was already synced in place).
        for row in rows where row.disposed {
            if files.contains(row.name) {
                FileStreams.remove("\(folder)/\(row.name)")
                files.remove(row.name)
                result.removed.append(row.name)
            }
            let record = DisposalRecord.fileName(forPackage: row.name)
            if !files.contains(record) { result.missing.append(record) }
        }
        let records = rows.filter { !$0.disposed }
        let known = Dictionary(records.map { ($0.name, $0.digest) }, uniquingKeysWith: { a, _ in a })
        for record in records where !files.contains(record.name) {
            let partial = ".\(record.name).partial"
            if files.contains(partial), try Self.tagDigest(ofPackage: "\(folder)/\(partial)") == record.digest {
                guard rename("\(folder)/\(partial)", "\(folder)/\(record.name)") == 0 else {
                    throw StoreError(.database, "cannot rename \(partial)")
                }
                result.completed.append(record.name)
            } else {
                result.missing.append(record.name)
            }
        }
        // Disposal records the store did not record (a disposal stopped before recording it; its package is still
        // there and still counts), and their partial files.
        let disposedRecords = Set(
            rows.filter(\.disposed).flatMap {
                let record = DisposalRecord.fileName(forPackage: $0.name)
                return [record, record + ".minisig"]
            })
        let recordSuffixes = [DisposalRecord.fileSuffix, DisposalRecord.fileSuffix + ".minisig"]
        for name in files.sorted() {
            let isRecord = name.first?.isNumber == true && recordSuffixes.contains { name.hasSuffix($0) }
            let isPartialRecord = name.hasPrefix(".") && recordSuffixes.contains { name.hasSuffix($0 + ".partial") }
            guard isRecord && !disposedRecords.contains(name) || isPartialRecord else { continue }
            FileStreams.remove("\(folder)/\(name)")
            result.removed.append(name)
        }
        for name in files.sorted() {
            let isPartial = name.hasPrefix(".") && name.hasSuffix(".tar.partial")
            let finalName = isPartial ? String(name.dropFirst().dropLast(".partial".count)) : name
            guard finalName.hasSuffix(".tar"), finalName.first?.isNumber == true else { continue }
            if isPartial && !result.completed.contains(finalName) || !isPartial && known[name] == nil {
                FileStreams.remove("\(folder)/\(name)")
                result.removed.append(name)
            }
        }
        if !result.completed.isEmpty || !result.removed.isEmpty { try FileStreams.sync(path: folder) }
        return result
    }

    /// The SHA-512 (hex) of the tag manifest inside a package, read without extracting.
    static func tagDigest(ofPackage path: String) throws -> String? {
        var manifest: [UInt8]?
        try TarReader.forEachEntry(ofFile: path, maxEntryBytes: 1 << 40) { name, _, read in
            guard name.hasSuffix("/tagmanifest-sha512.txt") else { return }
            var bytes: [UInt8] = []
            try read { bytes.append(contentsOf: $0) }
            manifest = bytes
        }
        return manifest.map { Hex.encode(SHA512.hash($0)) }
    }

    /// Writes a package's payload files (metadata, sealed case files, attachments, history, log proof) into a new
    /// bag at `path`; the caller finishes it with the tag files.
    func writePayload(
        _ opened: OpenedCase, certificate: [UInt8], to path: String, _ run: ExportRun, deferringDigests: Bool = false
    ) throws -> BagWriter {
        let (c, history, proof) = (opened.letterCase, opened.history, opened.proof)
        let (recipients, now, sealKeys) = (run.recipients, run.now, run.sealKeys)
        let bag = try BagWriter(
            path: path, bagName: c.number.description, modificationTime: Int(now.secondsSinceEpoch),
            deferringDigests: deferringDigests)
        // The package's age files — five, and one per attachment — each need a fresh ephemeral key per recipient:
        // worked out together (`BoxSecretKey.generate(count:)`), each used once.
        let ephemerals = EphemeralKeys(count: (5 + c.letter.attachments.count) * recipients.count)
        func sealed<T: Encodable>(_ name: String, _ value: T) throws {
            var json = try CompactJSON.encode(value)
            defer { SecureBytes.wipe(&json) }
            try bag.addPayload(name, bytes: try Age.encrypt(json, to: recipients, ephemerals: ephemerals))
        }
        let metadata: [String: String] = [
            "number": c.number.description, "channel": c.letter.channel.rawValue,
            "received": "\(policies.localDate(c.letter.receivedAt))",
            "registered": "\(policies.localDate(c.registeredAt))",
            "closed": c.closedAt.map { "\(policies.localDate($0))" } ?? "", "category": c.category ?? "",
            "priority": c.priority.rawValue,
            "departments": (c.activeSlip?.departments ?? []).map(\.rawValue).joined(separator: ","),
            "outcome": c.reply?.onTheSpot == true ? "answered_on_the_spot" : "replied",
            "satisfaction": c.satisfaction?.rawValue ?? "", "retention_class": c.retention.name,
            "retention_years": "\(policies.retentionClasses[c.retention.name] ?? 0)", "restricted": "\(c.isRestricted)",
        ]
        try bag.addPayload("metadata.json", bytes: CanonicalJSON.prettyObject(metadata.map { ($0.key, $0.value) }))
        try sealed("letter.json.age", c.letter)
        try sealed("assignment-slip.json.age", c.slips)
        struct SealedFeedback: Encodable {
            var feedback: Feedback?
            var contributions: [Contribution]
            var reviews: [Review]
            var sealVerified: Bool
        }
        try sealed(
            "feedback.json.age",
            SealedFeedback(
                feedback: c.feedback, contributions: c.contributions, reviews: c.reviews,
                sealVerified: (try? verifySeal(of: c, keys: sealKeys.key)) ?? false))
        struct Closing: Encodable {
            var reply: Reply?
            var satisfaction: Satisfaction?
            var supervisions: [Supervision]
            var progress: [ProgressReport]
            var contacts: [ContactRecord]
            var extensions: [ExtensionRequest]
        }
        try sealed(
            "reply.json.age",
            Closing(
                reply: c.reply, satisfaction: c.satisfaction, supervisions: c.supervisions, progress: c.progress,
                contacts: c.contacts, extensions: c.extensions))
        // The original letter's attachments (M6.1.2), each an age file of its own, in the order they came, streamed
        // from the store into the tar: memory stays flat whatever the size. One stored as an age payload (v12) gets a
        // header wrapping its file key for the recipients, then its stored chunks, each authenticated (not decrypted)
        // on the way: the bytes are those whose SHA-256 was recorded at attach time, not encrypted a second time.
        // One stored before v12 is decrypted chunk by chunk (each authenticated under the case key) and encrypted
        // anew.
        for position in c.letter.attachments.indices {
            try read { db in
                let stored = try Self.storedAttachment(db, position, of: c.number, key: opened.key)
                // The size in clear must be the one the sealed document recorded.
                guard stored.byteCount == c.letter.attachments[position].byteCount else {
                    throw StoreError(
                        .corrupted, "attachment \(position) of \(c.number) is not the size its case records")
                }
                let name = "attachments/\(position).age"
                if let fileKey = stored.fileKey {
                    let header = try fileKey.header(to: recipients, ephemerals: ephemerals)
                    try bag.addPayload(name, size: header.count + stored.payloadCount) { emit in
                        try header.withUnsafeBytes { try emit($0) }
                        try Self.forEachSealedChunk(db, position, of: c.number, stored, emit)
                    }
                } else {
                    let encryptor = try AgeEncryptor(recipients: recipients, ephemerals: ephemerals)
                    try bag.addPayload(name, size: encryptor.encryptedCount(plaintextCount: stored.byteCount)) { emit in
                        try Self.forEachAttachmentChunk(db, stored, position, of: c.number, key: opened.key) { chunk in
                            try encryptor.update(chunk, output: emit)
                        }
                        try encryptor.finish(output: emit)
                    }
                }
            }
        }
        // One event a line: its leaf text with every line break turned to a tab.
        var lines: [UInt8] = []
        for event in history {
            let start = lines.count
            lines += event.leafText.utf8
            for i in start..<lines.count where lines[i] == 0x0A { lines[i] = 0x09 }
            lines.append(0x0A)
        }
        try bag.addPayload("history.jsonl.age", bytes: try Age.encrypt(lines, to: recipients, ephemerals: ephemerals))
        if let proof {
            try bag.addPayload("log-proof.tlog-proof", bytes: Array(proof.serialised.utf8))
            try bag.addPayload("log-signer.cert", bytes: certificate)
        }
        return bag
    }
}

extension Store {
    /// The archive's age identity (`AGE-SECRET-KEY-1…`), for an archivist who holds the archive key.
    ///
    /// It opens packages with `age -d -i` or `sealbox archive open`. A secret: the CLI writes it only to a new file
    /// with mode 0600, and the export is logged.
    /// - Throws: `StoreError.notPermitted` / `.noKey`.
    public func archiveIdentity(by archivist: UnlockedUser, at now: Timestamp) throws -> AgeIdentity {
        guard policies.scope(of: archivist.actor, for: .archive) != nil else {
            throw StoreError(.notPermitted, "\(archivist.id) may not hold the archive identity")
        }
        return try write { db in
            let secret = try Self.openGroupSecret(db, "archive", for: archivist)
            try Self.appendEvent(
                db, CaseEvent(kind: "archive.identity_exported", caseNumber: nil, actor: archivist.id, at: now))
            try Self.signCheckpoint(db, by: archivist)
            return AgeIdentity(secret.box)
        }
    }
}

/// The order of an export's records: once one fails, every later one is refused and its partial files removed, so
/// that nothing is recorded after a gap in the chain. (Records run on one serial queue; the lock is for the
/// compiler's sake.)
final class RecordChain: Sendable {
    private let broken = Mutex(false)

    /// Runs `record` unless an earlier record failed; marks the chain broken if this one fails.
    /// - Throws: `StoreError.busy` when an earlier batch was not recorded; whatever `record` throws.
    func record<T>(_ temporaries: [String], _ record: () throws -> T) throws -> T {
        guard !broken.withLock({ $0 }) else {
            Store.removePartials(temporaries)
            throw StoreError(.busy, "an earlier batch of this export was not recorded; run the export again")
        }
        do {
            return try record()
        } catch {
            broken.withLock { $0 = true }
            throw error
        }
    }
}

/// Work started on a queue now, its result claimed later (one claimer).
final class Pending<T: Sendable>: @unchecked Sendable {
    // Unchecked: `result` is written once on the queue before `group.leave()` and read only after `group.wait()`.
    private let group = DispatchGroup()
    private var result: Result<T, any Error>?

    init(on queue: DispatchQueue, _ work: @escaping @Sendable () throws -> T) {
        group.enter()
        queue.async {
            self.result = Result { try work() }
            self.group.leave()
        }
    }

    /// Whether the work is done (its result can be claimed without waiting).
    var isFinished: Bool { group.wait(timeout: .now()) == .success }

    /// Waits for the work and returns its result or throws its error.
    func wait() throws -> T {
        group.wait()
        guard let result else { throw StoreError(.database, "a pending export step did not run") }
        return try result.get()
    }
}

/// An exclusive lock on a file beside the store, so that two exports never number packages alike.
struct ExportLock {
    private let descriptor: Int32

    /// Takes the lock, or refuses at once when another process holds it.
    /// - Throws: `StoreError.busy` when held; `.database` when the lock file cannot be opened.
    init(path: String) throws {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StoreError(.database, "cannot open the export lock \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError(.busy, "another archive export is running on this store; try again when it ends")
        }
    }

    /// Releases the lock.
    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
