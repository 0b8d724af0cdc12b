/// Anything that can lend its bytes contiguously: `[UInt8]`, `ArraySlice<UInt8>`, `ContiguousArray<UInt8>`.
///
/// SealboxCrypto's own protocol so that it needs no Foundation; `Data` can be passed as `Array(data)`.
public protocol RawBytes {
    /// Lends the bytes for the duration of `body`.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: RawBytes where Element == UInt8 {}
extension ArraySlice: RawBytes where Element == UInt8 {}
extension ContiguousArray: RawBytes where Element == UInt8 {}

extension UnsafeRawBufferPointer: RawBytes {
    /// Lends itself: for sealing part of a buffer without copying it.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}

/// A byte that empty buffers point at: libsodium's headers mark pointers `nonnull` even for zero lengths.
nonisolated(unsafe) private let emptyByte: UnsafeMutablePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}()

extension UnsafeRawBufferPointer {
    /// The bytes as a non-null C pointer (a private dummy byte when empty; never read past `count`).
    var u8: UnsafePointer<UInt8> {
        guard let base = baseAddress else { return UnsafePointer(emptyByte) }
        return base.assumingMemoryBound(to: UInt8.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The bytes as a non-null C pointer (a private dummy byte when empty; never written past `count`).
    var u8: UnsafeMutablePointer<UInt8> {
        guard let base = baseAddress else { return emptyByte }
        return base.assumingMemoryBound(to: UInt8.self)
    }
}
extension SecureBytes: RawBytes {}
