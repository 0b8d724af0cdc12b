import Foundation
import SealboxTestSupport
import Testing

@testable import SealboxCrypto

/// Interoperability with the real `age` and `minisign` tools (Debian packages, installed by Tools/test).
struct AgeInteropTests {
    static let sizes = [0, 1, 65535, 65536, 65537, (1 << 20) + 1]

    /// Runs `body` with the `age` tool, a new identity, its key file and a temporary folder (removed after), for a
    /// test that decrypts with `age`; a visible note instead where the tool is not installed.
    static func withAgeDecryption(_ body: (String, AgeIdentity, String, URL) throws -> Void) throws {
        guard let age = ExternalTools.find("age") else {
            print("age interop: the age tool is not installed; skipped (Tools/test installs it)")
            return
        }
        let dir = try ExternalTools.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let identity = AgeIdentity.generate()
        let keyFile = dir.appendingPathComponent("key.txt").path
        try FileStreams.writeSecretFile(keyFile, identity.identityFile())
        try body(age, identity, keyFile, dir)
    }

    @Test(arguments: sizes)
    func sealboxEncryptsAgeDecrypts(size: Int) throws {
        try Self.withAgeDecryption { age, identity, keyFile, dir in
            let plain = TestSupport.payload(size, seed: UInt64(size))
            for armored in [false, true] {
                let encrypted = dir.appendingPathComponent("f-\(armored).age")
                try Data(try Age.encrypt(plain, to: [identity.recipient], armored: armored)).write(to: encrypted)
                let result = try ExternalTools.run(age, ["-d", "-i", keyFile, encrypted.path])
                #expect(result.status == 0, "age -d failed: \(result.stderr)")
                #expect(Array(result.stdout) == plain)
            }
        }
    }

    /// A stored payload under a header written later (an attachment as the export writes it) opens with `age`.
    @Test func ageOpensAStoredPayloadUnderANewHeader() throws {
        try Self.withAgeDecryption { age, identity, keyFile, dir in
            for size in Self.sizes {
                let plain = TestSupport.payload(size, seed: UInt64(size) + 11)
                let key = try AgeFileKey.generate()
                let file = dir.appendingPathComponent("stored-\(size).age")
                let payload = AgeTests.storedPayload(plain, under: key).flatMap { $0 }
                try Data(try key.header(to: [identity.recipient]) + payload).write(to: file)
                let result = try ExternalTools.run(age, ["-d", "-i", keyFile, file.path])
                #expect(result.status == 0, "age -d failed: \(result.stderr)")
                #expect(Array(result.stdout) == plain)
            }
        }
    }

    @Test(arguments: sizes)
    func ageEncryptsSealboxDecrypts(size: Int) throws {
        guard let age = ExternalTools.find("age") else {
            print("age interop: the age tool is not installed; skipped (Tools/test installs it)")
            return
        }
        let identity = AgeIdentity.generate()
        let plain = TestSupport.payload(size, seed: UInt64(size) + 7)
        for flags in [[String](), ["-a"]] {
            let result = try ExternalTools.run(age, ["-r", identity.recipient.description] + flags, input: Data(plain))
            #expect(result.status == 0, "age -r failed: \(result.stderr)")
            #expect(try Age.decrypt(Array(result.stdout), identities: [identity]).testBytes == plain)
            var flipped = Array(result.stdout)
            flipped[flipped.count - 20] ^= 0x01
            #expect(throws: CryptoError.self) { try Age.decrypt(flipped, identities: [identity]) }
        }
    }

    @Test func fileHelpersStreamAndRemovePartialPlaintext() throws {
        let dir = try ExternalTools.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let identity = AgeIdentity.generate()
        let input = dir.appendingPathComponent("in").path
        let sealed = dir.appendingPathComponent("in.age").path
        let output = dir.appendingPathComponent("out").path
        let plain = TestSupport.payload(200_000)
        try FileStreams.writeFile(input, plain)
        try Age.encryptFile(input, to: sealed, recipients: [identity.recipient])
        try Age.decryptFile(sealed, to: output, identities: [identity])
        #expect(try FileStreams.readSmallFile(output) == plain)
        var damaged = try FileStreams.readSmallFile(sealed)
        damaged[damaged.count - 5] ^= 1
        try FileStreams.writeFile(sealed, damaged)
        #expect(throws: CryptoError.self) { try Age.decryptFile(sealed, to: output + "2", identities: [identity]) }
        #expect(!FileStreams.exists(output + "2"))
    }
}

