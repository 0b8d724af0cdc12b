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
    func everyDigestIsLibsodiumsWhateverTheLengths(lanes: Bool) {
        guard !lanes || SHA512Lanes.isAvailable else {
            print("note: the eight-lane SHA-512 is off or this processor has no AVX-512: its fallback alone is tested")
            return
        }
        let messages = Self.messages()
        let digests = SHA512Lanes.digests(of: messages, lanes: lanes)
        for (i, message) in messages.enumerated() {
            #expect(digests[i] == SHA512.hash(message), "length \(message.count), lanes \(lanes)")
        }
        // One long message: seven lanes idle while it runs, many pieces long.
        let long = SecureRandom.bytes(5 * SHA512Lanes.piece + 77)
        #expect(SHA512Lanes.digests(of: [long], lanes: lanes) == [SHA512.hash(long)])
        // One flipped bit changes that message's digest and no other's.
        var flipped = messages
        let victim = messages.firstIndex { $0.count > 1000 } ?? 0
        flipped[victim][flipped[victim].count / 2] ^= 0x10
        let again = SHA512Lanes.digests(of: flipped, lanes: lanes)
        for i in messages.indices { #expect((again[i] == digests[i]) == (i != victim)) }
    }
}
