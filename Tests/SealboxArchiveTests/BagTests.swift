import Foundation
import SealboxCrypto
import SealboxTestSupport
import Testing

@testable import SealboxArchive

/// BagIt bags in pax tars: written by Sealbox, checked by `tar`, the `bagit` validator and `minisign`, and by
/// Sealbox's streaming verifier, which refuses every tampering and every unsafe entry.
struct BagTests {
    static let big = (0..<((1 << 20) + 1)).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    /// Writes a two-file bag; returns its tar path and the signing key.
    static func makeBag(in dir: URL, signer: Minisign.SecretKey) throws -> (String, String) {
        let path = dir.appendingPathComponent("2026-000123.tar").path
        let bag = try BagWriter(path: path, bagName: "2026-000123", modificationTime: 1_772_413_200)
        try bag.addPayload("metadata.json", bytes: Array(#"{"number":"2026-000123"}"#.utf8))
        try bag.addPayload("letter.json.age", size: big.count) { emit in
            try big.withUnsafeBytes { b in
                var offset = 0
                while offset < b.count {
                    let end = min(offset + 10_000, b.count)
                    try emit(UnsafeRawBufferPointer(rebasing: b[offset..<end]))
                    offset = end
                }
            }
        }
        let digest = try bag.finish(
            info: [("Source-Organization", "Sealbox test"), ("External-Identifier", "2026-000123")],
            baggingDate: "2026-03-02", signer: signer, trustedComment: "Sealbox-Sequence: 1")
        return (path, digest)
    }

    /// Bags whose payload digests are left for later and worked out together (`digestPayloads`, eight files at a
    /// time on AVX-512) are byte for byte the bags hashed on the way: small files kept in memory, a file past the
    /// kept bytes hashed on the way all the same, several bags at once; and they verify.
    @Test func bagsHashedTogetherLaterAreTheBagsHashedOnTheWay() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag-lanes")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Minisign.SecretKey(key: .generate())
        let payloads: [[(String, [UInt8])]] = (0..<11).map { n in
            var files = [("metadata.json", Array("{\"n\":\(n)}".utf8)), ("a.age", SecureRandom.bytes(n * 3001))]
            if n % 4 == 1 { files.append(("big.age", SecureRandom.bytes(BagWriter.keptBytes + 1 + n))) }
            return files
        }
        func write(deferring: Bool) throws -> [[UInt8]] {
            let bags = try payloads.indices.map { n in
                let bag = try BagWriter(
                    path: dir.appendingPathComponent("\(deferring)-\(n).tar").path, bagName: "2026-00012\(n)",
                    modificationTime: 1_772_413_200, deferringDigests: deferring)
                for (name, bytes) in payloads[n] {
                    try bag.addPayload(name, size: bytes.count) { emit in
                        try bytes.withUnsafeBytes { b in
                            var offset = 0
                            repeat {
                                let end = min(offset + 7000, b.count)
                                try emit(UnsafeRawBufferPointer(rebasing: b[offset..<end]))
                                offset = end
                            } while offset < b.count
                        }
                    }
                }
                try bag.startWriteback()
                return bag
            }
            if deferring { BagWriter.digestPayloads(bags) }
            return try bags.indices.map { n in
                _ = try bags[n].finish(
                    info: [("External-Identifier", "2026-00012\(n)")], baggingDate: "2026-03-02", signer: key,
                    trustedComment: "Sealbox-Sequence: \(n)")
                let path = dir.appendingPathComponent("\(deferring)-\(n).tar").path
                #expect(try BagVerifier.verify(path: path, trusting: key.publicKey).isValid)
                return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        #expect(try write(deferring: true) == write(deferring: false))
    }

    @Test func aBagVerifiesHereAndWithTheStandardTools() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Minisign.SecretKey(key: .generate())
        let (path, digest) = try Self.makeBag(in: dir, signer: key)
        let report = try BagVerifier.verify(path: path, trusting: key.publicKey)
        #expect(report.isValid, "\(report.problems)")
        #expect(report.name == "2026-000123" && report.tagManifestDigest == digest)
        #expect(report.info["Payload-Oxum"] == "\(Self.big.count + 24).2")
        guard let tar = ExternalTools.find("tar") else {
            print("bag interop: tar not found; skipped")
            return
        }
        #expect(try ExternalTools.run(tar, ["-xf", path], in: dir).status == 0)
        let bagDir = dir.appendingPathComponent("2026-000123")
        if let python = ExternalTools.find("python3"),
            try ExternalTools.run(python, ["-c", "import bagit"], in: dir).status == 0
        {
            let validated = try ExternalTools.run(python, ["-m", "bagit", "--validate", bagDir.path], in: dir)
            #expect(validated.status == 0, "bagit validator: \(validated.output)")
        } else {
            print("bag interop: the python bagit module is not installed; skipped (Tools/test installs it)")
        }
        if let minisign = ExternalTools.find("minisign") {
            try Array(key.publicKey.fileText.utf8).withUnsafeBytes {
                try Data($0).write(to: dir.appendingPathComponent("archive.pub"))
            }
            let checked = try ExternalTools.run(
                minisign, ["-V", "-p", "archive.pub", "-m", "2026-000123/tagmanifest-sha512.txt"], in: dir)
            #expect(checked.status == 0, "minisign: \(checked.output)")
        }
        // sha512sum agrees with the manifest.
        if let sha = ExternalTools.find("sha512sum") {
            let summed = try ExternalTools.run(sha, ["-c", "manifest-sha512.txt"], in: bagDir)
            #expect(summed.status == 0, "sha512sum: \(summed.output)")
        }
    }

    @Test func aBagTheDiskRefusesFailsWithTheDisksError() throws {
        guard FileStreams.exists("/dev/full") else {
            print("bag write failure: /dev/full is absent; skipped")
            return
        }
        // A payload larger than one gathered write fails as it is written; a small bag fails when it is finished.
        // Either way the error names the file and the system's error (ENOSPC), not libarchive's bare "write error".
        let large = try BagWriter(path: "/dev/full", bagName: "2026-000123", modificationTime: 0)
        let refused = #expect(throws: ArchiveError.self) {
            try large.addPayload("letter.json.age", bytes: Self.big)
        }
        #expect(refused?.code == .io && refused?.message.contains("/dev/full (errno \(ENOSPC))") == true)
        let small = try BagWriter(path: "/dev/full", bagName: "2026-000123", modificationTime: 0)
        try small.addPayload("metadata.json", bytes: Array("{}".utf8))
        let unfinished = #expect(throws: ArchiveError.self) {
            _ = try small.finish(
                info: [], baggingDate: "2026-03-02", signer: Minisign.SecretKey(key: .generate()),
                trustedComment: "Sealbox-Sequence: 1", sync: false)
        }
        #expect(unfinished?.message.contains("errno \(ENOSPC)") == true, "\(String(describing: unfinished))")
    }

