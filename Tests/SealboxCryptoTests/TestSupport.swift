import Foundation
import SealboxCrypto

/// Helpers of the crypto tests: the shared vectors folder and test payloads (tools: `ExternalTools`).
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
