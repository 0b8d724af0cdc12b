import Foundation
import Testing

@testable import SealboxCrypto

/// The eight-lane SHA-512 (and its one-by-one fallback) against libsodium's, which `archive verify` checks with.
struct SHA512LanesTests {
    /// Lengths around the padding's edges (111/112 bytes fit the length in the same block, 112–127 do not), the
    /// 64 KiB pieces, and random ones up to 300 KB; 45 messages, so that lanes finish at different times and sit
    /// idle at the end.
    static let lengths: [Int] = {
        var lengths = [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 1000, 65535, 65536, 65537, 200_000]
        lengths += (0..<28).map { _ in Int.random(in: 0...300_000) }
        return lengths.shuffled()
    }()

    static func messages() -> [[UInt8]] { lengths.map { SecureRandom.bytes($0) } }

    @Test(arguments: [true, false])
    func everyDigestIsLibsodiumsWhateverTheLengths(lanes: Bool) throws {
        guard !lanes || SHA512Lanes.isAvailable else {
            print("note: the eight-lane SHA-512 is off or this processor has no AVX-512: its fallback alone is tested")
            return
        }
        let messages = Self.messages()
        let digests = try SHA512Lanes.digests(lengths: messages.map(\.count), lanes: lanes) { message, offset, buffer in
            messages[message].withUnsafeBytes { m in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: m[offset..<(offset + buffer.count)]))
            }
        }
        for (i, message) in messages.enumerated() {
            #expect(digests[i] == SHA512.hash(message), "length \(message.count), lanes \(lanes)")
        }
        // The same messages every other one as bytes copied in, the rest as stretches of one file.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lanes-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(messages.joined()).write(to: URL(fileURLWithPath: file))
        var offset = 0
        let mixed = messages.enumerated().map { i, message -> SHA512Lanes.Message in
            defer { offset += message.count }
            guard i % 2 == 1 else { return .bytes(message) }
            return .file(SHA512Lanes.FileRange(path: file, offset: offset, count: message.count))
        }
        #expect(try SHA512Lanes.digests(of: mixed, lanes: lanes) == digests)
        // One long message: seven lanes idle while it runs, many pieces long.
        let long = SecureRandom.bytes(5 * SHA512Lanes.piece + 77)
        #expect(try SHA512Lanes.digests(of: [.bytes(long)], lanes: lanes) == [SHA512.hash(long)])
        // One flipped bit changes that message's digest and no other's.
        var flipped = messages
        let victim = messages.firstIndex { $0.count > 1000 } ?? 0
        flipped[victim][flipped[victim].count / 2] ^= 0x10
        let again = try SHA512Lanes.digests(lengths: flipped.map(\.count), lanes: lanes) { message, offset, buffer in
            flipped[message].withUnsafeBytes { m in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: m[offset..<(offset + buffer.count)]))
            }
        }
        for i in messages.indices { #expect((again[i] == digests[i]) == (i != victim)) }
    }

    /// Ranges of files, several in one file, are read and hashed as the bytes they cover; a range past the end of
    /// its file, or a missing file, is an I/O error naming the file.
    @Test func fileRangesHashWhatTheyCoverAndShortFilesFail() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sha512lanes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let one = SecureRandom.bytes(150_000)
        let two = SecureRandom.bytes(3000)
        let (a, b) = (folder.appendingPathComponent("a").path, folder.appendingPathComponent("b").path)
        try Data(one).write(to: URL(fileURLWithPath: a))
        try Data(two).write(to: URL(fileURLWithPath: b))
        let ranges = [
            SHA512Lanes.FileRange(path: a, offset: 0, count: 150_000),
            SHA512Lanes.FileRange(path: b, offset: 512, count: 2000),
            SHA512Lanes.FileRange(path: a, offset: 70_000, count: 0),
            SHA512Lanes.FileRange(path: a, offset: 1, count: 149_999),
        ]
        for lanes in [false, SHA512Lanes.isAvailable] {
            let digests = try SHA512Lanes.digests(of: ranges, lanes: lanes)
            #expect(digests[0] == SHA512.hash(one))
            #expect(digests[1] == SHA512.hash(Array(two[512..<2512])))
            #expect(digests[2] == SHA512.hash([UInt8]()))
            #expect(digests[3] == SHA512.hash(Array(one[1...])))
            let short = try #require(throws: CryptoError.self) {
                try SHA512Lanes.digests(of: [SHA512Lanes.FileRange(path: b, offset: 2000, count: 1001)], lanes: lanes)
            }
            #expect(short.code == .io && short.message.contains(b))
        }
        let missing = try #require(throws: CryptoError.self) {
            try SHA512Lanes.digests(of: [SHA512Lanes.FileRange(path: folder.path + "/none", offset: 0, count: 1)])
        }
        #expect(missing.code == .io)
    }
}
