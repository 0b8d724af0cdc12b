internal import CSodium
import Synchronization

/// A buffer for secret bytes: guarded memory from `sodium_malloc`, locked out of swap, zeroed on release.
///
/// Security contract:
/// - the bytes live in memory from `sodium_malloc` (guard pages, `mlock`ed where the system allows) and are
///   zeroed with `sodium_memzero` before `sodium_free` when the last reference goes; secrets of 64 bytes or fewer
///   (keys, nonces, MACs) take a slot of a `SecureSlab` — itself `sodium_malloc`ed, guarded and locked — and are
///   zeroed before the slot goes back, since a `sodium_malloc` of its own costs tens of microseconds here;
/// - equality is constant-time (`sodium_memcmp`);
/// - `description`, `debugDescription`, `dump` and string interpolation print `SecureBytes(N bytes, redacted)`;
/// - not `Codable`: a secret leaves this type only by an explicit `withUnsafeBytes` or a sealing call.
public final class SecureBytes: @unchecked Sendable {
    // Invariant making `@unchecked Sendable` sound: `pointer` and `count` never change after `init`; the
    // bytes change only through `withUnsafeMutableBytes` and `refillRandom`, which callers use before sharing the
    // value.
    private let pointer: UnsafeMutableRawPointer
    /// The number of secret bytes.
    public let count: Int
    private let probe: Int?
    /// Whether the bytes are a slot of `SecureSlab` (small secrets) rather than their own `sodium_malloc`.
    private let pooled: Bool

    /// Allocates `count` zeroed bytes and lets `fill` write them.
    ///
    /// - Parameters:
    ///   - count: the number of bytes, at least 1 (`sodium_malloc` needs a size).
    ///   - fill: writes the secret; if it throws, the memory is zeroed and freed once, by `deinit`.
    /// - Throws: what `fill` throws, or `CryptoError.libraryFailure` when guarded memory is exhausted.
    public convenience init<E: Error>(
        count: Int, fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        try self.init(count: count, probe: nil, fill: fill)
    }

    /// Allocates with an optional test probe that records the zeroing and freeing of this buffer.
    init<E: Error>(count: Int, probe: Int?, fill: (UnsafeMutableRawBufferPointer) throws(E) -> Void) throws(E) {
        Sodium.ensure()
        let size = max(count, 1)
        let pooled = probe == nil && size <= SecureSlab.slotSize
        guard let memory = pooled ? SecureSlab.take() : sodium_malloc(size) else {
            // Out of guarded memory: there is no way to continue safely.
            fatalError("sodium_malloc failed: out of guarded memory")
        }
        sodium_memzero(memory, size)
        self.pointer = memory
        self.count = count
        self.probe = probe
        self.pooled = pooled
        // Every stored property is set: if `fill` throws, Swift runs `deinit`, which frees. Never free here.
        try fill(UnsafeMutableRawBufferPointer(start: memory, count: count))
    }

    /// Allocates `count` zeroed bytes, to be filled later (a reused buffer for streaming).
    public convenience init(count: Int) {
        self.init(count: count) { (_: UnsafeMutableRawBufferPointer) -> Void in }
    }

    /// Copies `bytes` into secure memory; the caller should wipe its own copy.
    public convenience init(copying bytes: some Collection<UInt8>) {
        self.init(count: bytes.count) { (buffer: UnsafeMutableRawBufferPointer) -> Void in
            buffer.copyBytes(from: bytes)
        }
    }

    /// Overwrites the bytes with fresh random ones in place.
    ///
    /// For bulk work that needs many short-lived keys one after another (bulk registration): one guarded buffer
    /// instead of a `sodium_malloc` and `sodium_free` per key. Only for a buffer not shared with another thread.
    public func refillRandom() {
        randombytes_buf(pointer, count)
    }

    /// Creates `count` random secret bytes.
    public static func random(count: Int) -> SecureBytes {
        SecureBytes(count: count) { (buffer: UnsafeMutableRawBufferPointer) -> Void in
            if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
        }
    }

