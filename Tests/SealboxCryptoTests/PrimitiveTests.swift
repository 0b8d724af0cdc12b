import CSodium
import Foundation
import Testing

@testable import SealboxCrypto

struct HashTests {
    @Test func sha256KnownAnswer() {
        #expect(
            Hex.encode(SHA256.hash(Array("abc".utf8)))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Hex.encode(SHA256.hash([UInt8]()))
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sha512KnownAnswerAndStreaming() {
        let expected =
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        #expect(Hex.encode(SHA512.hash(Array("abc".utf8))) == expected)
        var streaming = SHA512()
        streaming.update(Array("a".utf8))
        streaming.update(Array("bc".utf8))
        #expect(Hex.encode(streaming.finalize()) == expected)
    }

    /// The export writes digests with OpenSSL's SHA-512 and verify checks them with libsodium's: the two must agree
    /// on every length and however the input is cut (block boundaries at 128 bytes, the padding's edge at 112).
    @Test func openSSLSHA512AnswersAsLibsodiumDoes() {
        let abc =
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        #expect(Hex.encode(OpenSSLSHA512.hash(Array("abc".utf8))) == abc)
        #expect(OpenSSLSHA512.hash([UInt8]()) == SHA512.hash([UInt8]()))
        var generator = SystemRandomNumberGenerator()
        let lengths = Array(0...300) + [1_000, 4_096, 65_536, 200 * 1024 + 17]
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = SHA512.hash(bytes)
            #expect(OpenSSLSHA512.hash(bytes) == expected, "length \(length)")
            // The same input in random pieces, some empty.
            let pieces = OpenSSLSHA512()
            var start = 0
            while start < length {
                let end = min(length, start + Int.random(in: 0...200, using: &generator))
                pieces.update(Array(bytes[start..<end]))
                start = end
            }
            #expect(pieces.finalize() == expected, "length \(length) in pieces")
        }
        // A flipped bit changes the digest.
        var flipped = Array("abc".utf8)
        flipped[1] ^= 1
        #expect(Hex.encode(OpenSSLSHA512.hash(flipped)) != abc)
    }

    @Test func blake2bKnownAnswerKeyedAndLimits() throws {
        let expected =
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        #expect(Hex.encode(try BLAKE2b.hash(Array("abc".utf8), outputCount: 64)) == expected)
        let key = SecureBytes(copying: [UInt8](repeating: 7, count: 32))
        let other = SecureBytes(copying: [UInt8](repeating: 8, count: 32))
        let tagA = try BLAKE2b.hash(Array("13800138000".utf8), key: key)
        #expect(tagA == (try BLAKE2b.hash(Array("13800138000".utf8), key: key)))
        #expect(tagA != (try BLAKE2b.hash(Array("13800138000".utf8), key: other)))
        #expect(tagA != (try BLAKE2b.hash(Array("13800138000".utf8))))
        #expect(throws: CryptoError.self) { try BLAKE2b(outputCount: 8) }
        #expect(throws: CryptoError.self) { try BLAKE2b(outputCount: 65) }
        #expect(throws: CryptoError.self) { try BLAKE2b(key: SecureBytes(copying: [1, 2, 3])) }
    }