struct MinisignTests {
    @Test func signVerifyAndNegativeCases() throws {
        let key = Minisign.SecretKey(key: .generate())
        let content = Array("tagmanifest".utf8)
        let sig = try Minisign.sign(content, with: key, trustedComment: "Sealbox-Sequence: 1")
        let parsed = try Minisign.Signature(parsing: sig.fileText)
        #expect(parsed == sig)
        try Minisign.verify(parsed, content: content, with: key.publicKey)
        #expect(throws: CryptoError.self) { try Minisign.verify(parsed, content: content + [0], with: key.publicKey) }
        let other = Minisign.SecretKey(key: .generate(), keyID: key.keyID)
        #expect(throws: CryptoError.self) { try Minisign.verify(parsed, content: content, with: other.publicKey) }
        let tampered = sig.fileText.replacingOccurrences(of: "Sequence: 1", with: "Sequence: 2")
        #expect(throws: CryptoError.self) {
            try Minisign.verify(try Minisign.Signature(parsing: tampered), content: content, with: key.publicKey)
        }
        #expect(throws: CryptoError.self) {
            try Minisign.sign(content, with: key, trustedComment: "two\nlines")
        }
        #expect(throws: CryptoError.self) { try Minisign.Signature(parsing: "untrusted comment: x\nAAAA\n") }
        #expect(throws: CryptoError.self) { try Minisign.PublicKey(parsing: "untrusted comment: x\nAAAA\n") }
        #expect(try Minisign.PublicKey(parsing: key.publicKey.fileText) == key.publicKey)
        #expect(try Minisign.PublicKey(parsing: key.publicKey.base64) == key.publicKey)
        let reread = try Minisign.SecretKey(parsing: key.fileText())
        #expect(reread.publicKey == key.publicKey)
    }

    /// Writes `content` to a file in `dir`, returns its path.
    private func write(_ content: [UInt8], _ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try FileStreams.writeFile(path, content)
        return path
    }

    @Test(arguments: [0, 1, 65537, (1 << 20) + 1])
    func sealboxSignsMinisignVerifiesAndBack(size: Int) throws {
        guard let minisign = ExternalTools.find("minisign") else {
            print("minisign interop: the minisign tool is not installed; skipped (Tools/test installs it)")
            return
        }
        let dir = try ExternalTools.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let content = TestSupport.payload(size)
        let file = try write(content, "file", in: dir)

        // Sealbox signs; minisign -V verifies; a flipped byte anywhere fails there too.
        let key = Minisign.SecretKey(key: .generate())
        let pub = try write(Array(key.publicKey.fileText.utf8), "sealbox.pub", in: dir)
        let sig = try Minisign.sign(prehash: Minisign.prehashFile(file), with: key, trustedComment: "sealbox \(size)")
        try FileStreams.writeFile(file + ".minisig", Array(sig.fileText.utf8))
        var result = try ExternalTools.run(minisign, ["-V", "-p", pub, "-m", file])
        #expect(result.status == 0, "minisign -V refused Sealbox's signature: \(result.stderr)")
        try FileStreams.writeFile(file, content + [0x0a])
        result = try ExternalTools.run(minisign, ["-V", "-p", pub, "-m", file])
        #expect(result.status != 0)
        try FileStreams.writeFile(file, content)
        let badComment = sig.fileText.replacingOccurrences(of: "sealbox \(size)", with: "sealbox X")
        try FileStreams.writeFile(file + ".minisig", Array(badComment.utf8))
        result = try ExternalTools.run(minisign, ["-V", "-p", pub, "-m", file])
        #expect(result.status != 0)

        // minisign signs (key made with -W); Sealbox verifies; flips are refused.
        let sec = dir.appendingPathComponent("m.key").path
        let mpub = dir.appendingPathComponent("m.pub").path
        result = try ExternalTools.run(minisign, ["-G", "-W", "-s", sec, "-p", mpub])
        #expect(result.status == 0, "minisign -G failed: \(result.stderr)")
        result = try ExternalTools.run(minisign, ["-S", "-s", sec, "-m", file, "-t", "from minisign"])
        #expect(result.status == 0, "minisign -S failed: \(result.stderr)")
        let theirKey = try Minisign.PublicKey(
            parsing: String(decoding: try FileStreams.readSmallFile(mpub), as: UTF8.self))
        let sigText = String(decoding: try FileStreams.readSmallFile(file + ".minisig"), as: UTF8.self)
        let theirSig = try Minisign.Signature(parsing: sigText)
        #expect(theirSig.trustedComment == "from minisign")
        try Minisign.verify(theirSig, prehash: Minisign.prehashFile(file), with: theirKey)
        #expect(throws: CryptoError.self) {
            try Minisign.verify(theirSig, prehash: Minisign.prehashFile(pub), with: theirKey)
        }
        var raw = Array(sigText.utf8)
        raw[raw.count / 2] = raw[raw.count / 2] == 0x41 ? 0x42 : 0x41
        if let flipped = try? Minisign.Signature(parsing: String(decoding: raw, as: UTF8.self)) {
            #expect(throws: CryptoError.self) {
                try Minisign.verify(flipped, prehash: Minisign.prehashFile(file), with: theirKey)
            }
        }
        let forgedComment = sigText.replacingOccurrences(of: "from minisign", with: "from minisigN")
        #expect(throws: CryptoError.self) {
            try Minisign.verify(
                try Minisign.Signature(parsing: forgedComment), prehash: Minisign.prehashFile(file), with: theirKey)
        }
        // Sealbox reads minisign's -W secret key file and its signature passes minisign -V.
        let theirSecret = try Minisign.SecretKey(parsing: FileStreams.readSecretFile(sec))
        #expect(theirSecret.publicKey == theirKey)
    }
}
