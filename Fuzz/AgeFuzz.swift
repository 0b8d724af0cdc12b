// libFuzzer harness: the age decoder — header, armor and STREAM payload (Tools/fuzz age).
import SealboxCrypto

/// A fixed identity made for fuzzing only (it protects nothing): the seed corpus is encrypted to it, so that
/// mutated inputs reach the payload.
let identity = try! AgeIdentity(parsing: "AGE-SECRET-KEY-1D4SCC3DFSNGN7C7LCMQR946CMVQ7W9SYQX4LR40XWY726WF7PY9S3VYEJA")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? Age.decrypt(bytes, identities: [identity])
    return 0
}
