// libFuzzer harness: the e-mail parser and the mbox splitter (Tools/fuzz mail).
import SealboxIntake

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? MailParser.parse(bytes) {
        _ = message.subject
        _ = message.from
        _ = message.messageID
    }
    _ = EncodedWords.decode(String(decoding: bytes, as: UTF8.self))
    return 0
}
