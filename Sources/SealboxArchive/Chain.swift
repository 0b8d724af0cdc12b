public import SealboxCrypto
import SealboxLog

/// One package's verdict within a chain.
public struct PackageReport: Sendable {
    /// The file.
    public var path: String
    /// The bag's own findings.
    public var bag: BagReport
    /// `Sealbox-Sequence`.
    public var sequence: Int?
    /// Problems with the chain or the log proof, besides the bag's.
    public var problems: [String] = []

    /// Whether the package verified.
    public var isValid: Bool { bag.isValid && problems.isEmpty }
}

/// Verifies archive packages as a chain, with no secret key: each bag (streamed), the signature by the trusted
/// archive key, the sequence (gaps, reordering, duplicates), each package's link to the previous one's tag manifest,
/// and the inclusion of the case's closing event in the signed checkpoint its log proof carries.
public enum ArchiveChain {
    /// Verifies `paths` (any order).
    /// - Throws: `ArchiveError` when a tar itself is refused (unsafe entry, unreadable).
    public static func verify(_ paths: [String], trusting key: Minisign.PublicKey) throws -> [PackageReport] {
        var reports: [PackageReport] = []
        for path in paths {
            var report = PackageReport(path: path, bag: try BagVerifier.verify(path: path, trusting: key))
            report.sequence = report.bag.info["Sealbox-Sequence"].flatMap { Int($0) }
            if report.sequence == nil { report.problems.append("bag-info.txt: no Sealbox-Sequence") }
            if let proofBytes = report.bag.smallFiles["data/log-proof.tlog-proof"] {
                do {
                    let proof = try TlogProof(parsing: String(decoding: proofBytes, as: UTF8.self))
                    let checkpoint = try Checkpoint(parsing: proof.checkpoint.text)
                    guard let leafText = proof.extra else { throw LogError(.malformed, "no leaf text") }
                    let leaf = Merkle.leafHash(leafText)
                    if !Merkle.verifyInclusion(
                        index: proof.index, size: checkpoint.size, leaf: leaf, proof: proof.proof, root: checkpoint.root
                    ) {
                        report.problems.append("log-proof.tlog-proof: the closing event is not in the checkpointed log")
                    } else if !String(decoding: leafText, as: UTF8.self).contains("case.closed") {
                        report.problems.append("log-proof.tlog-proof: the proved event is not a closing event")
                    }
                } catch {
                    report.problems.append("log-proof.tlog-proof: \(error)")
                }
            } else {
                report.problems.append("data/log-proof.tlog-proof: missing")
            }
            reports.append(report)
        }
        // The chain: sequences 1…n without gaps or duplicates, each linked to the previous tag manifest.
        let ordered = reports.enumerated().sorted { ($0.element.sequence ?? 0) < ($1.element.sequence ?? 0) }
        var previous: (sequence: Int, digest: String)?
        for (index, report) in ordered {
            guard let sequence = report.sequence else { continue }
            let link = report.bag.info["Sealbox-Previous-Package"] ?? ""
            if let prior = previous {
                if sequence == prior.sequence {
                    reports[index].problems.append("Sealbox-Sequence \(sequence) appears twice (a swapped package)")
                } else if sequence != prior.sequence + 1 {
                    reports[index].problems.append(
                        "packages \(prior.sequence + 1)…\(sequence - 1) are missing before this one (a gap)")
                } else if link != prior.digest {
                    reports[index].problems.append(
                        "Sealbox-Previous-Package does not match package \(prior.sequence) (swapped or altered)")
                }
            } else if sequence == 1 && link != "none" {
                reports[index].problems.append("package 1 must not link to a previous package")
            }
            previous = (sequence, report.bag.tagManifestDigest)
        }
        return reports
    }
}

/// Opens a package for an archivist: every payload file written under `folder`, age files decrypted with the
/// identity (each authenticated chunk by chunk; a failure removes what was written of that file).
public enum PackageOpener {
    /// Writes the payload of the package at `path` into `folder/<bag>/…`.
    /// - Returns: the files written, relative to `folder`.
    /// - Throws: `ArchiveError` for a refused tar; `CryptoError` when a payload does not open.
    public static func open(_ path: String, identities: [AgeIdentity], into folder: String) throws -> [String] {
        var written: [String] = []
        try TarReader.forEachEntry(ofFile: path) { name, _, read in
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("data/") else { return }
            let relative = parts[0] + "/" + String(parts[1].dropFirst("data/".count))
            let isAge = relative.hasSuffix(".age")
            let target = folder + "/" + (isAge ? String(relative.dropLast(4)) : relative)
            let directory = String(target[..<(target.lastIndex(of: "/") ?? target.endIndex)])
            try FileStreams.makeDirectory(directory)
            let writer = try FileStreams.Writer(path: target)
            do {
                if isAge {
                    let decryptor = AgeDecryptor(identities: identities)
                    try read { try decryptor.update($0, output: writer.write) }
                    try decryptor.finish(output: writer.write)
                } else {
                    try read { try writer.write($0) }
                }
                try writer.sync()
            } catch {
                FileStreams.remove(target)
                throw error
            }
            written.append(String(target.dropFirst(folder.count + 1)))
        }
        return written
    }
}
