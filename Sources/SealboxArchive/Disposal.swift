public import SealboxCrypto

/// What stands in the chain for a package disposed of after its retention ended: a short text record, signed with
/// the archive key like the packages (`NAME.disposal` and `NAME.disposal.minisig`, which `minisign -V` checks).
///
/// It carries the disposed package's place in the chain — its sequence, the digest of its tag manifest (what the
/// next package links to) and the link it held to the one before — so that the chain still verifies without it, and
/// why it could go: the closing date, the retention class and its years, the last day to keep it, the day it was
/// disposed of, by whom and on what authority. No personal data: the record is clear text.
public struct DisposalRecord: Sendable, Equatable {
    /// `Sealbox-Sequence` of the disposed package.
    public var sequence: Int
    /// The case number (the package's bag name).
    public var caseNumber: String
    /// The disposed package's file name.
    public var packageFile: String
    /// SHA-512 (hex) of the disposed package's tag manifest.
    public var tagManifestDigest: String
    /// The disposed package's `Sealbox-Previous-Package`.
    public var previousPackage: String
    /// The day the case closed (YYYY-MM-DD).
    public var closed: String
    /// The retention class and its years at disposal.
    public var retentionClass: String
    public var retentionYears: Int
    /// The last day the package had to be kept (YYYY-MM-DD).
    public var keepUntil: String
    /// The day it was disposed of (YYYY-MM-DD) and by whom.
    public var disposed: String
    public var disposedBy: String
    /// The reference of the decision that authorised it (printable ASCII, at most `maxAuthorization` characters).
    public var authorization: String

    /// The longest authorization reference a record holds.
    public static let maxAuthorization = 120
    /// The largest record or signature file read.
    public static let maxFileBytes = 64 * 1024

    public init(
        sequence: Int, caseNumber: String, packageFile: String, tagManifestDigest: String, previousPackage: String,
        closed: String, retentionClass: String, retentionYears: Int, keepUntil: String, disposed: String,
        disposedBy: String, authorization: String
    ) {
        self.sequence = sequence
        self.caseNumber = caseNumber
        self.packageFile = packageFile
        self.tagManifestDigest = tagManifestDigest
        self.previousPackage = previousPackage
        self.closed = closed
        self.retentionClass = retentionClass
        self.retentionYears = retentionYears
        self.keepUntil = keepUntil
        self.disposed = disposed
        self.disposedBy = disposedBy
        self.authorization = authorization
    }

    /// What a record's file name ends with (its signature's: this, then `.minisig`).
    public static let fileSuffix = ".disposal"

    /// The record's file name beside a package's: `000003-2026-000123.tar` → `000003-2026-000123.disposal`.
    public static func fileName(forPackage name: String) -> String {
        (name.hasSuffix(".tar") ? String(name.dropLast(4)) : name) + fileSuffix
    }

    /// Whether `path` names a disposal record (rather than a package).
    public static func isRecord(_ path: String) -> Bool { path.hasSuffix(fileSuffix) }

    /// Whether `text` may stand as an authorization reference: 1…`maxAuthorization` printable ASCII characters
    /// (a decision's number, not a person's name).
    public static func isValidAuthorization(_ text: String) -> Bool {
        (1...maxAuthorization).contains(text.utf8.count) && text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
            && text.first != " " && text.last != " "
    }

    /// The record as written, one `Label: value` line each, as `bag-info.txt` has them.
    public var text: String {
        """
        Sealbox-Disposal: 1
        Sealbox-Sequence: \(sequence)
        External-Identifier: \(caseNumber)
        Package-File: \(packageFile)
        Tag-Manifest-SHA512: \(tagManifestDigest)
        Sealbox-Previous-Package: \(previousPackage)
        Closed: \(closed)
        Retention-Class: \(retentionClass)
        Retention-Years: \(retentionYears)
        Keep-Until: \(keepUntil)
        Disposed: \(disposed)
        Disposed-By: \(disposedBy)
        Authorization: \(authorization)

        """
    }

    /// The trusted comment its signature carries.
    public var trustedComment: String { "sealbox disposal record: package \(sequence), case \(caseNumber)" }

