import Foundation
public import SealboxCrypto

/// Writes one BagIt 1.0 bag (RFC 8493) as a pax tar unpacking to one folder named after the bag: payload files
/// first (each digested with SHA-512 while it streams), then `bagit.txt`, `bag-info.txt` (with Payload-Oxum),
/// `manifest-sha512.txt`, `tagmanifest-sha512.txt` and its minisign signature `tagmanifest-sha512.txt.minisig`.
public final class BagWriter {
    private let tar: TarWriter
    private let name: String
    private var manifest: [(path: String, digest: String)] = []
    private var octets = 0
    /// Whether payload files are kept and hashed later, many at once (`digestPayloads`), rather than on the way.
    private let deferringDigests: Bool
    /// The payload files not hashed yet: their manifest entries and their bytes.
    private var pending: [(entry: Int, bytes: [UInt8])] = []
    /// The bytes of payload files a bag keeps in memory for `digestPayloads`; files past this are hashed on the way.
    ///
    /// So memory stays flat whatever the attachments' sizes (at most this much for each of the eight bags a core
    /// holds before hashing them), and a digest is always of the bytes the export wrote, never of bytes read back
    /// from the disk, where something else could have changed them meanwhile.
    static let keptBytes = 512 * 1024
    private var kept = 0

    /// Starts a bag in a new tar file.
    /// - Parameters:
    ///   - path: the tar file, created or truncated.
    ///   - bagName: the bag's folder in the tar: one path component.
    ///   - modificationTime: every entry's time.
    ///   - deferringDigests: keep the payload files (up to `keptBytes` a bag) and leave their digests to
    ///     `digestPayloads`, which hashes many bags' files at once (`SHA512Lanes`), instead of hashing each file as
    ///     it is written.
    /// - Throws: `ArchiveError.io`.
    public init(path: String, bagName: String, modificationTime: Int, deferringDigests: Bool = false) throws {
        precondition(!bagName.contains("/") && !bagName.isEmpty, "a bag name is one path component")
        tar = try TarWriter(path: path, modificationTime: modificationTime)
        name = bagName
        self.deferringDigests = deferringDigests
    }