    /// RFC 4231 cases 1 (a 20-byte key) and 6 (a 131-byte key, hashed first).
    @Test(arguments: [
        (
            [UInt8](repeating: 0x0b, count: 20), "Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        ),
        (
            [UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        ),
    ])
    func hmacSHA256RFC4231(key: [UInt8], message: String, expected: String) {
        let tag = key.withUnsafeBytes { k in
            var mac = HMACSHA256(key: k)
            mac.update(Array(message.utf8))
            return mac.finalizePublic()
        }
        #expect(Hex.encode(tag) == expected)
    }

    /// `SHA256.hash` and `HMACSHA256` (OpenSSL's) give libsodium's bytes: every message length to 300 and keys of
    /// every length to 200 (empty, under, at and over the 64-byte block), fed whole and in pieces.
    @Test func openSSLSHA256AndHMACAnswerAsLibsodiumDoes() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...300 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var sodium = [UInt8](repeating: 0, count: 32)
            crypto_hash_sha256(&sodium, message, UInt64(message.count))
            #expect(SHA256.hash(message) == sodium, "SHA-256 of \(length) bytes")
            var streamed = SHA256()
            streamed.update(message)
            #expect(streamed.finalize() == sodium)
            let key = (0..<(length % 201)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var expected = [UInt8](repeating: 0, count: 32)
            var state = crypto_auth_hmacsha256_state()
            crypto_auth_hmacsha256_init(&state, key, key.count)
            crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
            crypto_auth_hmacsha256_final(&state, &expected)
            let cut = length / 3
            let tag = key.withUnsafeBytes { k in
                var mac = HMACSHA256(key: k)
                mac.update(Array(message[..<cut]))
                mac.update(Array(message[cut...]))
                return mac.finalizePublic()
            }
            #expect(tag == expected, "HMAC of \(length) bytes under a \(key.count)-byte key")
            let secret = key.withUnsafeBytes { k in
                var mac = HMACSHA256(key: k)
                mac.update(message)
                return mac.finalize()
            }
            #expect(secret.withUnsafeBytes { Array($0) } == expected)
        }
    }

    @Test func hkdfRFC5869Case1() throws {
        let okm = try HKDF.deriveKey(
            ikm: SecureBytes(copying: [UInt8](repeating: 0x0b, count: 22)), salt: Array(UInt8(0)...UInt8(0x0c)),
            info: Array(UInt8(0xf0)...UInt8(0xf9)), count: 42)
        #expect(
            Hex.encode(okm.testBytes)
                == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test func hkdfRFC5869Case3EmptySaltAndInfo() throws {
        let okm = try HKDF.deriveKey(
            ikm: SecureBytes(copying: [UInt8](repeating: 0x0b, count: 22)), salt: [UInt8](), info: [UInt8](),
            count: 42)
        #expect(
            Hex.encode(okm.testBytes)
                == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
        #expect(throws: CryptoError.self) {
            try HKDF.deriveKey(ikm: SecureBytes(copying: [1]), salt: [UInt8](), info: [UInt8](), count: 8161)
        }
    }
}

struct AEADTests {
    /// The Poly1305-only check (a chunk passed on sealed) agrees with libsodium's decryption: every sealed message of
    /// every length around the 16-byte blocks passes, and one flipped bit anywhere, or another nonce or key, fails
    /// both.
    @Test func poly1305OnlyCheckAgreesWithDecryption() {
        let key = SecureRandom.bytes(32)
        let nonce = SecureRandom.bytes(12)
        for count in [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000, 65536] {
            var sealed = SecureRandom.bytes(count) + [UInt8](repeating: 0, count: 16)
            sealed.withUnsafeMutableBytes { s in
                nonce.withUnsafeBytes { n in
                    key.withUnsafeBytes { ChaCha20Poly1305IETF.sealInPlace(s, count: count, nonce: n, key: $0) }
                }
            }
            func verify(_ bytes: [UInt8], nonce: [UInt8] = nonce, key: [UInt8] = key) -> Bool {
                bytes.withUnsafeBytes { b in
                    nonce.withUnsafeBytes { n in
                        key.withUnsafeBytes { ChaCha20Poly1305IETF.verify(b, count: count, nonce: n, key: $0) }
                    }
                }
            }
            func opens(_ bytes: [UInt8]) -> Bool {
                var copy = bytes
                return copy.withUnsafeMutableBytes { b in
                    nonce.withUnsafeBytes { n in
                        key.withUnsafeBytes { ChaCha20Poly1305IETF.openInPlace(b, count: count, nonce: n, key: $0) }
                    }
                }
            }
            #expect(verify(sealed) && opens(sealed), "length \(count)")
            for position in Set([0, count / 2, max(count - 1, 0), count, count + 15]) {
                var flipped = sealed
                flipped[position] ^= 0x01
                #expect(!verify(flipped) && !opens(flipped), "length \(count), byte \(position)")
            }
            #expect(!verify(sealed, nonce: SecureRandom.bytes(12)))
            #expect(!verify(sealed, key: SecureRandom.bytes(32)))
        }
    }

