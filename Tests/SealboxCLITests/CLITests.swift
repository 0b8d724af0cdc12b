import Foundation
import Testing

/// End-to-end: runs the built `sealbox` binary and checks stdout, stderr and the exit code.
struct CLITests {
    static var binary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/sealbox").path
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func sealbox(_ arguments: [String], in dir: URL? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let dir { process.currentDirectoryURL = dir }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func versionAndHelpWork() throws {
        let version = try Self.sealbox(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
        let help = try Self.sealbox(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: sealbox"))
        #expect(help.stdout.contains("crypto"))
    }

    @Test func unknownCommandIsAUsageErrorOnOneLine() throws {
        let result = try Self.sealbox(["frobnicate"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("sealbox: error:"))
    }

    @Test func ageAndMinisignRoundTripThroughTheCLI() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keygen = try Self.sealbox(["crypto", "age-keygen", "-o", "id.txt"], in: dir)
        #expect(keygen.status == 0)
        let recipient = keygen.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient.hasPrefix("age1"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("id.txt").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try Self.sealbox(["crypto", "age-keygen", "-o", "id.txt"], in: dir).status == 73)

        try Data("letter text".utf8).write(to: dir.appendingPathComponent("plain"))
        #expect(
            try Self.sealbox(["crypto", "age-encrypt", "-r", recipient, "-o", "sealed", "plain"], in: dir).status == 0)
        #expect(
            try Self.sealbox(["crypto", "age-decrypt", "-i", "id.txt", "-o", "back", "sealed"], in: dir).status == 0)
        #expect(try Data(contentsOf: dir.appendingPathComponent("back")) == Data("letter text".utf8))

        // Wrong key: exit 77, one line, no partial plaintext left behind.
        #expect(try Self.sealbox(["crypto", "age-keygen", "-o", "other.txt"], in: dir).status == 0)
        let wrong = try Self.sealbox(["crypto", "age-decrypt", "-i", "other.txt", "-o", "leak", "sealed"], in: dir)
        #expect(wrong.status == 77)
        #expect(wrong.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("leak").path))
        // Missing input: exit 66. Bad recipient: exit 65.
        #expect(try Self.sealbox(["crypto", "age-decrypt", "-i", "id.txt", "-o", "x", "nope"], in: dir).status == 66)
        #expect(try Self.sealbox(["crypto", "age-encrypt", "-r", "age1bad", "-o", "x", "plain"], in: dir).status == 65)

        #expect(try Self.sealbox(["crypto", "minisign-keygen", "-s", "k.sec", "-p", "k.pub"], in: dir).status == 0)
        #expect(try Self.sealbox(["crypto", "minisign-sign", "-s", "k.sec", "sealed"], in: dir).status == 0)
        let verified = try Self.sealbox(["crypto", "minisign-verify", "-p", "k.pub", "sealed"], in: dir)
        #expect(verified.status == 0)
        #expect(verified.stdout.contains("Trusted comment: file:sealed"))
        try Data("tampered".utf8).write(to: dir.appendingPathComponent("sealed"))
        #expect(try Self.sealbox(["crypto", "minisign-verify", "-p", "k.pub", "sealed"], in: dir).status == 77)
    }
}