    /// Percent-encodes CR, LF and `%` in a manifest path (RFC 8493 §2.1.3).
    static func encodePath(_ path: String) -> String {
        // Most paths have none of the three: returned as they are (Foundation's replacing costs microseconds).
        guard path.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == 0x0D || $0 == 0x0A }) else { return path }
        return path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// Adds a payload file (under `data/`) from memory.
    public func addPayload(_ path: String, bytes: [UInt8]) throws {
        try addPayload(path, size: bytes.count) { emit in try bytes.withUnsafeBytes { try emit($0) } }
    }

    /// Adds a payload file (under `data/`) streamed block by block; its SHA-512 is computed on the way.
    public func addPayload(
        _ path: String, size: Int, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        precondition(payloadTags == nil, "a payload file added after the payload ended")
        octets += size
        if deferringDigests && kept + size <= Self.keptBytes {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(size)
            kept += size
            try tar.add("\(name)/data/\(path)", size: size) { write in
                try withoutActuallyEscaping(write) { write in
                    try produce { block in
                        bytes.append(contentsOf: block)
                        try write(block)
                    }
                }
            }
            pending.append((manifest.count, bytes))
            manifest.append(("data/\(path)", ""))
            return
        }
        let hash = OpenSSLSHA512()
        try tar.add("\(name)/data/\(path)", size: size) { write in
            try withoutActuallyEscaping(write) { write in
                try produce { block in
                    hash.update(block)
                    try write(block)
                }
            }
        }
        manifest.append(("data/\(path)", Hex.encode(hash.finalize())))
    }

    /// Works out the digests `bags` left for later (`deferringDigests`), all their kept payload files together:
    /// eight at a time where the processor has AVX-512 (`SHA512Lanes`).
    public static func digestPayloads(_ bags: [BagWriter]) {
        let digests = SHA512Lanes.digests(of: bags.flatMap { $0.pending.map(\.bytes) })
        var next = 0
        for bag in bags {
            for (entry, _) in bag.pending {
                bag.manifest[entry].digest = Hex.encode(digests[next])
                next += 1
            }
            bag.pending = []
            bag.kept = 0
        }
    }

    /// Writes out the payload written so far and starts the disk on it without waiting (the tag files follow later):
    /// a bag left open meanwhile holds no write buffer.
    /// - Throws: `ArchiveError.io`.
    public func startWriteback() throws {
        try tar.startWriteback()
    }

    /// Writes the tag files, signs the tag manifest, and closes the tar.
    /// - Parameters:
    ///   - info: `bag-info.txt` labels in order (Payload-Oxum and Bagging-Date are added).
    ///   - baggingDate: `YYYY-MM-DD`.
    ///   - signer: the minisign key that signs the tag manifest.
    ///   - trustedComment: the signature's trusted comment.
    ///   - sync: whether to flush the tar to disk (false when the caller syncs a batch of packages itself).
    /// - Returns: the SHA-512 (hex) of the tag manifest: the package's identity in the chain.
    /// - Throws: `ArchiveError.io` when the tar cannot be written; `CryptoError` for a bad trusted comment.
    public func finish(
        info: [(String, String)], baggingDate: String, signer: Minisign.SecretKey, trustedComment: String,
        sync: Bool = true
    ) throws -> String {
        let tags = tagFiles(info: info, baggingDate: baggingDate)
        try finish(writing: tags, signer: signer, trustedComment: trustedComment, sync: sync)
        return tags.digest
    }

    /// A bag's tag files before signing: all a chain of packages needs in order (each names the previous one's
    /// digest); the signature, which nothing later depends on, is made when the bag is finished.
    public struct TagFiles: Sendable {
        /// `bagit.txt`, `bag-info.txt` and `manifest-sha512.txt`.
        public var files: [(String, [UInt8])]
        /// `tagmanifest-sha512.txt`: the digests of those files, which the signature covers.
        public var tagManifest: [UInt8]
        /// The SHA-512 (hex) of the tag manifest: the package's identity in the chain.
        public var digest: String
    }

    /// The tag files that depend on the payload alone, with their tag-manifest lines; worked out once.
    private var payloadTags: (files: [(String, [UInt8])], lines: [String])?

    /// Ends the payload: works out `bagit.txt` and `manifest-sha512.txt` and their digests now, so that
    /// `tagFiles`, which a chain of packages calls in order, has only `bag-info.txt` left to add.
    public func endPayload() {
        guard payloadTags == nil else { return }
        precondition(pending.isEmpty, "a payload digest left for later was never worked out (digestPayloads)")
        let manifestText = Array(manifest.map { "\($0.digest)  \(Self.encodePath($0.path))\n" }.joined().utf8)
        let files = [("bagit.txt", BagVerifier.bagit), ("manifest-sha512.txt", manifestText)]
        payloadTags = (files, files.map(Self.tagManifestLine))
    }

    /// A file's line in the tag manifest.
    static func tagManifestLine(_ file: (String, [UInt8])) -> String {
        "\(Hex.encode(OpenSSLSHA512.hash(file.1)))  \(file.0)\n"
    }

    /// The tag files a finished bag ends with, unsigned, without writing them.
    ///
    /// A chain of packages works these out in order, then signs and writes the packages in parallel. Ends the
    /// payload (`endPayload`) if not yet ended.
    public func tagFiles(info: [(String, String)], baggingDate: String) -> TagFiles {
        endPayload()
        guard let (payloadFiles, payloadLines) = payloadTags else { preconditionFailure("endPayload sets the tags") }
        var infoLines = info
        infoLines.append(("Bagging-Date", baggingDate))
        infoLines.append(("Payload-Oxum", "\(octets).\(manifest.count)"))
        let bagInfo = ("bag-info.txt", Array(infoLines.map { "\($0.0): \($0.1)\n" }.joined().utf8))
        let tagManifest = Array((payloadLines[0] + Self.tagManifestLine(bagInfo) + payloadLines[1]).utf8)
        return TagFiles(
            files: [payloadFiles[0], bagInfo, payloadFiles[1]], tagManifest: tagManifest,
            digest: Hex.encode(OpenSSLSHA512.hash(tagManifest)))
    }

    /// Signs the tag manifest of `tags` (from `tagFiles`), writes the tag files and the signature, and closes the
    /// tar, flushing it to disk unless `sync` is false.
    /// - Throws: `ArchiveError.io`; `CryptoError` for a bad trusted comment.
    public func finish(
        writing tags: TagFiles, signer: Minisign.SecretKey, trustedComment: String, sync: Bool = true
    ) throws {
        let signature = try Minisign.sign(tags.tagManifest, with: signer, trustedComment: trustedComment)
        let signed = [
            ("tagmanifest-sha512.txt", tags.tagManifest),
            ("tagmanifest-sha512.txt.minisig", Array(signature.fileText.utf8)),
        ]
        for (file, bytes) in tags.files + signed { try tar.add("\(name)/\(file)", bytes: bytes) }
        try tar.close(sync: sync)
    }
}