    /// Parses a record, checking every label is there and well formed.
    /// - Throws: `ArchiveError.invalidBag` naming the first label missing or malformed.
    public init(parsing bytes: [UInt8]) throws(ArchiveError) {
        let info = BagVerifier.info(bytes)
        func field(_ label: String) throws(ArchiveError) -> String {
            guard let value = info[label], !value.isEmpty else {
                throw ArchiveError(.invalidBag, "the disposal record has no \(label)")
            }
            return value
        }
        func date(_ label: String) throws(ArchiveError) -> String {
            let value = try field(label)
            guard Self.isDate(value) else { throw ArchiveError(.invalidBag, "\(label) is not a date (YYYY-MM-DD)") }
            return value
        }
        func number(_ label: String) throws(ArchiveError) -> Int {
            guard let value = Int(try field(label)), value >= 0 else {
                throw ArchiveError(.invalidBag, "\(label) is not a number")
            }
            return value
        }
        func digest(_ label: String, orNone: Bool) throws(ArchiveError) -> String {
            let value = try field(label)
            guard orNone && value == "none" || Self.isDigest(value) else {
                throw ArchiveError(.invalidBag, "\(label) is not a SHA-512 digest")
            }
            return value
        }
        guard info["Sealbox-Disposal"] == "1" else {
            throw ArchiveError(.invalidBag, "not a Sealbox disposal record (no Sealbox-Disposal: 1)")
        }
        let authorization = try field("Authorization")
        guard Self.isValidAuthorization(authorization) else {
            throw ArchiveError(.invalidBag, "Authorization is not a reference of printable ASCII")
        }
        self.init(
            sequence: try number("Sealbox-Sequence"), caseNumber: try field("External-Identifier"),
            packageFile: try field("Package-File"),
            tagManifestDigest: try digest("Tag-Manifest-SHA512", orNone: false),
            previousPackage: try digest("Sealbox-Previous-Package", orNone: true), closed: try date("Closed"),
            retentionClass: try field("Retention-Class"), retentionYears: try number("Retention-Years"),
            keepUntil: try date("Keep-Until"), disposed: try date("Disposed"), disposedBy: try field("Disposed-By"),
            authorization: authorization)
    }

    /// Reads and parses the record at `path`, with its bytes (what its signature covers).
    /// - Throws: `ArchiveError.io` when it cannot be read or is larger than `maxFileBytes`; `.invalidBag` naming the
    ///   first label missing or malformed.
    public static func read(_ path: String) throws(ArchiveError) -> (bytes: [UInt8], record: DisposalRecord) {
        let bytes: [UInt8]
        do { bytes = try FileStreams.readSmallFile(path, limit: maxFileBytes) } catch {
            throw ArchiveError(.io, "\(path) cannot be read (or is larger than \(maxFileBytes / 1024) KiB)")
        }
        do { return (bytes, try DisposalRecord(parsing: bytes)) } catch {
            throw ArchiveError(.invalidBag, "\(path): \(error.message)")
        }
    }

    /// Signs the record with the archive key: the record's bytes and its `.minisig` file.
    /// - Throws: `CryptoError` when signing fails.
    public func signed(with key: Minisign.SecretKey) throws -> (record: [UInt8], signature: [UInt8]) {
        let record = Array(text.utf8)
        let signature = try Minisign.sign(record, with: key, trustedComment: trustedComment)
        return (record, Array(signature.fileText.utf8))
    }

    /// `YYYY-MM-DD` as digits (ISO dates of that form order as strings do).
    static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 10 && bytes[4] == 0x2D && bytes[7] == 0x2D
            && bytes.enumerated().allSatisfy { $0.offset == 4 || $0.offset == 7 || (0x30...0x39).contains($0.element) }
    }

    /// 128 lowercase hex digits.
    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 128 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

extension ArchiveChain {
    /// Verifies a disposal record at `path` (with `path.minisig`) as a link of the chain.
    ///
    /// Checks its signature by the trusted archive key, its form, and that it was disposed of after its retention
    /// ended. The report's bag stands for the disposed package: its name, `Sealbox-Sequence`,
    /// `Sealbox-Previous-Package` and tag-manifest digest.
    static func verifyDisposal(_ path: String, trusting key: Minisign.PublicKey) -> PackageReport {
        var report = PackageReport(path: path, bag: BagReport())
        report.isDisposal = true
        let bytes: [UInt8]
        let record: DisposalRecord
        do { (bytes, record) = try DisposalRecord.read(path) } catch {
            report.problems.append(error.message)
            return report
        }
        (report.bag.name, report.sequence) = (record.caseNumber, record.sequence)
        report.bag.info = [
            "Sealbox-Sequence": "\(record.sequence)", "Sealbox-Previous-Package": record.previousPackage,
        ]
        report.bag.tagManifestDigest = record.tagManifestDigest
        do {
            let signature = try FileStreams.readSmallFile(path + ".minisig", limit: DisposalRecord.maxFileBytes)
            try Minisign.verify(
                try Minisign.Signature(parsing: String(decoding: signature, as: UTF8.self)), content: bytes, with: key)
        } catch {
            report.problems.append("\(path).minisig: \(error) (the record is not signed by the trusted archive key)")
        }
        let closingYear = Int(record.closed.prefix(4)) ?? 0
        if record.retentionYears == 0 {
            report.problems.append("disposal record: the package was to be kept permanently")
        } else if record.keepUntil != "\(closingYear + record.retentionYears)-12-31" {
            report.problems.append(
                "disposal record: Keep-Until is not 31 December of the closing year plus the retention years")
        } else if record.disposed <= record.keepUntil {
            report.problems.append(
                "disposal record: disposed of on \(record.disposed), before its retention ended (\(record.keepUntil))")
        }
        return report
    }
}