    let key = SymmetricKey.generate()
    let ad = Array("case:2026-000123|field:content|v1".utf8)
    let message = Array("市民來信：路燈不亮".utf8)

    @Test func sealThenOpenRoundTrips() throws {
        let sealed = XChaCha20Poly1305.seal(message, using: key, authenticating: ad)
        #expect(sealed.count == message.count + 40)
        #expect(try XChaCha20Poly1305.open(sealed, using: key, authenticating: ad).testBytes == message)
        #expect(sealed != XChaCha20Poly1305.seal(message, using: key, authenticating: ad))  // fresh nonce
    }

    @Test func openFailsWithWrongKeyWrongADFlippedByteOrTruncation() throws {
        let sealed = XChaCha20Poly1305.seal(message, using: key, authenticating: ad)
        let wrongKey = SymmetricKey.generate()
        #expect(throws: CryptoError.authentication) {
            try XChaCha20Poly1305.open(sealed, using: wrongKey, authenticating: ad)
        }
        #expect(throws: CryptoError.authentication) {
            try XChaCha20Poly1305.open(sealed, using: key, authenticating: Array("case:2026-000124".utf8))
        }
        for index in [0, 23, 24, sealed.count - 1] {
            var flipped = sealed
            flipped[index] ^= 0x01
            #expect(throws: CryptoError.authentication) {
                try XChaCha20Poly1305.open(flipped, using: key, authenticating: ad)
            }
        }
        #expect(throws: CryptoError.authentication) {
            try XChaCha20Poly1305.open(Array(sealed.dropLast()), using: key, authenticating: ad)
        }
        let short = try #require(throws: CryptoError.self) {
            try XChaCha20Poly1305.open(Array(sealed.prefix(39)), using: key, authenticating: ad)
        }
        #expect(short.code == .invalidInput)
    }

    @Test func wrongKeyLengthsAreRefused() {
        #expect(throws: CryptoError.self) { try SymmetricKey(SecureBytes(copying: [UInt8](repeating: 1, count: 31))) }
        #expect(throws: CryptoError.self) { try BoxPublicKey([UInt8](repeating: 1, count: 33)) }
        #expect(throws: CryptoError.self) { try BoxSecretKey(SecureBytes(copying: [1])) }
        #expect(throws: CryptoError.self) { try SigningPublicKey([UInt8](repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try SigningSecretKey(seed: SecureBytes(copying: [1])) }
    }

    @Test func errorMessagesCarryNoKeyOrPlaintext() {
        let sealed = XChaCha20Poly1305.seal(message, using: key, authenticating: ad)
        do {
            _ = try XChaCha20Poly1305.open(sealed, using: SymmetricKey.generate(), authenticating: ad)
            Issue.record("opened with the wrong key")
        } catch {
            #expect(!error.message.contains("路燈"))
            #expect(!error.message.contains(Hex.encode(key.bytes.testBytes.prefix(4))))
        }
    }
}

struct SealedBoxTests {
    @Test func onlyTheSecretKeyOpens() throws {
        let office = BoxSecretKey.generate()
        let department = BoxSecretKey.generate()
        let sealed = SealedBox.seal(Array("data key".utf8), to: office.publicKey)
        #expect(try SealedBox.open(sealed, with: office).testBytes == Array("data key".utf8))
        #expect(throws: CryptoError.authentication) { try SealedBox.open(sealed, with: department) }
        var flipped = sealed
        flipped[40] ^= 0x80
        #expect(throws: CryptoError.authentication) { try SealedBox.open(flipped, with: office) }
        #expect(throws: CryptoError.self) { try SealedBox.open(Array(sealed.prefix(47)), with: office) }
    }
}

