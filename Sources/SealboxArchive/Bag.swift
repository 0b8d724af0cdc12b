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

    /// Starts a bag in a new tar file.
    /// - Throws: `ArchiveError.io`.
    public init(path: String, bagName: String, modificationTime: Int) throws {
        precondition(!bagName.contains("/") && !bagName.isEmpty, "a bag name is one path component")
        tar = try TarWriter(path: path, modificationTime: modificationTime)
        name = bagName
    }

    /// Percent-encodes CR, LF and `%` in a manifest path (RFC 8493 §2.1.3).
    static func encodePath(_ path: String) -> String {
        path.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
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
        var hash = SHA512()
        try tar.add("\(name)/data/\(path)", size: size) { write in
            try withoutActuallyEscaping(write) { write in
                try produce { block in
                    hash.update(block)
                    try write(block)
                }
            }
        }
        manifest.append(("data/\(path)", Hex.encode(hash.finalize())))
        octets += size
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
        let bagit = Array("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".utf8)
        var infoLines = info
        infoLines.append(("Bagging-Date", baggingDate))
        infoLines.append(("Payload-Oxum", "\(octets).\(manifest.count)"))
        let bagInfo = Array(infoLines.map { "\($0.0): \($0.1)\n" }.joined().utf8)
        let manifestText = Array(manifest.map { "\($0.digest)  \(Self.encodePath($0.path))\n" }.joined().utf8)
        var tags: [(String, [UInt8])] = [
            ("bagit.txt", bagit), ("bag-info.txt", bagInfo), ("manifest-sha512.txt", manifestText),
        ]
        let tagManifest = Array(
            tags.map { "\(Hex.encode(SHA512.hash($0.1)))  \($0.0)\n" }.joined().utf8)
        let signature = try Minisign.sign(tagManifest, with: signer, trustedComment: trustedComment)
        tags.append(("tagmanifest-sha512.txt", tagManifest))
        tags.append(("tagmanifest-sha512.txt.minisig", Array(signature.fileText.utf8)))
        for (file, bytes) in tags { try tar.add("\(name)/\(file)", bytes: bytes) }
        try tar.close(sync: sync)
        return Hex.encode(SHA512.hash(tagManifest))
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
    /// The payload files, `data/…`, with their SHA-512.
    public var payload: [String: String] = [:]
    /// Small clear payload files (`data/metadata.json`, the log proof), kept for further checks.
    public var smallFiles: [String: [UInt8]] = [:]
    /// Everything wrong, each naming the file.
    public var problems: [String] = []

    /// Whether the bag verified.
    public var isValid: Bool { problems.isEmpty }
}

/// Verifies a bag in a tar by streaming it once, never extracting: structure, every digest, Payload-Oxum, the tag
/// manifest, and its minisign signature by a trusted key.
public enum BagVerifier {
    static let tagLimit = 1 << 20

    /// Verifies the bag in the tar at `path`.
    /// - Throws: `ArchiveError.unsafeEntry` or `.io` when the tar itself is refused; bag problems are in the report.
    public static func verify(path: String, trusting key: Minisign.PublicKey) throws -> BagReport {
        var report = BagReport()
        var tags: [String: [UInt8]] = [:]
        var sizes: [String: Int] = [:]
        try TarReader.forEachEntry(ofFile: path) { name, size, read in
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                report.problems.append("\(name): outside the bag folder")
                return
            }
            if report.name.isEmpty { report.name = parts[0] }
            guard parts[0] == report.name else {
                report.problems.append("\(name): a second top-level folder (a package holds one bag)")
                return
            }
            let inner = parts[1]
            if inner.hasPrefix("data/") {
                var hash = SHA512()
                let keep = size <= 64 * 1024 && !inner.hasSuffix(".age")
                var bytes: [UInt8] = []
                try read { block in
                    hash.update(block)
                    if keep { bytes.append(contentsOf: block) }
                }
                if keep { report.smallFiles[inner] = bytes }
                report.payload[inner] = Hex.encode(hash.finalize())
                sizes[inner] = size
            } else {
                guard size <= tagLimit, !inner.contains("/") else {
                    report.problems.append("\(name): unexpected tag file")
                    return
                }
                var bytes: [UInt8] = []
                try read { bytes.append(contentsOf: $0) }
                tags[inner] = bytes
            }
        }
        func text(_ file: String) -> String? { tags[file].map { String(decoding: $0, as: UTF8.self) } }
        if text("bagit.txt") != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" {
            report.problems.append("bagit.txt: missing or not BagIt 1.0 UTF-8")
        }
        for line in (text("bag-info.txt") ?? "").split(separator: "\n") {
            let kv = line.split(separator: ":", maxSplits: 1)
            if kv.count == 2 { report.info[String(kv[0])] = kv[1].trimmingCharacters(in: .whitespaces) }
        }
        // The payload manifest: every data file listed once, every listed file present, every digest right.
        var listed: [String: String] = [:]
        guard let manifest = text("manifest-sha512.txt") else {
            report.problems.append("manifest-sha512.txt: missing")
            return report
        }
        for line in manifest.split(separator: "\n") {
            let kv = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard kv.count == 2 else {
                report.problems.append("manifest-sha512.txt: malformed line")
                continue
            }
            let file = kv[1].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "%0A", with: "\n")
                .replacingOccurrences(of: "%0D", with: "\r").replacingOccurrences(of: "%25", with: "%")
            if listed[file] != nil { report.problems.append("manifest-sha512.txt: \(file) listed twice") }
            listed[file] = kv[0].lowercased()
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
        let oxum = "\(sizes.values.reduce(0, +)).\(sizes.count)"
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
        for line in String(decoding: tagManifest, as: UTF8.self).split(separator: "\n") {
            let kv = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { continue }
            let file = kv[1].trimmingCharacters(in: .whitespaces)
            tagListed.insert(file)
            if tags[file].map({ Hex.encode(SHA512.hash($0)) }) != kv[0].lowercased() {
                report.problems.append("\(file): SHA-512 does not match the tag manifest")
            }
        }
        for required in ["bagit.txt", "bag-info.txt", "manifest-sha512.txt"] where !tagListed.contains(required) {
            report.problems.append("tagmanifest-sha512.txt: does not cover \(required)")
        }
        do {
            guard let sigText = text("tagmanifest-sha512.txt.minisig") else {
                report.problems.append("tagmanifest-sha512.txt.minisig: missing (the package is unsigned)")
                return report
            }
            try Minisign.verify(try Minisign.Signature(parsing: sigText), content: tagManifest, with: key)
        } catch {
            report.problems.append("tagmanifest-sha512.txt.minisig: \(error) (not signed by the trusted archive key)")
        }
        return report
    }
}
