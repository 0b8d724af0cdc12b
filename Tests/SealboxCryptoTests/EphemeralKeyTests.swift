import CSodium
import Foundation
import SealboxTestSupport
import Testing

@testable import SealboxCrypto

/// Key pairs worked out together (`BoxSecretKey.generate(count:)`): the public keys X25519's own base-point
/// multiplication gives, byte for byte, for random and for edge-case secrets; each handed out once.
struct EphemeralKeyTests {
    /// X25519's base-point multiplication, as libsodium does it.
    static func x25519PublicKey(_ secret: SecureBytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let status = secret.withUnsafeBytes { crypto_scalarmult_base(&out, $0.u8) }
        #expect(status == 0)
        return out
    }

    @Test(arguments: [1, 2, 6, 7, 64])
    func randomKeysHaveX25519sPublicKeys(batch: Int) {
        var seen = Set<[UInt8]>()
        for _ in 0..<(1_200 / batch) {
            for key in BoxSecretKey.generate(count: batch) {
                #expect(key.publicKey.bytes == Self.x25519PublicKey(key.bytes))
                seen.insert(key.publicKey.bytes)
            }
        }
        #expect(seen.count == (1_200 / batch) * batch, "every key pair is a new one")
        #expect(BoxSecretKey.generate(count: 0).isEmpty)
    }

    /// Secrets at the edges: zero (libsodium's Ed25519 side refuses it; the key falls back to X25519's way), all
    /// ones, small ones, ones differing only in the bits X25519 clamps, the group order and the prime — in one
    /// batch with random ones around them, so that a fallback does not shift the others.
    @Test func edgeSecretsHaveX25519sPublicKeys() {
        func scalar(_ bytes: [UInt8]) -> SecureBytes {
            SecureBytes(copying: bytes + [UInt8](repeating: 0, count: 32 - bytes.count))
        }
        let order: [UInt8] = [
            0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ]
        var edges: [SecureBytes] = [
            scalar([]), SecureBytes(copying: [UInt8](repeating: 0xFF, count: 32)), scalar([1]), scalar([2]),
            scalar([8]), scalar([9]), scalar([7]), scalar([0xF8]), scalar([0x07]), scalar(order),
            scalar(MontgomeryBatch.prime), scalar([UInt8](repeating: 0, count: 31) + [0x40]),
            scalar([UInt8](repeating: 0, count: 31) + [0x80]), scalar([UInt8](repeating: 0, count: 31) + [0xC0]),
        ]
        for k in 0..<8 { edges.insert(.random(count: 32), at: k * 2) }
        let publicKeys = MontgomeryBatch.basePointMultiples(of: edges)
        #expect(publicKeys.count == edges.count)
        for (secret, key) in zip(edges, publicKeys) {
            #expect(key.bytes == Self.x25519PublicKey(secret))
        }
    }

    /// The map itself: Ed25519's base point (y = 4/5) is X25519's (u = 9); y = 0 gives u = 1, and y = −1 (p − 1)
    /// gives u = 0.
    @Test func theBirationalMapAnswersAsRFC7748Says() {
        var fourFifths = [UInt8](repeating: 0x66, count: 32)
        fourFifths[0] = 0x58
        var minusOne = MontgomeryBatch.prime
        minusOne[0] -= 1
        let u = BigNumbers.montgomeryU(ofEdwardsY: [fourFifths, [UInt8](repeating: 0, count: 32), minusOne])
        #expect(u[0] == [9] + [UInt8](repeating: 0, count: 31))
        #expect(u[1] == [1] + [UInt8](repeating: 0, count: 31))
        #expect(u[2] == [UInt8](repeating: 0, count: 32))
        #expect(BigNumbers.montgomeryU(ofEdwardsY: []).isEmpty)
    }

    /// A supply hands each key out once, in the order made, then makes fresh ones one by one.
    @Test func aSupplyHandsEachKeyOutOnce() {
        let supply = EphemeralKeys(count: 5)
        #expect(supply.remaining == 5)
        let first = supply.take(2) + supply.take(3)
        #expect(supply.remaining == 0)
        let more = supply.take(2)
        let all = (first + more).map(\.publicKey.bytes)
        #expect(Set(all).count == 7)
        for key in first + more { #expect(key.publicKey.bytes == Self.x25519PublicKey(key.bytes)) }
    }

    /// Files whose stanzas take their ephemeral keys from a supply open with the real `age` (two recipients each).
    @Test func ageOpensFilesMadeWithASupply() throws {
        try AgeInteropTests.withAgeDecryption { age, identity, keyFile, dir in
            let other = AgeIdentity.generate()
            let supply = EphemeralKeys(count: 6)
            for (i, size) in [0, 1, 70_000].enumerated() {
                let plain = TestSupport.payload(size, seed: UInt64(i) + 5)
                let file = dir.appendingPathComponent("supplied-\(i).age")
                try Data(try Age.encrypt(plain, to: [other.recipient, identity.recipient], ephemerals: supply))
                    .write(to: file)
                let result = try ExternalTools.run(age, ["-d", "-i", keyFile, file.path])
                #expect(result.status == 0, "age -d failed: \(result.stderr)")
                #expect(Array(result.stdout) == plain)
                #expect(
                    try Age.decrypt(try FileStreams.readSmallFile(file.path), identities: [other]).withUnsafeBytes {
                        Array($0)
                    } == plain)
            }
            #expect(supply.remaining == 0)
        }
    }
}