struct SigningTests {
    @Test func ed25519RFC8032Test1() throws {
        let seed = try #require(Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        let key = try SigningSecretKey(seed: SecureBytes(copying: seed))
        #expect(Hex.encode(key.publicKey.bytes) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let sig = key.signature(for: [UInt8]())
        #expect(
            Hex.encode(sig)
                == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        #expect(key.publicKey.isValidSignature(sig, for: [UInt8]()))
        #expect(key.seed.testBytes == seed)
    }

    @Test func verifyRefusesFlippedMessageSignatureOrOtherKey() {
        let key = SigningSecretKey.generate()
        let message = Array("checkpoint".utf8)
        let sig = key.signature(for: message)
        #expect(key.publicKey.isValidSignature(sig, for: message))
        #expect(!key.publicKey.isValidSignature(sig, for: Array("checkpoinT".utf8)))
        var flipped = sig
        flipped[10] ^= 1
        #expect(!key.publicKey.isValidSignature(flipped, for: message))
        #expect(!key.publicKey.isValidSignature(Array(sig.prefix(63)), for: message))
        #expect(!SigningSecretKey.generate().publicKey.isValidSignature(sig, for: message))
        #expect(throws: CryptoError.authentication) { try key.publicKey.verify(flipped, for: message) }
    }
}

struct PasswordKDFTests {
    let fast = Argon2idParameters(opsLimit: 1, memoryBytes: 8192, salt: [UInt8](repeating: 3, count: 16))

    @Test func sameParametersGiveSameKeyOthersDiffer() throws {
        let pass = SecureBytes(copying: Array("correct horse".utf8))
        let a = try PasswordKDF.deriveKey(from: pass, parameters: fast)
        #expect(a == (try PasswordKDF.deriveKey(from: pass, parameters: fast)))
        #expect(a != (try PasswordKDF.deriveKey(from: SecureBytes(copying: Array("wrong".utf8)), parameters: fast)))
        var salted = fast
        salted.salt[0] ^= 1
        #expect(a != (try PasswordKDF.deriveKey(from: pass, parameters: salted)))
    }

    @Test func parametersRoundTripTheirTextFormAndRefuseBadOnes() throws {
        let text = fast.description
        #expect(text.hasPrefix("argon2id$v=19$m=8,t=1,p=1$"))
        #expect(try Argon2idParameters(parsing: text) == fast)
        #expect(Argon2idParameters.interactive().isWeaker(than: .moderate()))
        for bad in [
            "argon2i$v=19$m=8,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA", "argon2id$v=19$m=8,t=1,p=2$AAAAAAAAAAAAAAAAAAAAAA",
            "argon2id$v=19$m=8,t=1$AAAA", "argon2id$v=19$m=x,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA", "",
        ] {
            #expect(throws: CryptoError.self) { try Argon2idParameters(parsing: bad) }
        }
        let pass = SecureBytes(copying: [1])
        #expect(throws: CryptoError.self) {
            try PasswordKDF.deriveKey(from: pass, parameters: .init(opsLimit: 0, memoryBytes: 8192, salt: fast.salt))
        }
        #expect(throws: CryptoError.self) {
            try PasswordKDF.deriveKey(from: pass, parameters: .init(opsLimit: 1, memoryBytes: 8192, salt: [1, 2]))
        }
    }

    @Test func subkeysDependOnIdAndContext() throws {
        let master = SecureBytes.random(count: 32)
        let a = try SubkeyKDF.deriveKey(from: master, id: 1, context: "blindidx")
        #expect(a == (try SubkeyKDF.deriveKey(from: master, id: 1, context: "blindidx")))
        #expect(a != (try SubkeyKDF.deriveKey(from: master, id: 2, context: "blindidx")))
        #expect(a != (try SubkeyKDF.deriveKey(from: master, id: 1, context: "otherctx")))
        #expect(throws: CryptoError.self) { try SubkeyKDF.deriveKey(from: master, id: 1, context: "short") }
        #expect(throws: CryptoError.self) {
            try SubkeyKDF.deriveKey(from: SecureBytes(copying: [1]), id: 1, context: "blindidx")
        }
    }
}

