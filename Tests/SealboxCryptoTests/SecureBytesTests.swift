import Synchronization
import Testing

@testable import SealboxCrypto

struct SecureBytesTests {
    @Test func descriptionDumpAndInterpolationAreRedacted() {
        let secret = SecureBytes(copying: Array("hunter2-secret-passphrase".utf8))
        var dumped = ""
        dump(secret, to: &dumped)
        let printed = [
            secret.description, secret.debugDescription, "\(secret)", String(describing: secret),
            String(reflecting: secret), dumped,
        ]
        for text in printed {
            #expect(!text.contains("hunter2"))
            #expect(!text.contains("68756e746572"))  // hex of "hunter"
            #expect(!text.contains("104"))  // first byte as a decimal
        }
        #expect(secret.description == "SecureBytes(25 bytes, redacted)")
        #expect(Mirror(reflecting: secret).children.isEmpty)
    }

    @Test func typedKeysAreRedacted() {
        let key = SymmetricKey.generate()
        let box = BoxSecretKey.generate()
        let sign = SigningSecretKey.generate()
        let identity = AgeIdentity.generate()
        let secretHex = Hex.encode(key.bytes.testBytes)
        #expect(!"\(key)".contains(secretHex))
        #expect(!"\(box)".contains(Hex.encode(box.bytes.testBytes)))
        #expect(!"\(sign)".contains(Hex.encode(sign.bytes.testBytes.prefix(32))))
        #expect(!"\(identity)".contains("AGE-SECRET-KEY"))
    }

    @Test func equalityIsByContent() {
        let a = SecureBytes(copying: [1, 2, 3])
        #expect(a == SecureBytes(copying: [1, 2, 3]))
        #expect(a != SecureBytes(copying: [1, 2, 4]))
        #expect(a != SecureBytes(copying: [1, 2]))
        #expect(SecureBytes(copying: []) == SecureBytes(copying: []))
    }

    @Test func memoryIsZeroedBeforeItIsFreed() {
        let probe = Int.random(in: 1_000_000...9_999_999)
        do {
            let secret = SecureBytes(count: 64, probe: probe) { (buffer: UnsafeMutableRawBufferPointer) -> Void in
                for i in 0..<buffer.count { buffer[i] = 0xA5 }
            }
            #expect(secret.testBytes.allSatisfy { $0 == 0xA5 })
        }
        let records = SecureBytes.probeRecords.withLock { $0[probe] }
        #expect(records == [true])
    }

    struct FillFailed: Error {}

    @Test func throwingInitialiserFreesExactlyOnce() {
        let probe = Int.random(in: 10_000_000...99_999_999)
        #expect(throws: FillFailed.self) {
            _ = try SecureBytes(count: 32, probe: probe) { (buffer: UnsafeMutableRawBufferPointer) throws(FillFailed) in
                buffer[0] = 0x42
                throw FillFailed()
            }
        }
        // A double free would abort in sodium_free's canary check; one record means one release, zeroed.
        #expect(SecureBytes.probeRecords.withLock { $0[probe] } == [true])
    }

    @Test func randomSecretsDiffer() {
        #expect(SecureBytes.random(count: 32) != SecureBytes.random(count: 32))
    }

    /// A pooled buffer comes back zeroed, two lent at once are distinct, and a throw still returns the buffer.
    @Test func pooledBuffersAreZeroedBetweenLoansAndNeverShared() throws {
        let pool = SecureBufferPool(count: 1024, keep: 2)
        pool.withBuffer { buffer in
            buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0xA5) }
            pool.withBuffer { other in
                #expect(other.count == 1024)
                other.withUnsafeBytes { inner in
                    buffer.withUnsafeBytes { outer in #expect(inner.baseAddress != outer.baseAddress) }
                }
            }
        }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try pool.withBuffer { buffer in
                buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0x5A) }
                throw Stop()
            }
        }
        for _ in 0..<3 {
            pool.withBuffer { buffer in buffer.withUnsafeBytes { #expect($0.allSatisfy { $0 == 0 }) } }
        }
    }
}
