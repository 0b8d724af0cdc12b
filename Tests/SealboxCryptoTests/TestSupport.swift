import Foundation
import SealboxCrypto

/// Helpers shared by the crypto tests: temporary folders, external tools, the shared vectors folder.
enum TestSupport {
    /// `../shared` beside the project root, or `$SEALBOX_SHARED`.
    static var sharedFolder: URL {
        if let env = ProcessInfo.processInfo.environment["SEALBOX_SHARED"] { return URL(fileURLWithPath: env) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The age vectors folder, or `nil` when absent.
    static var ageVectors: URL? {
        let env = ProcessInfo.processInfo.environment["SEALBOX_VECTORS"].map { URL(fileURLWithPath: $0) }
        let folder = env?.appendingPathComponent("age") ?? sharedFolder.appendingPathComponent("vectors/age")
        return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The path of an executable on PATH, or `nil`.
    static func tool(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    /// Runs a program with optional standard input; returns its status and output.
    static func run(_ path: String, _ arguments: [String], input: Data? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        // Input and output go through files: pipes would deadlock once both fill up.
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let inURL = dir.appendingPathComponent("stdin")
        let outURL = dir.appendingPathComponent("stdout")
        let errURL = dir.appendingPathComponent("stderr")
        try (input ?? Data()).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let inHandle = try FileHandle(forReadingFrom: inURL)
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardInput = inHandle
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try inHandle.close()
        try outHandle.close()
        try errHandle.close()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        return Result(
            status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Deterministic pseudo-random bytes for test payloads.
    static func payload(_ count: Int, seed: UInt64 = 0x5ea1_b0c5) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }
}

extension SecureBytes {
    /// The secret as an array, for test comparisons only.
    var testBytes: [UInt8] { withUnsafeBytes { [UInt8]($0) } }
}
