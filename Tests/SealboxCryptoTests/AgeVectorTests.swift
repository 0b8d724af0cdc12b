import Foundation
import SealboxTestSupport
import Testing

@testable import SealboxCrypto

/// Runs every applicable vector of the C2SP age test kit (`../shared/vectors/age`).
struct AgeVectorTests {
    struct Vector {
        var name: String
        var expect: String
        var payloadHash: String?
        var identities: [String] = []
        var passphrase = false
        var compressed = false
        var body: Data
    }

    static func parse(_ url: URL) throws -> Vector {
        let data = try Data(contentsOf: url)
        let separator = Data("\n\n".utf8)
        guard let range = data.range(of: separator) else { throw CryptoError(.invalidInput, "vector has no body") }
        let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
        var vector = Vector(name: url.lastPathComponent, expect: "", body: data[range.upperBound...])
        for line in head.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "expect": vector.expect = parts[1]
            case "payload": vector.payloadHash = parts[1]
            case "identity": vector.identities.append(parts[1])
            case "passphrase": vector.passphrase = true
            case "compressed": vector.compressed = parts[1] == "zlib"
            default: break
            }
        }
        return vector
    }

    static func inflate(_ data: Data) throws -> Data {
        let script = "import sys,zlib;sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"
        let python = try #require(ExternalTools.find("python3"))
        let result = try ExternalTools.run(python, ["-c", script], input: data)
        guard result.status == 0 else { throw CryptoError(.invalidInput, "zlib: \(result.stderr)") }
        return result.stdout
    }

    static let expectedCodes: [String: CryptoError.Code] = [
        "armor failure": .ageArmor, "header failure": .ageHeader, "HMAC failure": .ageHeaderMAC,
        "no match": .ageNoMatch, "payload failure": .agePayload,
    ]

    @Test func everyApplicableVectorGivesTheExpectedResult() throws {
        guard let folder = TestSupport.ageVectors else {
            print("age vectors: folder ../shared/vectors/age absent; skipped (set SEALBOX_VECTORS to run them)")
            return
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .filter { $0 != "README.md" && $0 != "LICENSE" }
        var passed = 0
        var skipped: [String] = []
        var failures: [String] = []
        for name in names {
            let vector = try Self.parse(folder.appendingPathComponent(name))
            let identities = vector.identities.compactMap { try? AgeIdentity(parsing: $0) }
            if vector.passphrase || identities.isEmpty {
                skipped.append(name)  // scrypt passphrases and ML-KEM hybrid identities are not offered
                continue
            }
            let file = vector.compressed ? try Self.inflate(vector.body) : vector.body
            do {
                let plain = try Age.decrypt(Array(file), identities: identities)
                if vector.expect == "success" && Hex.encode(SHA256.hash(plain.testBytes)) == vector.payloadHash {
                    passed += 1
                } else {
                    failures.append("\(name): decrypted, expected \(vector.expect)")
                }
            } catch let error as CryptoError {
                if vector.expect != "success", error.code == Self.expectedCodes[vector.expect] {
                    passed += 1
                } else {
                    failures.append("\(name): \(error.code) (\(error.message)), expected \(vector.expect)")
                }
            }
        }
        print(
            "age vectors: \(passed) passed / \(failures.count) failed / \(skipped.count) skipped (scrypt or ML-KEM)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(passed >= 90, "expected at least 90 applicable vectors, ran \(passed)")
    }
}

struct AgeTests {
    @Test(arguments: [0, 1, 65535, 65536, 65537, 3 * 65536, 1 << 20 + 1])
    func roundTripsAtChunkBoundaries(size: Int) throws {
        let identity = AgeIdentity.generate()
        let plain = TestSupport.payload(size)
        for armored in [false, true] {
            let file = try Age.encrypt(plain, to: [identity.recipient], armored: armored)
            #expect(try Age.decrypt(file, identities: [identity]).testBytes == plain)
        }
    }

    /// A payload sealed chunk by chunk under a file key, stored apart from any header, becomes an age file for any
    /// recipients by a header written before it later (how attachments are stored and exported).
    static func storedPayload(_ plain: [UInt8], under key: AgeFileKey) -> [[UInt8]] {
        let starts = Array(stride(from: 0, to: max(plain.count, 1), by: AgeFileKey.chunkSize))
        return starts.enumerated().map { index, start in
            let piece = Array(plain[start..<min(start + AgeFileKey.chunkSize, plain.count)])
            var chunk = piece + [UInt8](repeating: 0, count: AgeFileKey.tagCount)
            chunk.withUnsafeMutableBytes {
                key.sealChunk($0, count: piece.count, index: UInt64(index), last: index == starts.count - 1)
            }
            return chunk
        }
    }

    @Test(arguments: [0, 1, 65536, 65537, 200_000])
    func aStoredPayloadBecomesAnAgeFileUnderAnyHeader(size: Int) throws {
        let plain = TestSupport.payload(size, seed: UInt64(size) + 3)
        let key = try AgeFileKey.generate()
        let chunks = Self.storedPayload(plain, under: key)
        let payload = chunks.flatMap { $0 }
        #expect(payload.count == AgeFileKey.sealedCount(plaintextCount: size))
        let (a, b) = (AgeIdentity.generate(), AgeIdentity.generate())
        // Two headers, at different times, for different recipients, over the same stored bytes.
        let first = try key.header(to: [a.recipient]) + payload
        let second = try key.header(to: [b.recipient, a.recipient]) + payload
        #expect(try Age.decrypt(first, identities: [a]).testBytes == plain)
        #expect(try Age.decrypt(second, identities: [b]).testBytes == plain)
        #expect(throws: CryptoError.self) { try Age.decrypt(first, identities: [b]) }
        // The key kept (sealed) as its 32 encoded bytes opens the same chunks.
        let kept = try AgeFileKey(encoded: key.encoded)
        var out = [UInt8](repeating: 0, count: AgeFileKey.chunkSize)
        var opened: [UInt8] = []
        for (index, chunk) in chunks.enumerated() {
            let last = index == chunks.count - 1
            #expect(chunk.withUnsafeBytes { kept.verifyChunk($0, index: UInt64(index), last: last) })
            let count = try chunk.withUnsafeBytes { c in
                try out.withUnsafeMutableBytes { try kept.openChunk(c, index: UInt64(index), last: last, into: $0) }
            }
            opened += out[0..<count]
            // Not as another index, nor with the other last-ness: the nonce binds both.
            for (wrongIndex, wrongLast) in [(index + 1, last), (index, !last)] {
                #expect(!chunk.withUnsafeBytes { kept.verifyChunk($0, index: UInt64(wrongIndex), last: wrongLast) })
                #expect(throws: CryptoError.self) {
                    try chunk.withUnsafeBytes { c in
                        try out.withUnsafeMutableBytes {
                            try kept.openChunk(c, index: UInt64(wrongIndex), last: wrongLast, into: $0)
                        }
                    }
                }
            }
        }
        #expect(opened == plain)
        // Under another file key nothing authenticates, and a flipped byte anywhere in a chunk is caught.
        let other = try AgeFileKey.generate()
        #expect(!chunks[0].withUnsafeBytes { other.verifyChunk($0, index: 0, last: chunks.count == 1) })
        for position in [0, chunks[0].count / 2, chunks[0].count - 1] {
            var flipped = chunks[0]
            flipped[position] ^= 0x20
            #expect(!flipped.withUnsafeBytes { key.verifyChunk($0, index: 0, last: chunks.count == 1) })
        }
        // Sizes age does not allow, though their tags are good: a short chunk before the last, an empty last one
        // after data.
        for (count, index, last) in [(100, UInt64(0), false), (0, UInt64(1), true)] {
            var odd = [UInt8](repeating: 7, count: count + AgeFileKey.tagCount)
            odd.withUnsafeMutableBytes { key.sealChunk($0, count: count, index: index, last: last) }
            #expect(!odd.withUnsafeBytes { key.verifyChunk($0, index: index, last: last) })
            #expect(throws: CryptoError.self) {
                try odd.withUnsafeBytes { c in
                    try out.withUnsafeMutableBytes { try key.openChunk(c, index: index, last: last, into: $0) }
                }
            }
        }
        #expect(throws: CryptoError.self) { try AgeFileKey(encoded: SecureBytes(count: 31)) }
        #expect(throws: CryptoError.self) { try key.header(to: []) }
    }

    @Test func severalRecipientsEachOpen() throws {
        let a = AgeIdentity.generate()
        let b = AgeIdentity.generate()
        let file = try Age.encrypt(Array("archive".utf8), to: [a.recipient, b.recipient])
        #expect(try Age.decrypt(file, identities: [a]).testBytes == Array("archive".utf8))
        #expect(try Age.decrypt(file, identities: [b]).testBytes == Array("archive".utf8))
        let error = try #require(throws: CryptoError.self) {
            try Age.decrypt(file, identities: [AgeIdentity.generate()])
        }
        #expect(error.code == .ageNoMatch)
    }

    @Test func anyFlippedOrMissingByteIsRefused() throws {
        let identity = AgeIdentity.generate()
        let file = try Age.encrypt(TestSupport.payload(70_000), to: [identity.recipient])
        for index in [5, 30, 100, file.count / 2, file.count - 1] {
            var flipped = file
            flipped[index] ^= 0x04
            #expect(throws: CryptoError.self) { try Age.decrypt(flipped, identities: [identity]) }
        }
        for cut in [1, 16, 17, 70_000 - 65536] {
            #expect(throws: CryptoError.self) { try Age.decrypt(Array(file.dropLast(cut)), identities: [identity]) }
        }
        #expect(throws: CryptoError.self) { try Age.decrypt(file + [0], identities: [identity]) }
        #expect(throws: CryptoError.self) { try Age.decrypt([UInt8](), identities: [identity]) }
        #expect(throws: CryptoError.self) { try Age.encrypt([1], to: []) }
    }

    @Test func keyTextFormsRoundTripAndRefuseOthers() throws {
        let identity = AgeIdentity.generate()
        let text = String(decoding: identity.encodedSecret().testBytes, as: UTF8.self)
        #expect(text.hasPrefix("AGE-SECRET-KEY-1"))
        #expect(try AgeIdentity(parsing: text).recipient == identity.recipient)
        #expect(try AgeRecipient(parsing: identity.recipient.description) == identity.recipient)
        #expect(identity.recipient.description.hasPrefix("age1"))
        #expect(throws: CryptoError.self) { try AgeRecipient(parsing: text) }
        #expect(throws: CryptoError.self) { try AgeIdentity(parsing: identity.recipient.description) }
        #expect(throws: CryptoError.self) { try AgeRecipient(parsing: "age1qqqq") }
        let parsed = try AgeIdentity.parseFile(identity.identityFile())
        #expect(parsed.map(\.recipient) == [identity.recipient])
    }

    @Test func streamingDecryptionHoldsAtMostAChunk() throws {
        // Feed 4 MiB in 1000-byte pieces: output arrives as chunks authenticate, never all at the end.
        let identity = AgeIdentity.generate()
        let plain = TestSupport.payload(4 << 20)
        let file = try Age.encrypt(plain, to: [identity.recipient])
        let decryptor = AgeDecryptor(identities: [identity])
        var received = 0
        var maxLag = 0
        var fed = 0
        var sha = SHA256()
        for start in stride(from: 0, to: file.count, by: 1000) {
            let piece = Array(file[start..<min(start + 1000, file.count)])
            fed += piece.count
            try piece.withUnsafeBytes { p in
                try decryptor.update(p) { out in
                    received += out.count
                    sha.update(out)
                }
            }
            maxLag = max(maxLag, fed - received)
        }
        try decryptor.finish { out in
            received += out.count
            sha.update(out)
        }
        #expect(received == plain.count)
        #expect(sha.finalize() == SHA256.hash(plain))
        #expect(maxLag < 3 * (65536 + 16) + 300)
    }
}
