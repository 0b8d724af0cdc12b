public import Foundation

/// The standard tools the tests check Sealbox against, found on `PATH` and run with their output captured.
///
/// `age`, `minisign`, `tar`, `sha512sum`, the `bagit` validator: a test skips, with a visible note, where one is
/// missing (`Tools/test` installs them).
public enum ExternalTools {
    /// What one run of a tool gave.
    public struct Run: Sendable {
        /// The exit status.
        public var status: Int32
        /// Standard output, as bytes.
        public var stdout: Data
        /// Standard error, as text.
        public var stderr: String

        /// Standard output then standard error, as text (for messages and `contains` checks).
        public var output: String { String(decoding: stdout, as: UTF8.self) + stderr }
    }

    /// The path of an executable named `name` on `PATH`, or `nil`.
    public static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A fresh temporary folder named `prefix-UUID`.
    public static func temporaryFolder(_ prefix: String = "sealbox-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs the program at `path` with `arguments`, in `directory` when given, with `input` on standard input.
    ///
    /// Input and output go through files: pipes would deadlock once both fill up.
    public static func run(_ path: String, _ arguments: [String], in directory: URL? = nil, input: Data? = nil)
        throws -> Run
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let files = try temporaryFolder("sealbox-tool")
        defer { try? FileManager.default.removeItem(at: files) }
        let (inURL, outURL, errURL) = (
            files.appendingPathComponent("stdin"), files.appendingPathComponent("stdout"),
            files.appendingPathComponent("stderr")
        )
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
        return Run(
            status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