/// What verifying a bag found.
public struct BagReport: Sendable {
    /// The bag's folder name.
    public var name = ""
    /// `bag-info.txt` labels.
    public var info: [String: String] = [:]
    /// SHA-512 (hex) of the tag manifest.
    public var tagManifestDigest = ""
    /// The payload files, `data/…`, with their SHA-512 (raw bytes).
    public var payload: [String: [UInt8]] = [:]
    /// Small clear payload files (`data/metadata.json`, the log proof), kept for further checks.
    public var smallFiles: [String: [UInt8]] = [:]
    /// Everything wrong, each naming the file.
    public var problems: [String] = []

    /// Whether the bag verified.
    public var isValid: Bool { problems.isEmpty }
}

/// Verifies a bag in a tar by streaming it once, never extracting: structure, every digest, Payload-Oxum, the tag
/// manifest, and its minisign signature by a trusted key.
///
/// Tag files are parsed as bytes and digests compared raw: at archive sizes the hashing and the two Ed25519
/// verifications are the cost, and text handling must not add to it.
public enum BagVerifier {
    static let tagLimit = 1 << 20

    /// Verifies the bag in the tar at `path`.
    /// - Throws: `ArchiveError.unsafeEntry` or `.io` when the tar itself is refused; bag problems are in the report.
    public static func verify(path: String, trusting key: Minisign.PublicKey) throws -> BagReport {
        var report = BagReport()
        var tags: [String: [UInt8]] = [:]
        var octets = 0
        try TarReader.forEachEntry(ofFile: path) { name, size, read in
            let bytes = name.utf8
            guard let slash = bytes.firstIndex(of: 0x2F) else {
                report.problems.append("\(name): outside the bag folder")
                return
            }
            let folder = String(name[..<slash])
            let inner = String(name[bytes.index(after: slash)...])
            if report.name.isEmpty { report.name = folder }
            guard folder == report.name else {
                report.problems.append("\(name): a second top-level folder (a package holds one bag)")
                return
            }
            if inner.utf8.starts(with: "data/".utf8) {
                var hash = SHA512()
                let keep = size <= 64 * 1024 && !inner.hasSuffix(".age")
                var kept: [UInt8] = []
                if keep { kept.reserveCapacity(size) }
                try read { block in
                    hash.update(block)
                    if keep { kept.append(contentsOf: block) }
                }
                if keep { report.smallFiles[inner] = kept }
                report.payload[inner] = hash.finalize()
                octets += size
            } else {
                guard size <= tagLimit, !inner.utf8.contains(0x2F) else {
                    report.problems.append("\(name): unexpected tag file")
                    return
                }
                var kept: [UInt8] = []
                kept.reserveCapacity(size)
                try read { kept.append(contentsOf: $0) }
                tags[inner] = kept
            }
        }
        if tags["bagit.txt"].map({ $0.elementsEqual(Self.bagit) }) != true {
            report.problems.append("bagit.txt: missing or not BagIt 1.0 UTF-8")
        }
        report.info = Self.info(tags["bag-info.txt"] ?? [])
        // The payload manifest: every data file listed once, every listed file present, every digest right.
        guard let manifest = tags["manifest-sha512.txt"] else {
            report.problems.append("manifest-sha512.txt: missing")
            return report
        }
        var listed: [String: [UInt8]] = [:]
        for line in Self.lines(manifest) {
            guard let (digest, file) = Self.manifestLine(line) else {
                report.problems.append("manifest-sha512.txt: malformed line")
                continue
            }
            if listed.updateValue(digest, forKey: file) != nil {
                report.problems.append("manifest-sha512.txt: \(file) listed twice")
            }
        }
        for (file, digest) in report.payload.sorted(by: { $0.key < $1.key }) {
            guard let expected = listed[file] else {
                report.problems.append("\(file): in the payload but not in the manifest")
                continue
            }
            if expected != digest { report.problems.append("\(file): SHA-512 does not match the manifest") }
        }
        for file in listed.keys.sorted() where report.payload[file] == nil {
            report.problems.append("\(file): in the manifest but missing from the payload")
        }
        let oxum = "\(octets).\(report.payload.count)"
        if report.info["Payload-Oxum"] != oxum {
            report.problems.append(
                "bag-info.txt: Payload-Oxum is \(report.info["Payload-Oxum"] ?? "missing"), payload is \(oxum)")
        }
        // The tag manifest and its signature.
        guard let tagManifest = tags["tagmanifest-sha512.txt"] else {
            report.problems.append("tagmanifest-sha512.txt: missing")
            return report
        }
        report.tagManifestDigest = Hex.encode(SHA512.hash(tagManifest))
        var tagListed = Set<String>()
        for line in Self.lines(tagManifest) {
            guard let (digest, file) = Self.manifestLine(line) else { continue }
            tagListed.insert(file)
            if tags[file].map({ SHA512.hash($0) }) != digest {
                report.problems.append("\(file): SHA-512 does not match the tag manifest")
            }
        }
        for required in ["bagit.txt", "bag-info.txt", "manifest-sha512.txt"] where !tagListed.contains(required) {
            report.problems.append("tagmanifest-sha512.txt: does not cover \(required)")
        }
        do {
            guard let signature = tags["tagmanifest-sha512.txt.minisig"] else {
                report.problems.append("tagmanifest-sha512.txt.minisig: missing (the package is unsigned)")
                return report
            }
            try Minisign.verify(
                try Minisign.Signature(parsing: String(decoding: signature, as: UTF8.self)), content: tagManifest,
                with: key)
        } catch {
            report.problems.append("tagmanifest-sha512.txt.minisig: \(error) (not signed by the trusted archive key)")
        }
        return report
    }

