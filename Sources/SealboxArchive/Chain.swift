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
    /// Whether this is a disposal record standing for a disposed package (`DisposalRecord`), not a package.
    public var isDisposal = false

    /// Whether the package verified.
    public var isValid: Bool { bag.isValid && problems.isEmpty }
}

/// What an auditor pins to check the log proofs' checkpoints: the log's origin and the store's root key (from
/// `sealbox audit trust export`).
public struct LogTrust: Sendable {
    public var origin: String
    public var root: SigningPublicKey

    public init(origin: String, root: SigningPublicKey) {
        self.origin = origin
        self.root = root
    }
}

/// Verifies archive packages as a chain, with no secret key: each bag (streamed), the signature by the trusted
/// archive key, the sequence (gaps, reordering, duplicates), each package's link to the previous one's tag manifest,
/// and the inclusion of the case's closing event in the checkpoint its log proof carries — with a `LogTrust`, also
/// that checkpoint's signature, by a user whose certificate (`data/log-signer.cert`) the pinned root key signed.
public enum ArchiveChain {
    /// Verifies `paths` (any order), the packages in parallel on the machine's cores; a path ending in `.disposal`
    /// is a disposal record standing for the package it disposed of.
    /// - Throws: `ArchiveError` when a tar itself is refused (unsafe entry, unreadable).
    public static func verify(_ paths: [String], trusting key: Minisign.PublicKey, log trust: LogTrust? = nil) throws
        -> [PackageReport]
    {
        var reports = try Parallel.map(paths.count) { i in
            DisposalRecord.isRecord(paths[i])
                ? verifyDisposal(paths[i], trusting: key) : try verifyOne(paths[i], trusting: key, log: trust)
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

    static func verifyOne(_ path: String, trusting key: Minisign.PublicKey, log trust: LogTrust?) throws
        -> PackageReport
    {
        var report = PackageReport(path: path, bag: try BagVerifier.verify(path: path, trusting: key))
        report.sequence = report.bag.info["Sealbox-Sequence"].flatMap { Int($0) }
        if report.sequence == nil { report.problems.append("bag-info.txt: no Sealbox-Sequence") }
        guard let proofBytes = report.bag.smallFiles["data/log-proof.tlog-proof"] else {
            report.problems.append("data/log-proof.tlog-proof: missing")
            return report
        }
        do {
            let proof = try TlogProof(parsing: String(decoding: proofBytes, as: UTF8.self))
            let checkpoint = try Checkpoint(parsing: proof.checkpoint.text)
            guard let leafText = proof.extra else { throw LogError(.malformed, "no leaf text") }
            let leaf = Merkle.leafHash(leafText)
            if !Merkle.verifyInclusion(
                index: proof.index, size: checkpoint.size, leaf: leaf, proof: proof.proof, root: checkpoint.root)
            {
                report.problems.append("log-proof.tlog-proof: the closing event is not in the checkpointed log")
            } else if !Self.isClosing(leafText) {
                report.problems.append("log-proof.tlog-proof: the proved event is not a closing event")
            }
            if let trust {
                let signer = try LogSignerCertificate(
                    parsing: report.bag.smallFiles["data/log-signer.cert"] ?? [], root: trust.root)
                _ = try proof.verify(leaf: leaf, origin: trust.origin, trusted: [signer.verifier])
            }
        } catch let error as LogError {
            report.problems.append("log-proof.tlog-proof: \(error.message)")
        } catch {
            report.problems.append("log-proof.tlog-proof: \(error)")
        }
        return report
    }
}

extension ArchiveChain {
    /// Whether an event leaf (`sealbox-event/v1`, sequence, time, actor, kind, …, one per line) records a closing.
    static func isClosing(_ leaf: [UInt8]) -> Bool {
        let lines = leaf.split(separator: 0x0A, maxSplits: 5, omittingEmptySubsequences: false)
        return lines.count > 4 && lines[0].elementsEqual("sealbox-event/v1".utf8)
            && lines[4].elementsEqual("case.closed".utf8)
    }
}

/// The certificate of the user who signed a package's log checkpoint, as the store's root key signed it:
/// the first line the root's Ed25519 signature (base64), the rest the certified text
/// (`sealbox-user-certificate-v1`, user id, roles, department, X25519 and Ed25519 public keys in hex, one per line).
struct LogSignerCertificate {
    /// The checkpoint key it certifies (`sealbox/user/<id>`).
    let verifier: NoteVerifier

    /// Parses and checks the certificate against the pinned root key.
    /// - Throws: `LogError.badSignature` when the root did not sign it; `.malformed` when unreadable or missing.
    init(parsing bytes: [UInt8], root: SigningPublicKey) throws(LogError) {
        guard let newline = bytes.firstIndex(of: 0x0A),
            let signature = Base64.decode(String(decoding: bytes[..<newline], as: UTF8.self))
        else { throw LogError(.malformed, "data/log-signer.cert is missing or unreadable") }
        let certified = Array(bytes[(newline + 1)...])
        let lines = String(decoding: certified, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count == 6, lines[0] == "sealbox-user-certificate-v1", let sign = Hex.decode(String(lines[5])),
            let key = try? SigningPublicKey(sign)
        else { throw LogError(.malformed, "data/log-signer.cert is not a Sealbox user certificate") }
        guard root.isValidSignature(signature, for: certified) else {
            throw LogError(.badSignature, "the checkpoint signer's certificate is not signed by the trusted root key")
        }
        verifier = try NoteVerifier(name: "sealbox/user/\(lines[1])", key: key)
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