struct EncodingTests {
    /// The byte split answers as the standard library's `split` on UTF-8 code units, for every argument: empty
    /// parts kept or omitted, any number of splits, separators at either end and doubled, multi-byte characters.
    @Test func theByteSplitAnswersAsTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", "\n", "\r", " ", "\t", ":", "é", "號", "👩‍👩‍👧"]
        var texts = ["", "\n", "\n\n", "a", "a\n", "\na", "a\n\nb", "\n\na\n\n"]
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...24, using: &generator)
            texts.append(
                String((0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }))
        }
        for text in texts {
            for byte: UInt8 in [0x0A, 0x20, 0x3A] {
                for maxSplits in [0, 1, 2, 3, .max] {
                    for omitting in [true, false] {
                        let expected = text.utf8.split(
                            separator: byte, maxSplits: maxSplits, omittingEmptySubsequences: omitting
                        ).map { Array($0) }
                        let got = text.split(byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omitting)
                        #expect(got.map { Array($0.utf8) } == expected, "\(text.debugDescription) \(byte) \(maxSplits)")
                        let inner = ("x" + text + "x").dropFirst().dropLast()
                        #expect(
                            inner.split(byte: byte, maxSplits: maxSplits, omittingEmptySubsequences: omitting).map {
                                Array($0.utf8)
                            } == expected)
                    }
                }
            }
        }
    }

    /// Hex decoding through the table accepts exactly the pairs of hex digits, either case, and nothing else.
    @Test func hexDecodesEveryPairOfBytesAsTheDigitsSay() {
        for a in 0...255 {
            for b in 0...255 {
                let pair: [UInt8] = [UInt8(a), UInt8(b)]
                let expected = Hex.digit(UInt8(a)).flatMap { hi in Hex.digit(UInt8(b)).map { [hi << 4 | $0] } }
                #expect(Hex.decode(utf8: pair[...]) == expected)
            }
        }
        #expect(Hex.decode(utf8: Array("00ff10Ab".utf8)[...]) == [0x00, 0xFF, 0x10, 0xAB])
        #expect(Hex.decode(utf8: Array("00ff1".utf8)[...]) == nil && Hex.decode(utf8: Array("0g".utf8)[...]) == nil)
        #expect(Hex.decode(utf8: Array("xx00ff".utf8)[2...]) == [0x00, 0xFF] && Hex.decode(utf8: []) == [])
    }

    @Test func base64IsStrictAndCanonical() {
        #expect(Base64.encode(Array("hi".utf8)) == "aGk=")
        #expect(Base64.encode(Array("hi".utf8), padded: false) == "aGk")
        #expect(Base64.decode("aGk=") == Array("hi".utf8))
        #expect(Base64.decode("aGk", padded: false) == Array("hi".utf8))
        #expect(Base64.decode("aGl", padded: false) == nil)  // non-zero trailing bits
        #expect(Base64.decode("aGk=", padded: false) == nil)
        #expect(Base64.decode("aG k=") == nil)
        #expect(Base64.decode("aGk") == nil)
        // Canonical only: spare bits set, padding too long or short, every length of a 32-byte hash.
        #expect(Base64.decode("aGl=") == nil && Base64.decode("aQ==") != nil && Base64.decode("aR==") == nil)
        #expect(Base64.decode("aGk==") == nil && Base64.decode("aQ=") == nil && Base64.decode("=") == nil)
        for count in 0..<70 {
            let bytes = TestSupport.payload(count, seed: UInt64(count))
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, padded: false), padded: false) == bytes)
        }
        // Against the definition (what decodes must encode back to the same text), over every string of up to
        // three characters from a small alphabet and many longer random ones.
        let alphabet = Array("AQgw+/=Zz9".utf8)
        var texts: [[UInt8]] = [[]]
        for length in 1...3 {
            texts += texts.filter { $0.count == length - 1 }.flatMap { t in alphabet.map { t + [$0] } }
        }
        var state: UInt64 = 0x5ea1
        for _ in 0..<3000 {
            texts.append(
                (0..<Int(state % 13)).map { _ in
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    return alphabet[Int(state >> 59) % alphabet.count]
                })
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        }
        for text in texts {
            let string = String(decoding: text, as: UTF8.self)
            // Padded: Foundation's decoder, then "encodes back the same", is the reference.
            let reference = Data(base64Encoded: string).map { [UInt8]($0) }.flatMap {
                Base64.encode($0) == string ? $0 : nil
            }
            #expect(Base64.decode(string) == reference, "\(string)")
            if let bare = Base64.decode(string, padded: false) {
                #expect(Base64.encode(bare, padded: false) == string, "\(string)")
            }
        }
    }

    @Test func bech32BIP173ValidAndInvalid() {
        #expect(Bech32.decode("A12UEL5L")?.hrp == "a")
        #expect(Bech32.decode("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")?.hrp == "abcdef")
        #expect(Bech32.decode("A12uEL5L") == nil)  // mixed case
        #expect(Bech32.decode("a12uel5m") == nil)  // bad checksum
        #expect(Bech32.decode("x1b4n0q5v") == nil)  // invalid character b
        let data = TestSupport.payload(32)
        let text = Bech32.encode(hrp: "age", data: data)
        #expect(Bech32.decode(text)?.data == data)
        #expect(Bech32.decode(text.uppercased())?.data == data)
    }

    @Test func hexRoundTripsAndRefusesGarbage() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("0") == nil)
        #expect(Hex.decode("zz") == nil)
        #expect(Hex.encode([0xde, 0xad]) == "dead")
    }

    @Test func hexDecodesBytesAndSyncsManyFilesAtOnce() throws {
        #expect(Hex.decode(utf8: Array("00Ff7a".utf8)[...]) == [0x00, 0xff, 0x7a])
        #expect(Hex.decode(utf8: Array("xx00ff".utf8)[2...]) == [0x00, 0xff])
        #expect(Hex.decode(utf8: Array("0g".utf8)[...]) == nil)
        // Every byte value encodes as two lower-case digits, from an array, a slice or any other sequence alike.
        let all = (0...255).map { UInt8($0) }
        let expected = all.map { String(format: "%02x", $0) }.joined()
        #expect(Hex.encode(all) == expected && Hex.encode(all[1...]) == String(expected.dropFirst(2)))
        #expect(Hex.encode(all.lazy.map { $0 }) == expected && Hex.encode([UInt8]()).isEmpty)
        #expect(Hex.decode(utf8: Array(expected.utf8)[...]) == all)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let paths = (0..<40).map { folder.appendingPathComponent("\($0)").path }
        for path in paths.prefix(3) {
            let writer = try FileStreams.Writer(path: path, gathering: true)
            try [UInt8]([1, 2, 3]).withUnsafeBytes { try writer.write($0) }
            try writer.startWriteback()
            try writer.close()
        }
        for path in paths.dropFirst(3) {
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        }
        #expect(try paths.allSatisfy { try FileStreams.readSmallFile($0) == [1, 2, 3] })
        // Synced together, by the file system (this kernel's way) and file by file (an old kernel's); dropping a
        // synced file's pages from the cache loses none of its bytes.
        for usingSyncfs in [true, false] {
            let durable = try FileStreams.FileSystemSync(folder: folder.path)
            try durable.sync(paths, droppingCache: true, usingSyncfs: usingSyncfs)
            #expect(try paths.allSatisfy { try FileStreams.readSmallFile($0) == [1, 2, 3] })
        }
        // A folder that is not there, or a file that is not there on an old kernel, is named.
        let gone = folder.appendingPathComponent("gone").path
        let noFolder = #expect(throws: CryptoError.self) { try FileStreams.FileSystemSync(folder: gone) }
        #expect(noFolder?.message.contains(gone) == true)
        let noFile = #expect(throws: CryptoError.self) {
            try FileStreams.FileSystemSync(folder: folder.path).sync(paths + [gone], usingSyncfs: false)
        }
        #expect(noFile?.message.contains(gone) == true)
        // Whole only on a local disk file system, of a kernel whose syncfs reports errors (FUSE or NFS: file by file).
        let fd = open(folder.path, O_RDONLY)
        defer { close(fd) }
        let type = Int64(sealbox_file_system_type(fd))
        #expect(
            try FileStreams.FileSystemSync(folder: folder.path).usesSyncfs
                == (FileStreams.FileSystemSync.reportsErrors && FileStreams.FileSystemSync.syncsWhole.contains(type)))
        #expect(
            !FileStreams.FileSystemSync.syncsWhole.contains(0x6573_5546)
                && !FileStreams.FileSystemSync.syncsWhole.contains(0x6969))
        // syncfs reports writeback errors from Linux 5.8 on: older kernels sync file by file.
        for (release, reports) in [
            ("6.1.0-18-amd64", true), ("5.8.0", true), ("5.10.209", true), ("5.7.19", false),
            ("4.19.0-26-amd64", false),
            ("10.0", true), ("", false), ("abc", false), ("6", false),
        ] {
            #expect(FileStreams.FileSystemSync.kernelReportsSyncfsErrors(release: release) == reports, "\(release)")
        }
    }

    @Test func aGatheringWriterWritesEveryByteInOrderAndReportsAFailedWrite() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sealbox-gather-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        // Writes smaller than, equal to and larger than the gathering size, across flushes and a writeback, in
        // every order: the file is their bytes in order.
        let gather = FileStreams.Writer.gatherSize
        let sizes = [0, 1, 10_240, gather - 1, gather, gather + 1, 3 * gather + 7, 512, 1]
        for rotation in sizes.indices {
            let path = folder.appendingPathComponent("\(rotation)").path
            let writer = try FileStreams.Writer(path: path, gathering: true)
            var expected: [UInt8] = []
            for (k, size) in (sizes[rotation...] + sizes[..<rotation]).enumerated() {
                let bytes = SecureRandom.bytes(size)
                try bytes.withUnsafeBytes { try writer.write($0) }
                expected += bytes
                if k == 3 { try writer.flush() }
                if k == 5 { try writer.startWriteback() }
            }
            try writer.close()
            try writer.close()
            var written: [UInt8] = []
            try FileStreams.forEachBlock(ofFile: path) { written.append(contentsOf: $0) }
            #expect(written == expected, "rotation \(rotation)")
        }
        // A writer dropped without `close` is a failed one: what it still gathered is not written.
        let dropped = folder.appendingPathComponent("dropped").path
        do {
            let writer = try FileStreams.Writer(path: dropped, gathering: true)
            try [UInt8](repeating: 7, count: 100).withUnsafeBytes { try writer.write($0) }
        }
        #expect(try FileStreams.readSmallFile(dropped).isEmpty)
        // A write the disk refuses surfaces: at once when it is large, at the flush or close that writes it when
        // it was gathered, never lost silently.
        guard FileStreams.exists("/dev/full") else { return }
        let full = try FileStreams.Writer(path: "/dev/full", gathering: true)
        try [UInt8](repeating: 1, count: 10).withUnsafeBytes { try full.write($0) }
        #expect(throws: CryptoError.self) { try full.close() }
        #expect(throws: CryptoError.self) { try full.close() }
        let large = try FileStreams.Writer(path: "/dev/full", gathering: true)
        #expect(throws: CryptoError.self) {
            try [UInt8](repeating: 1, count: gather).withUnsafeBytes { try large.write($0) }
        }
    }
}