    /// `bagit.txt` as BagIt 1.0 has it: what a writer writes and a verifier expects, byte for byte.
    static let bagit = Array("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".utf8)

    /// The labels of a `bag-info.txt` (RFC 8493 §2.2.2), each value trimmed; a later label of the same name wins.
    static func info(_ bagInfo: [UInt8]) -> [String: String] {
        var info: [String: String] = [:]
        for line in lines(bagInfo) {
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            info[String(decoding: line[..<colon], as: UTF8.self)] = String(
                decoding: trimmed(line[(colon + 1)...]), as: UTF8.self)
        }
        return info
    }

    /// The non-empty lines of a tag file, without a trailing CR.
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        // A plain loop: the generic `split(separator:)` ran unspecialised here, at several nanoseconds a byte.
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        func append(upTo end: Int) {
            let stop = end > start && bytes[end - 1] == 0x0D ? end - 1 : end
            if stop > start { lines.append(bytes[start..<stop]) }
        }
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<b.count where b[i] == 0x0A {
                append(upTo: i)
                start = i + 1
            }
        }
        append(upTo: bytes.count)
        return lines
    }

    /// `bytes` without leading and trailing spaces and tabs.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard let first = bytes.firstIndex(where: { !blank($0) }), let last = bytes.lastIndex(where: { !blank($0) })
        else { return [] }
        return bytes[first...last]
    }

    /// A manifest line, `<hex digest> <whitespace> <path>`: the digest's bytes and the path with RFC 8493's percent
    /// encoding of CR, LF and `%` undone; `nil` when malformed.
    static func manifestLine(_ line: ArraySlice<UInt8>) -> ([UInt8], String)? {
        guard let gap = line.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }),
            let digest = Hex.decode(utf8: line[..<gap])
        else { return nil }
        let path = trimmed(line[gap...])
        guard !path.isEmpty else { return nil }
        var file = String(decoding: path, as: UTF8.self)
        if path.contains(0x25) {
            file = file.replacingOccurrences(of: "%0A", with: "\n").replacingOccurrences(of: "%0D", with: "\r")
                .replacingOccurrences(of: "%25", with: "%")
        }
        return (digest, file)
    }
}
