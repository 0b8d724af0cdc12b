import Foundation
import GRDB
public import SealboxArchive
public import SealboxCore
import SealboxCrypto

extension Store {
    /// The last day to keep an archived case: 31 December of the year it closed plus its retention years (archives
    /// count whole years from 1 January after a file is closed); nil for a class kept permanently (0 years).
    public static func keepUntil(closed: CivilDate, years: Int) -> CivilDate? {
        guard years > 0 else { return nil }
        return try? CivilDate(closed.year + years, 12, 31)
    }

    /// Disposes of the archive package at `path` once its retention has ended: a disposal record signed with the
    /// archive key takes its place in the folder (so that the chain still verifies, and says why the package is
    /// gone), the disposal is logged and recorded, the store's own copy of the case is shredded (`shredCase`), and
    /// the package file is removed.
    ///
    /// Refused unless the package verifies against the archive key (a disposal must not hide a tampered package),
    /// is the one this store recorded at its sequence, is not disposed of already, and its retention — the longer of
    /// the years its metadata carries and its class's years now — ended before today; a class kept permanently
    /// never ends. Crash-safe in that order: the record is synced in place before the disposal is recorded, and the
    /// package removed only after; once the package is shown to be this store's, its folder is reconciled first
    /// (`reconcileArchive`: a package whose disposal was recorded goes, and a record whose disposal was not). One
    /// archive operation at a time.
    /// - Parameters:
    ///   - path: the package file.
    ///   - authorization: the reference of the decision that authorised the disposal (printable ASCII; the record
    ///     is clear text, so no names).
    ///   - archivist: an archivist holding the archive signing key.
    ///   - now: the time; its local date is the disposal's.
    /// - Returns: the record written.
    /// - Throws: `StoreError.notPermitted` / `.noKey`; `.invalidInput` for a bad authorization; `.refused` when the
    ///   retention has not ended, the class is permanent, the package is not this store's or already disposed of;
    ///   `.corrupted` when it does not verify; `.notFound` when it cannot be read; `.busy` during an export.
    @discardableResult
    public func disposeArchivePackage(
        at path: String, authorization: String, by archivist: UnlockedUser, at now: Timestamp
    ) throws -> DisposalRecord {
        guard policies.scope(of: archivist.actor, for: .archive) != nil else {
            throw StoreError(.notPermitted, "\(archivist.id) may not dispose of archive packages")
        }
        guard DisposalRecord.isValidAuthorization(authorization) else {
            throw StoreError(
                .invalidInput,
                "the authorization must be a reference of 1–\(DisposalRecord.maxAuthorization) printable ASCII "
                    + "characters (the record is clear text: no names)")
        }
        let lock = try ExportLock(path: self.path + "-archive.lock")
        defer { lock.release() }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let fileName = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let (_, trusted) = try archiveKeys()
        let report: BagReport
        do { report = try BagVerifier.verify(path: path, trusting: trusted) } catch let error as ArchiveError {
            throw StoreError(error.code == .io ? .notFound : .corrupted, "\(path): \(error.message)")
        }
        guard report.isValid else {
            throw StoreError(
                .corrupted,
                "\(path) does not verify (\(report.problems.first ?? "")); a disposal must not hide a tampered package")
        }
        guard let sequence = report.info["Sealbox-Sequence"].flatMap({ Int($0) }),
            let previous = report.info["Sealbox-Previous-Package"],
            let metadata = report.smallFiles["data/metadata.json"].flatMap({
                try? JSONDecoder().decode([String: String].self, from: Data($0))
            }),
            let closed = metadata["closed"].flatMap({ try? CivilDate(parsing: $0) }),
            let retentionClass = metadata["retention_class"],
            let carried = metadata["retention_years"].flatMap(Int.init)
        else { throw StoreError(.corrupted, "\(path) lacks its sequence, closing date or retention class") }
        // The longer retention wins; 0 (permanent) in either wins over any number of years.
        let current = policies.retentionClasses[retentionClass] ?? carried
        let years = carried == 0 || current == 0 ? 0 : max(carried, current)
        guard let keepUntil = Self.keepUntil(closed: closed, years: years) else {
            throw StoreError(.refused, "\(fileName) is kept permanently (retention class \(retentionClass))")
        }
        let today = policies.localDate(now)
        guard today > keepUntil else {
            throw StoreError(
                .refused, "\(fileName) must be kept until \(keepUntil) (retention class \(retentionClass))")
        }
        let number = try CaseNumber(parsing: report.name)
        let (key, disposedAlready) = try read { db -> (Minisign.SecretKey, Bool) in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT case_number, tag_digest, file_name, disposed_at FROM archive_packages
                        WHERE sequence = ?
                        """, arguments: [sequence]),
                row["case_number"] as String == report.name, row["tag_digest"] as String == report.tagManifestDigest,
                row["file_name"] as String == fileName
            else { throw StoreError(.refused, "\(fileName) is not the package this store recorded as \(sequence)") }
            guard let seed = try Self.openGroupSecret(db, "archive", for: archivist).seal else {
                throw StoreError(.noKey, "\(archivist.id) does not hold the archive signing key")
            }
            let sealKey = try SigningSecretKey(seed: seed)
            return (
                Minisign.SecretKey(key: sealKey, keyID: try Self.minisignKeyID(sealKey.publicKey)),
                row["disposed_at"] != nil
            )
        }
        // The package is this store's, so its folder is this store's archive: bring it in line first (a package
        // whose disposal was recorded goes, a record whose disposal was not goes too).
        _ = try reconcileArchive(folder: folder, locked: true)
        guard !disposedAlready else {
            throw StoreError(
                .refused, "package \(sequence) (\(number)) is disposed of already (this copy was left behind: removed)")
        }
        let record = DisposalRecord(
            sequence: sequence, caseNumber: report.name, packageFile: fileName,
            tagManifestDigest: report.tagManifestDigest, previousPackage: previous, closed: "\(closed)",
            retentionClass: retentionClass, retentionYears: years, keepUntil: "\(keepUntil)", disposed: "\(today)",
            disposedBy: archivist.id.rawValue, authorization: authorization)
        let (text, signature) = try record.signed(with: key)
        let recordName = DisposalRecord.fileName(forPackage: fileName)
        // The signature first: a record in place is always signed.
        let placed = [(recordName + ".minisig", signature), (recordName, text)]
        do {
            for (name, bytes) in placed {
                let partial = "\(folder)/.\(name).partial"
                try FileStreams.writeFile(partial, bytes)
                guard rename(partial, "\(folder)/\(name)") == 0 else {
                    throw StoreError(.database, "cannot rename \(partial) into place")
                }
            }
            try FileStreams.sync(path: folder)
            try recordDisposal(record, of: number, keepUntil: keepUntil, by: archivist, at: now)
        } catch {
            // Not recorded, the record must not stay: its package still counts, and verify would find both.
            for (name, _) in placed {
                FileStreams.remove("\(folder)/\(name)")
                FileStreams.remove("\(folder)/.\(name).partial")
            }
            try? FileStreams.sync(path: folder)
            throw (error as? CryptoError).map { StoreError(.database, $0.message) } ?? error
        }
        // Page images of what was shredded may still sit in the write-ahead log: write it back and truncate it.
        try? pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        FileStreams.remove(path)
        try? FileStreams.sync(path: folder)
        return record
    }

    /// Records a disposal in one transaction: the package's row marked, the case shredded, the event logged and a
    /// checkpoint signed.
    func recordDisposal(
        _ record: DisposalRecord, of number: CaseNumber, keepUntil: CivilDate, by archivist: UnlockedUser,
        at now: Timestamp
    ) throws {
        try write { db in
            try db.execute(
                sql: "UPDATE archive_packages SET disposed_at = ? WHERE sequence = ? AND disposed_at IS NULL",
                arguments: [now.secondsSinceEpoch, record.sequence])
            guard db.changesCount == 1 else {
                throw StoreError(.refused, "package \(record.sequence) (\(number)) is disposed of already")
            }
            try Self.shredCase(db, number)
            try Self.appendEvent(
                db,
                CaseEvent(
                    kind: "archive.disposed", caseNumber: number, actor: archivist.id, at: now,
                    details: [
                        "sequence": "\(record.sequence)", "tag_digest": record.tagManifestDigest,
                        "keep_until": "\(keepUntil)", "authorization": record.authorization,
                        "record": DisposalRecord.fileName(forPackage: record.packageFile),
                    ]))
            try Self.signCheckpoint(db, by: archivist)
        }
    }

    /// Removes what lets anyone read a disposed case in the store (crypto-shredding), in the disposal's transaction.
    ///
    /// Its case key sealed to each group (without it nothing of the case opens), its attachments' stored bytes and
    /// file keys, its blind-index tags (it can no longer be found by a phone or ID number), its sealed document, the
    /// writer's copy of the reply and the query hash (and nothing is left to index). The clear, PII-free metadata
    /// (number, dates, status, departments, report facts) and its events stay: the log still verifies and the
    /// assessments still count it. With `secure_delete` on, SQLite overwrites the freed bytes.
    static func shredCase(_ db: Database, _ number: CaseNumber) throws {
        let arguments: StatementArguments = [number.description]
        for sql in [
            "DELETE FROM case_keys WHERE case_number = ?", "DELETE FROM attachment_chunks WHERE case_number = ?",
            "UPDATE case_attachments SET sealed_bytes = x'', sealed_file_key = NULL WHERE case_number = ?",
            "DELETE FROM blind_index WHERE case_number = ?",
            """
            UPDATE cases SET sealed_document = x'', citizen_reply = NULL, citizen_box = NULL, query_hash = NULL,
            index_pending = 0 WHERE number = ?
            """,
        ] {
            try db.execute(sql: sql, arguments: arguments)
        }
    }

    /// Why nobody can open case `number` if it was disposed of: its disposal date, or nil.
    static func disposal(of number: CaseNumber, _ db: Database) throws -> Timestamp? {
        try Int64.fetchOne(
            db, sql: "SELECT disposed_at FROM archive_packages WHERE case_number = ? AND disposed_at IS NOT NULL",
            arguments: [number.description]
        ).map { Timestamp(secondsSinceEpoch: $0) }
    }
}
