// libFuzzer harness: the package (tar) reader, reading every entry in full (Tools/fuzz tar).
import SealboxArchive

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var total = 0
    try? TarReader.forEachEntry(inMemory: bytes, maxEntryBytes: 1 << 24) { _, _, read in
        try read { total &+= $0.count }
    }
    return total == -1 ? 1 : 0
}
