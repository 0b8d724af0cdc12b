public import Foundation

/// What a package says of itself in clear (M6.1.1 "findable"): its bag, its place in the chain and its PII-free
/// `data/metadata.json`, read with no key and without extracting.
///
/// A finding aid, not a verdict: nothing here is checked against the manifest or the signature (`ArchiveChain`
/// does that, over every byte).
public struct CatalogEntry: Sendable, Equatable {
    /// The package file.
    public var path: String
    /// The bag's folder name: the case number.
    public var bag: String
    /// `Sealbox-Sequence` from `bag-info.txt`, if the package has one that is a number.
    public var sequence: Int?
    /// `data/metadata.json`: number, channel, dates, category, departments, outcome, retention, restricted flag.
    public var metadata: [String: String]
    /// For a disposal record standing for a disposed package, the day it was disposed of.
    public var disposed: String?
}

/// Reads packages' catalog entries.
public enum ArchiveCatalog {
    /// The largest `metadata.json` or `bag-info.txt` read: far above what an export writes (under 1 KiB).
    public static let maxTagBytes = 64 * 1024

    /// Reads the catalog entry of the package at `path`, streaming its tar (the payload's other files are
    /// skipped, not read) under `TarReader`'s rules for untrusted input.
    /// - Throws: `ArchiveError.unsafeEntry` for a refused entry; `.invalidBag` when the package holds more than one
    ///   bag, no `data/metadata.json`, one over `maxTagBytes`, or one that is not a JSON object of strings; `.io`
    ///   when the file cannot be read.
    public static func entry(ofPackage path: String) throws -> CatalogEntry {
        var bag: String?
        var metadata: [UInt8]?
        var bagInfo: [UInt8]?
        try TarReader.forEachEntry(ofFile: path) { name, size, read in
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return }
            if bag == nil { bag = parts[0] }
            guard bag == parts[0] else {
                throw ArchiveError(.invalidBag, "\(path): more than one bag (\(bag ?? "") and \(parts[0]))")
            }
            guard parts[1] == "data/metadata.json" || parts[1] == "bag-info.txt" else { return }
            guard size <= maxTagBytes else {
                throw ArchiveError(.invalidBag, "\(path): \(parts[1]) is larger than \(maxTagBytes / 1024) KiB")
            }
            var bytes: [UInt8] = []
            try read { bytes.append(contentsOf: $0) }
            if parts[1] == "bag-info.txt" { bagInfo = bytes } else { metadata = bytes }
        }
        guard let bag, let metadata else {
            throw ArchiveError(.invalidBag, "\(path): no data/metadata.json in the package")
        }
        guard let fields = try? JSONDecoder().decode([String: String].self, from: Data(metadata)) else {
            throw ArchiveError(.invalidBag, "\(path): data/metadata.json is not a JSON object of strings")
        }
        return CatalogEntry(
            path: path, bag: bag,
            sequence: bagInfo.flatMap { BagVerifier.info($0)["Sealbox-Sequence"] }.flatMap { Int($0) }, metadata: fields
        )
    }

    /// The catalog entry of a disposal record (`DisposalRecord`).
    ///
    /// What it says of the package it stands for, with the outcome `disposed`. Its signature is not checked here
    /// either.
    /// - Throws: `ArchiveError.invalidBag` when it is not a well-formed record; `.io` when it cannot be read.
    public static func entry(ofDisposal path: String) throws -> CatalogEntry {
        let record = try DisposalRecord.read(path).record
        let metadata = [
            "number": record.caseNumber, "closed": record.closed, "retention_class": record.retentionClass,
            "retention_years": "\(record.retentionYears)", "outcome": "disposed",
        ]
        return CatalogEntry(
            path: path, bag: record.caseNumber, sequence: record.sequence, metadata: metadata,
            disposed: record.disposed)
    }
}
