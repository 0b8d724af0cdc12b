// libFuzzer harness: a whole package as an auditor reads it — tar, bag tag files, manifests, the minisign file and
// the log proof — and as the catalog reads it: bag-info and metadata.json (Tools/fuzz bag). The input goes to one
// scratch file, since both stream from a path; the same bytes are also read as a disposal record (verified and
// catalogued) from a second one.
import Foundation
import SealboxArchive
import SealboxCrypto

/// A key made for fuzzing only: signatures never verify, so every other check still runs and reports.
let key = Minisign.SecretKey(key: .generate()).publicKey
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("sealbox-bag-fuzz-\(getpid()).tar").path
let record = String(scratch.dropLast(4)) + ".disposal"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard FileManager.default.createFile(atPath: scratch, contents: Data(bytes: data, count: size)) else { return 0 }
    _ = try? ArchiveChain.verify([scratch], trusting: key)
    _ = try? ArchiveCatalog.entry(ofPackage: scratch)
    guard FileManager.default.createFile(atPath: record, contents: Data(bytes: data, count: size)) else { return 0 }
    _ = try? ArchiveChain.verify([record], trusting: key)
    _ = try? ArchiveCatalog.entry(ofDisposal: record)
    return 0
}