    @Test func aFlippedByteOrAnotherKeyIsNamed() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Minisign.SecretKey(key: .generate())
        let (path, _) = try Self.makeBag(in: dir, signer: key)
        let other = Minisign.SecretKey(key: .generate())
        let wrongKey = try BagVerifier.verify(path: path, trusting: other.publicKey)
        #expect(wrongKey.problems.contains { $0.contains("not signed by the trusted archive key") })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // The big payload starts after its 512-byte pax headers; flip a byte well inside it.
        let needle = Data("letter.json.age".utf8)
        let at = try #require(bytes.range(of: needle)).upperBound + 4096
        bytes[at] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        let flipped = try BagVerifier.verify(path: path, trusting: key.publicKey)
        #expect(
            flipped.problems.contains { $0.contains("data/letter.json.age: SHA-512 does not match") },
            "\(flipped.problems)")
    }

    /// A bag whose tag files are written by hand, `manifest` being the payload manifest's text for one payload file
    /// `data/100%.txt`.
    static func handMadeBag(in dir: URL, signer: Minisign.SecretKey, manifest: (String) -> String) throws -> String {
        let path = dir.appendingPathComponent("hand-\(UUID().uuidString).tar").path
        let tar = try TarWriter(path: path, modificationTime: 1_772_413_200)
        let payload = Array("100% sealed\n".utf8)
        try tar.add("b/data/100%.txt", bytes: payload)
        let bagit = Array("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".utf8)
        let info = Array("Payload-Oxum: \(payload.count).1\r\nBagging-Date:\t2026-03-02 \r\n".utf8)
        let manifestBytes = Array(manifest(Hex.encode(SHA512.hash(payload))).utf8)
        func line(_ bytes: [UInt8], _ name: String) -> String { Hex.encode(SHA512.hash(bytes)) + "  \(name)\r\n" }
        let tagManifest = Array(
            (line(bagit, "bagit.txt") + line(info, "bag-info.txt") + line(manifestBytes, "manifest-sha512.txt")).utf8)
        let signature = try Minisign.sign(tagManifest, with: signer, trustedComment: "hand-made")
        for (name, bytes) in [
            ("bagit.txt", bagit), ("bag-info.txt", info), ("manifest-sha512.txt", manifestBytes),
            ("tagmanifest-sha512.txt", tagManifest), ("tagmanifest-sha512.txt.minisig", Array(signature.fileText.utf8)),
        ] {
            try tar.add("b/\(name)", bytes: bytes)
        }
        try tar.close()
        return path
    }

    /// RFC 8493 lets other tools write CRLF lines, tabs, upper-case hex and percent-encoded paths: the byte-level
    /// reader takes them, and still names a malformed or doubled line.
    @Test func manifestsFromOtherToolsAreReadAsRFC8493Allows() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Minisign.SecretKey(key: .generate())
        let good = try BagVerifier.verify(
            path: try Self.handMadeBag(in: dir, signer: key) { "\($0.uppercased())\tdata/100%25.txt\r\n" },
            trusting: key.publicKey)
        #expect(good.isValid, "\(good.problems)")
        #expect(good.info["Bagging-Date"] == "2026-03-02" && good.info["Payload-Oxum"] == "12.1")
        let malformed = try BagVerifier.verify(
            path: try Self.handMadeBag(in: dir, signer: key) { "\($0)  data/100%25.txt\nzz-not-hex  data/x\n" },
            trusting: key.publicKey)
        #expect(malformed.problems == ["manifest-sha512.txt: malformed line"])
        let doubled = try BagVerifier.verify(
            path: try Self.handMadeBag(in: dir, signer: key) { "\($0)  data/100%25.txt\n\($0)  data/100%.txt\n" },
            trusting: key.publicKey)
        #expect(doubled.problems == ["manifest-sha512.txt: data/100%.txt listed twice"])
        let wrongDigest = try BagVerifier.verify(
            path: try Self.handMadeBag(in: dir, signer: key) { _ in
                String(repeating: "ab", count: 64) + "  data/100%25.txt\n"
            },
            trusting: key.publicKey)
        #expect(wrongDigest.problems == ["data/100%.txt: SHA-512 does not match the manifest"])
    }

    /// A payload path with `%`, CR or LF is percent-encoded in the manifest (RFC 8493 §2.1.3), and verifies; a plain
    /// one is written as it is.
    @Test func manifestPathsArePercentEncoded() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Minisign.SecretKey(key: .generate())
        let path = dir.appendingPathComponent("2026-000123.tar").path
        let bag = try BagWriter(path: path, bagName: "2026-000123", modificationTime: 0)
        for name in ["100%.txt", "a\r\nb.txt", "plain.json"] { try bag.addPayload(name, bytes: Array(name.utf8)) }
        _ = try bag.finish(
            info: [], baggingDate: "2026-03-02", signer: key, trustedComment: "Sealbox-Sequence: 1", sync: false)
        var manifest = ""
        try TarReader.forEachEntry(ofFile: path) { name, _, read in
            guard name.hasSuffix("/manifest-sha512.txt") else { return try read { _ in } }
            try read { manifest += String(decoding: $0, as: UTF8.self) }
        }
        let paths = manifest.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(paths == ["data/100%25.txt", "data/a%0D%0Ab.txt", "data/plain.json"])
        let report = try BagVerifier.verify(path: path, trusting: key.publicKey)
        #expect(report.isValid, "\(report.problems)")
    }

    @Test func unsafeEntriesAreRefused() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["../evil", "/etc/evil", "bag//x"] {
            let path = dir.appendingPathComponent("bad-\(UUID().uuidString).tar").path
            let tar = try TarWriter(path: path, modificationTime: 0)
            try tar.add(name, bytes: [1, 2, 3])
            try tar.close()
            let error = #expect(throws: ArchiveError.self) {
                try TarReader.forEachEntry(ofFile: path) { _, _, _ in }
            }
            #expect(error?.code == .unsafeEntry, "\(name)")
        }
        if let tar = ExternalTools.find("tar") {
            try Data("x".utf8).write(to: dir.appendingPathComponent("target"))
            try FileManager.default.createSymbolicLink(
                atPath: dir.appendingPathComponent("link").path, withDestinationPath: "target")
            #expect(try ExternalTools.run(tar, ["-cf", "link.tar", "link"], in: dir).status == 0)
            let error = #expect(throws: ArchiveError.self) {
                try TarReader.forEachEntry(ofFile: dir.appendingPathComponent("link.tar").path) { _, _, _ in }
            }
            #expect(error?.code == .unsafeEntry)
        }
        #expect(throws: ArchiveError.self) {
            try TarReader.forEachEntry(ofFile: dir.appendingPathComponent("missing.tar").path) { _, _, _ in }
        }
    }

    /// A catalog entry is read from the package's clear metadata and bag-info, skipping the payload; a package with
    /// two bags, no metadata, an oversized one, one that is not an object of strings, or an unsafe entry is refused
    /// with its own message.
    @Test func aCatalogEntryIsReadFromClearMetadataAndHostileOnesAreRefused() throws {
        let dir = try ExternalTools.temporaryFolder("sealbox-bag")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (path, _) = try Self.makeBag(in: dir, signer: Minisign.SecretKey(key: .generate()))
        let entry = try ArchiveCatalog.entry(ofPackage: path)
        #expect(entry.bag == "2026-000123" && entry.metadata == ["number": "2026-000123"] && entry.path == path)
        func tar(_ entries: [(String, [UInt8])]) throws -> String {
            let path = dir.appendingPathComponent("cat-\(UUID().uuidString).tar").path
            let tar = try TarWriter(path: path, modificationTime: 0)
            for (name, bytes) in entries { try tar.add(name, bytes: bytes) }
            try tar.close()
            return path
        }
        // A bag-info with a tab and CRLF is read as the verifier reads it.
        let metadata = Array(#"{"number":"2026-000001","closed":"2026-03-02"}"#.utf8)
        let good = try tar([
            ("b/data/metadata.json", metadata), ("b/bag-info.txt", Array("Sealbox-Sequence:\t7 \r\n".utf8)),
        ])
        let read = try ArchiveCatalog.entry(ofPackage: good)
        #expect(read.sequence == 7 && read.metadata["closed"] == "2026-03-02" && read.bag == "b")
        let refused: [(String, [(String, [UInt8])], String)] = [
            ("two bags", [("a/data/metadata.json", metadata), ("b/bag-info.txt", [])], "more than one bag"),
            ("no metadata", [("b/bag-info.txt", Array("Sealbox-Sequence: 1\n".utf8))], "no data/metadata.json"),
            (
                "oversized",
                [("b/data/metadata.json", [UInt8](repeating: 0x20, count: ArchiveCatalog.maxTagBytes + 1))],
                "larger than 64 KiB"
            ),
            ("not strings", [("b/data/metadata.json", Array(#"{"number":7}"#.utf8))], "not a JSON object of strings"),
            ("not JSON", [("b/data/metadata.json", Array("number: 7".utf8))], "not a JSON object of strings"),
        ]
        for (label, entries, message) in refused {
            let error = #expect(throws: ArchiveError.self, "\(label)") {
                try ArchiveCatalog.entry(ofPackage: try tar(entries))
            }
            #expect(
                error?.code == .invalidBag && error?.message.contains(message) == true,
                "\(label): \(error?.message ?? "")")
        }
        let unsafe = #expect(throws: ArchiveError.self) {
            try ArchiveCatalog.entry(ofPackage: try tar([("../b/data/metadata.json", metadata)]))
        }
        #expect(unsafe?.code == .unsafeEntry)
    }

    /// Tag-file lines and entry paths are read by plain loops that answer as the generic ones they replaced: lines
    /// split at LF, a CR before it dropped, empty lines left out; a path refused when absolute, with an empty or a
    /// `..` component.
    @Test func tagLinesAndEntryPathsAreReadAsBefore() {
        func oldLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
            bytes.split(separator: 0x0A).map { $0.last == 0x0D ? $0.dropLast() : $0 }.filter { !$0.isEmpty }
        }
        func oldSafe(_ name: String) -> Bool {
            !name.isEmpty
                && !name.utf8.split(separator: 0x2F, omittingEmptySubsequences: false).contains {
                    $0.isEmpty || $0.elementsEqual("..".utf8)
                }
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0A, 0x0D, 0x61, 0x2E, 0x2F, 0x20]
        var samples: [[UInt8]] = [
            [], [0x0A], [0x0D], [0x0D, 0x0A], [0x0A, 0x0D], Array("../a".utf8), Array("a/..".utf8),
        ]
        for _ in 0..<5_000 {
            let count = Int.random(in: 0...12, using: &generator)
            samples.append((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        }
        for sample in samples {
            #expect(BagVerifier.lines(sample).map(Array.init) == oldLines(sample).map(Array.init), "\(sample)")
            let name = String(decoding: sample, as: UTF8.self)
            #expect(TarReader.isRelativeWithoutDotDot(name) == oldSafe(name), "\(name.debugDescription)")
        }
    }
}