    deinit {
        sodium_memzero(pointer, max(count, 1))
        if let probe {
            let zeroed = sodium_is_zero(pointer.assumingMemoryBound(to: UInt8.self), max(count, 1)) == 1
            SecureBytes.probeRecords.withLock { $0[probe, default: []].append(zeroed) }
        }
        if pooled {
            SecureSlab.give(pointer)
        } else {
            sodium_free(pointer)
        }
    }

    /// Lends the secret bytes read-only for the duration of `body`; the pointer must not escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Lends the secret bytes for writing for the duration of `body`; the pointer must not escape.
    public func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// Overwrites an ordinary array with zeros (`sodium_memzero`), for transient copies of secrets.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }

    /// Test hook: for each probe id, whether the buffer was all zero just before each `sodium_free`.
    static let probeRecords = Mutex<[Int: [Bool]]>([:])
}

// MARK: - Equality and redaction

extension SecureBytes: Equatable {
    /// Constant-time comparison of contents (`sodium_memcmp`); different lengths are unequal.
    public static func == (lhs: SecureBytes, rhs: SecureBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return sodium_memcmp(lhs.pointer, rhs.pointer, lhs.count) == 0
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Small secrets' memory: slabs of 64-byte slots, each slab one `sodium_malloc` (guard pages around the slab,
/// `mlock`ed), handed out and taken back under a lock.
///
/// Slots are zeroed by `SecureBytes` before they come back. What this gives up against one `sodium_malloc` per
/// secret: no guard page between two slots of one slab. Slabs are never freed; the pool grows to the peak number of
/// small secrets alive at once.
enum SecureSlab {
    /// The largest secret a slot holds.
    static let slotSize = 64
    static let slotsPerSlab = 256
    /// The free slots' addresses, handed between threads only under the mutex that holds them.
    private static let slots = Mutex<[UInt]>([])

    /// A zeroed slot, or `nil` when guarded memory is exhausted.
    static func take() -> UnsafeMutableRawPointer? {
        slots.withLock { free -> UnsafeMutableRawPointer? in
            if free.isEmpty {
                guard let slab = sodium_malloc(slotSize * slotsPerSlab) else { return nil }
                sodium_memzero(slab, slotSize * slotsPerSlab)
                free.reserveCapacity(free.count + slotsPerSlab)
                for i in 0..<slotsPerSlab { free.append(UInt(bitPattern: slab + i * slotSize)) }
            }
            return UnsafeMutableRawPointer(bitPattern: free.removeLast())
        }
    }

    /// Returns a slot, already zeroed by its owner.
    static func give(_ slot: UnsafeMutableRawPointer) {
        let address = UInt(bitPattern: slot)
        slots.withLock { $0.append(address) }
    }
}

/// Guarded buffers of one size, kept for reuse across threads.
///
/// A `sodium_malloc` maps, guards and locks pages of its own and its `sodium_free` unmaps them (tens of
/// microseconds, and a TLB shootdown on every core): too dear for a 64 KiB buffer per attachment streamed. A buffer
/// is lent to one caller at a time, zeroed when it comes back, and at most `keep` are kept.
public final class SecureBufferPool: Sendable {
    /// The size of each buffer.
    public let count: Int
    private let keep: Int
    private let idle = Mutex<[SecureBytes]>([])

    /// A pool of `count`-byte buffers keeping at most `keep` idle ones.
    public init(count: Int, keep: Int = 8) {
        self.count = count
        self.keep = keep
    }

    /// Lends a zeroed buffer to `body`, then zeroes it and takes it back.
    public func withBuffer<R, E: Error>(_ body: (SecureBytes) throws(E) -> R) throws(E) -> R {
        let buffer = idle.withLock { $0.popLast() } ?? SecureBytes(count: count)
        defer {
            buffer.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) }
            idle.withLock { if $0.count < keep { $0.append(buffer) } }
        }
        return try body(buffer)
    }
}
