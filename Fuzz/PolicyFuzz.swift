// libFuzzer harness: the policy loader — one shipped Policies/ file replaced by the input (Tools/fuzz policy).
import Foundation
import SealboxCore

let shipped: [String: String] = {
    var files: [String: String] = [:]
    let folder = "Policies"
    for name in (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []) where name.hasSuffix(".toml") {
        files[name] = try? String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
    }
    return files
}()
let names = shipped.keys.sorted()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0, !names.isEmpty else { return 0 }
    var files = shipped
    files[names[Int(data[0]) % names.count]] = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    _ = try? Policies.load(files: files)
    _ = try? TOMLDocument(parsing: String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self), fileName: "fuzz")
    return 0
}
