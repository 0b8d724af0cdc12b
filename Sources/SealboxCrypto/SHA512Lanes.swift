internal import CSHA512Lanes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// SHA-512 of many messages together, eight at a time on the lanes of AVX-512 registers where the processor has
/// them: what an archive export's manifest digests run on.
///
/// One message's SHA-512 is a chain of compressions no processor can run in parallel (OpenSSL's takes ~280 µs for
/// a package's 233 KB here); eight messages' chains, one per 64-bit lane, run together in ~100 µs a message
/// (measured). Each message is copied into its lane's buffer in pieces and padded there (FIPS 180-4 §5.1.2); a lane
/// that finishes takes the next message, so messages of any lengths mix. Without AVX-512, or when asked, the
/// messages are hashed one after another by OpenSSL. The digests are of public data (archive packages'
/// ciphertext): nothing here runs in constant time, nor needs to.
public enum SHA512Lanes {
    /// Whether the processor runs the eight-lane code, and it is not turned off (`SEALBOX_SHA512_LANES=off` in the
    /// environment: OpenSSL's SHA-512 one file at a time, as on a processor without AVX-512; `Tools/test` runs the
    /// archive tests so too).
    public static let isAvailable =
        sealbox_sha512_lanes_available() != 0 && getenv("SEALBOX_SHA512_LANES").map { String(cString: $0) } != "off"

    /// The SHA-512 digests of `messages`, in order.
    /// - Parameters:
    ///   - messages: the messages.
    ///   - lanes: whether to use the eight-lane code (only where `isAvailable`).
    /// - Returns: one 64-byte digest a message.
    public static func digests(of messages: [[UInt8]], lanes: Bool = isAvailable) -> [[UInt8]] {
        precondition(!lanes || isAvailable, "the eight-lane SHA-512 needs AVX-512")
        guard lanes else { return messages.map { OpenSSLSHA512.hash($0) } }
        return Machine(lengths: messages.map(\.count)).run { message, offset, buffer in
            messages[message].withUnsafeBytes { m in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: m[offset..<(offset + buffer.count)]))
            }
        }
    }

    /// The bytes a lane copies in at a time; its buffer holds these, a block left over, and the padding.
    static let piece = 64 * 1024

    /// The eight lanes: each hashes one message at a time, from its own buffer.
    private final class Machine {
        static let initial: [UInt64] = [
            0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
            0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179,
        ]
        /// Room a lane's buffer needs: a piece, a block left from the last, and the padding (at most 144 bytes).
        static let capacity = piece + 128 + 256

        let lengths: [Int]
        /// The messages longest first, the order lanes take them in: the long ones then run side by side rather
        /// than one left running alone at the end.
        let order: [Int]
        var digests: [[UInt8]]
        /// Word k of lane i at `state[8 * k + i]`.
        let state = UnsafeMutablePointer<UInt64>.allocate(capacity: 64)
        /// Where each lane's next block is, for the C function.
        let pointers = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: 8)
        /// Eight lanes' buffers, then a ninth of zeros that idle lanes read.
        let buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: 9 * capacity, alignment: 64)
        var lane = [Lane?](repeating: nil, count: 8)
        var next = 0

        struct Lane {
            var message: Int
            /// Message bytes read so far, and whether the padding follows them in the buffer.
            var fetched = 0
            var padded = false
            /// The bytes in the buffer not yet compressed.
            var start = 0
            var end = 0
        }

        init(lengths: [Int]) {
            self.lengths = lengths
            order = lengths.indices.sorted { (lengths[$0], $1) > (lengths[$1], $0) }
            digests = [[UInt8]](repeating: [], count: lengths.count)
            buffers.initializeMemory(as: UInt8.self, repeating: 0)
            state.initialize(repeating: 0, count: 64)
            pointers.initialize(repeating: nil, count: 8)
        }

        deinit {
            buffers.deallocate()
            state.deallocate()
            pointers.deallocate()
        }

        func run(
            _ read: (Int, Int, UnsafeMutableRawBufferPointer) -> Void
        ) -> [[UInt8]] {
            while true {
                for i in 0..<8 where lane[i] == nil && next < lengths.count {
                    lane[i] = Lane(message: order[next])
                    for k in 0..<8 { state[8 * k + i] = Self.initial[k] }
                    next += 1
                }
                guard lane.contains(where: { $0 != nil }) else { return digests }
                var blocks = Int.max
                for i in 0..<8 where lane[i] != nil {
                    refill(i, read)
                    if let current = lane[i] { blocks = min(blocks, (current.end - current.start) / 128) }
                }
                compress(blocks)
                for i in 0..<8 {
                    guard var current = lane[i] else { continue }
                    current.start += 128 * blocks
                    lane[i] = current
                    if current.padded && current.start == current.end { finish(i) }
                }
            }
        }

        /// Tops up lane `i`'s buffer when less than a block is left: the rest moved to the front, the next piece
        /// read after it, and, once the message is all read, its padding.
        func refill(
            _ i: Int, _ read: (Int, Int, UnsafeMutableRawBufferPointer) -> Void
        ) {
            guard var current = lane[i], current.end - current.start < 128, !current.padded else { return }
            let length = lengths[current.message]
            let base = i * Self.capacity
            let left = current.end - current.start
            let buffer = UnsafeMutableRawBufferPointer(rebasing: buffers[base..<(base + Self.capacity)])
            if left > 0 && current.start > 0 { buffer.u8.update(from: buffer.u8 + current.start, count: left) }
            var end = left
            let count = min(piece, length - current.fetched)
            if count > 0 {
                read(
                    current.message, current.fetched,
                    UnsafeMutableRawBufferPointer(rebasing: buffer[end..<(end + count)]))
                current.fetched += count
                end += count
            }
            if current.fetched == length {
                // FIPS 180-4 §5.1.2: a 1 bit, zeros to 112 bytes modulo 128, the length in bits in 128 bits.
                let total = (length + 17 + 127) / 128 * 128
                let padding = total - length
                buffer[end] = 0x80
                for j in 1..<padding { buffer[end + j] = 0 }
                let bits = UInt64(length) &* 8
                let high = UInt64(length) >> 61
                for j in 0..<8 {
                    buffer[end + padding - 9 - j] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(j)))
                    buffer[end + padding - 1 - j] = UInt8(truncatingIfNeeded: bits >> (8 * UInt64(j)))
                }
                end += padding
                current.padded = true
            }
            current.start = 0
            current.end = end
            lane[i] = current
        }

        /// Runs `blocks` blocks of every busy lane through the compression function (an idle lane reads the zeros
        /// after the eight buffers, and its state is reset before it is used again).
        func compress(_ blocks: Int) {
            let base = UnsafePointer(buffers.u8)
            for i in 0..<8 { pointers[i] = base + (lane[i].map { i * Self.capacity + $0.start } ?? 8 * Self.capacity) }
            sealbox_sha512_lanes(state, pointers, blocks)
        }

        /// Lane `i`'s digest, big-endian words, and the lane freed.
        func finish(_ i: Int) {
            guard let current = lane[i] else { return }
            var digest = [UInt8](repeating: 0, count: 64)
            for k in 0..<8 {
                let word = state[8 * k + i]
                for j in 0..<8 { digest[8 * k + j] = UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(j))) }
            }
            digests[current.message] = digest
            lane[i] = nil
        }
    }
}
