import Foundation
import SealboxCore
import SealboxCrypto

/// Per-letter costs of registration, measured apart (`Tools/bench parts`).
func benchParts() throws {
    let n = 20_000
    let now = Timestamp(secondsSinceEpoch: 1_780_000_000)
    let policies = try PolicyFilesShim.load()
    let number = try CaseNumber(year: 2026, serial: 1)
    let c = LetterCase(
        number: number, letter: sampleLetter(1, at: now), registeredBy: "x", registeredAt: now, category: nil,
        priority: .general, isRestricted: false, retention: policies.defaultRetention)
    let encoder = JSONEncoder()
    let json = try time { for _ in 0..<n { _ = try encoder.encode(c) } }
    let office = BoxSecretKey.generate().publicKey
    let key = SymmetricKey.generate()
    let seal = time { for _ in 0..<n { _ = SealedBox.seal(key.bytes, to: office) } }
    let keys = time { for _ in 0..<n { _ = SymmetricKey.generate() } }
    let doc = try encoder.encode(c)
    let aead = time { for _ in 0..<n { _ = XChaCha20Poly1305.seal(Array(doc), using: key, authenticating: [1]) } }
    for (name, seconds) in [
        ("JSON encode", json), ("sealed box", seal), ("data key (sodium_malloc)", keys), ("AEAD", aead),
    ] {
        print(
            String(
                format: "%@ %8.1f µs each", name.padding(toLength: 28, withPad: " ", startingAt: 0),
                seconds / Double(n) * 1e6))
    }
}
