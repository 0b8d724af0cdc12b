public import SealboxCrypto

/// RFC 9162 §2.1 Merkle tree hashing: SHA-256, `0x00` leaf prefix, `0x01` node prefix, split at the largest power
/// of two smaller than the size.
public enum Merkle {
    /// A 32-byte SHA-256 hash.
    public typealias Hash = [UInt8]

    /// MTH({}) = SHA-256("").
    public static let emptyRoot: Hash = SHA256.hash([UInt8]())

    /// SHA-256(0x00 ‖ entry).
    public static func leafHash(_ entry: some RawBytes) -> Hash {
        var h = SHA256()
        h.update([UInt8(0)])
        h.update(entry)
        return h.finalize()
    }

    /// SHA-256(0x01 ‖ left ‖ right), hashed in one call over one buffer (trees and proofs hash millions).
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var node = [UInt8](repeating: 1, count: 1 + left.count + right.count)
        node.withUnsafeMutableBufferPointer { b in
            _ = UnsafeMutableBufferPointer(rebasing: b[1...]).initialize(from: left)
            _ = UnsafeMutableBufferPointer(rebasing: b[(1 + left.count)...]).initialize(from: right)
        }
        return SHA256.hash(node)
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH of leaf hashes `leaves[range]`.
    public static func root(_ leaves: ArraySlice<Hash>) -> Hash {
        MerkleTree(leaves: Array(leaves)).root
    }

    /// The inclusion proof PATH(m, D[n]) (RFC 9162 §2.1.3.1) for leaf `index` in the tree of `leaves`.
    public static func inclusionProof(_ index: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        MerkleTree(leaves: Array(leaves)).inclusionProof(index)
    }

    /// The consistency proof PROOF(m, D[n]) (RFC 9162 §2.1.4.1) between the first `m` leaves and all of `leaves`.
    public static func consistencyProof(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        MerkleTree(leaves: Array(leaves)).consistencyProof(m)
    }

    /// MTH of leaves `start ..< end`, for ranges RFC 9162's splitting produces (every left part a perfect subtree
    /// aligned to its own size), from the perfect subtrees `subtree(level, index)` gives: the hash of leaves
    /// `index·2^level ..< (index+1)·2^level` (level 0: the leaf hash).
    ///
    /// A tree held whole (`MerkleTree`) and the store's persisted subtrees answer alike, so proofs are computed one
    /// way whatever holds the tree: O(log n) subtrees for a hash or a proof.
    public static func hash(_ start: Int, _ end: Int, _ subtree: (_ level: Int, _ index: Int) throws -> Hash) rethrows
        -> Hash
    {
        let n = end - start
        if n == 0 { return emptyRoot }
        if n & (n - 1) == 0 && start % n == 0 {
            let level = n.trailingZeroBitCount
            return try subtree(level, start >> level)
        }
        let k = split(n)
        return nodeHash(try hash(start, start + k, subtree), try hash(start + k, end, subtree))
    }

    /// PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), from the perfect subtrees `subtree` gives (see `hash`).
    public static func inclusionProof(
        _ index: Int, size: Int, _ subtree: (_ level: Int, _ index: Int) throws -> Hash
    ) rethrows -> [Hash] {
        precondition(index >= 0 && index < size, "leaf index out of range")
        func path(_ m: Int, _ start: Int, _ end: Int) throws -> [Hash] {
            let n = end - start
            guard n > 1 else { return [] }
            let k = split(n)
            if m < k { return try path(m, start, start + k) + [try hash(start + k, end, subtree)] }
            return try path(m - k, start + k, end) + [try hash(start, start + k, subtree)]
        }
        return try path(index, 0, size)
    }

    /// PROOF(m, D[0:size]) (RFC 9162 §2.1.4.1), from the perfect subtrees `subtree` gives (see `hash`).
    public static func consistencyProof(
        _ m: Int, size: Int, _ subtree: (_ level: Int, _ index: Int) throws -> Hash
    ) rethrows -> [Hash] {
        precondition(m >= 0 && m <= size, "old size out of range")
        guard m > 0 && m < size else { return [] }
        func subproof(_ m: Int, _ start: Int, _ end: Int, complete: Bool) throws -> [Hash] {
            let n = end - start
            if m == n { return complete ? [] : [try hash(start, end, subtree)] }
            let k = split(n)
            if m <= k {
                return try subproof(m, start, start + k, complete: complete) + [try hash(start + k, end, subtree)]
            }
            return try subproof(m - k, start + k, end, complete: false) + [try hash(start, start + k, subtree)]
        }
        return try subproof(m, 0, size, complete: true)
    }

    /// Verifies an inclusion proof (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(index: Int, size: Int, leaf: Hash, proof: [Hash], root: Hash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leaf
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Verifies a consistency proof (RFC 9162 §2.1.4.2) from (`first`, `firstRoot`) to (`second`, `secondRoot`).
    public static func verifyConsistency(first: Int, second: Int, firstRoot: Hash, secondRoot: Hash, proof: [Hash])
        -> Bool
    {
        guard first >= 0, first <= second else { return false }
        if first == 0 { return proof.isEmpty && firstRoot == emptyRoot }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        guard !proof.isEmpty else { return false }
        var path = proof
        if first & (first - 1) == 0 { path.insert(firstRoot, at: 0) }
        var fn = first - 1
        var sn = second - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}

/// A tree held whole, with every perfect subtree's hash computed once (about n hashes).
///
/// RFC 9162 splits a range at the largest power of two below its size, so every left part it names is a perfect
/// subtree aligned to its own size; any subtree hash, inclusion proof or consistency proof then costs O(log² n)
/// hashes at most instead of O(n). The store does not hold one: it reads its kept subtrees through the same
/// algorithms (`Merkle.inclusionProof(_:size:_:)`); a tree held whole serves `Merkle.root` and the proofs over leaves
/// in hand.
public struct MerkleTree: Sendable {
    /// `levels[h][j]` is the hash of leaves `j·2^h ..< (j+1)·2^h`.
    private var levels: [[Merkle.Hash]]

    /// Builds the perfect subtrees of `leaves` (leaf hashes, in order).
    public init(leaves: [Merkle.Hash]) {
        var levels = [leaves]
        while let below = levels.last, below.count >= 2 {
            var up: [Merkle.Hash] = []
            up.reserveCapacity(below.count / 2)
            var i = 0
            while i + 1 < below.count {
                up.append(Merkle.nodeHash(below[i], below[i + 1]))
                i += 2
            }
            levels.append(up)
        }
        self.levels = levels
    }

    /// The number of leaves.
    public var size: Int { levels[0].count }

    /// MTH(D[0:size]).
    public var root: Merkle.Hash { hash(0, size) }

    /// MTH of leaves `start ..< end`, for ranges RFC 9162's splitting produces.
    func hash(_ start: Int, _ end: Int) -> Merkle.Hash { Merkle.hash(start, end, subtree) }

    /// The hash of leaves `index·2^level ..< (index+1)·2^level`, held since it was built.
    private func subtree(_ level: Int, _ index: Int) -> Merkle.Hash { levels[level][index] }

    /// PATH(index, D[0:size]) (RFC 9162 §2.1.3.1).
    public func inclusionProof(_ index: Int) -> [Merkle.Hash] { Merkle.inclusionProof(index, size: size, subtree) }

    /// PROOF(m, D[0:size]) (RFC 9162 §2.1.4.1).
    public func consistencyProof(_ m: Int) -> [Merkle.Hash] { Merkle.consistencyProof(m, size: size, subtree) }
}

/// The right edge of a growing tree: one perfect subtree hash per set bit of the size, largest first.
///
/// Appending is
/// O(log n) and the root is always at hand, so a log of millions of events never needs re-reading to extend.
public struct MerkleFrontier: Sendable, Equatable {
    /// (subtree size, subtree hash), sizes strictly decreasing powers of two.
    public private(set) var subtrees: [(size: Int, hash: Merkle.Hash)] = []

    /// An empty tree.
    public init() {}

    /// The number of leaves.
    public var size: Int { subtrees.reduce(0) { $0 + $1.size } }

    /// Appends a leaf hash.
    public mutating func append(_ leaf: Merkle.Hash) { append(leaf) { _, _, _ in } }

    /// Appends a leaf hash, passing each perfect subtree it completes to `completed`, smallest first.
    ///
    /// Each comes with its level (log2 of its size), its index at that level (it holds leaves
    /// `index·2^level ..< (index+1)·2^level`) and its hash. The store keeps the larger ones so that proofs never
    /// need the whole log.
    public mutating func append(
        _ leaf: Merkle.Hash, completed: (_ level: Int, _ index: Int, _ hash: Merkle.Hash) throws -> Void
    ) rethrows {
        let end = size + 1
        subtrees.append((1, leaf))
        while subtrees.count >= 2, subtrees[subtrees.count - 1].size == subtrees[subtrees.count - 2].size {
            let right = subtrees.removeLast()
            let left = subtrees.removeLast()
            let merged = (size: left.size * 2, hash: Merkle.nodeHash(left.hash, right.hash))
            subtrees.append(merged)
            try completed(merged.size.trailingZeroBitCount, end / merged.size - 1, merged.hash)
        }
    }

    /// The RFC 9162 root of the leaves so far.
    public var root: Merkle.Hash {
        guard var hash = subtrees.last?.hash else { return Merkle.emptyRoot }
        for subtree in subtrees.dropLast().reversed() { hash = Merkle.nodeHash(subtree.hash, hash) }
        return hash
    }

    /// A compact encoding: 8-byte big-endian size per subtree then its hash.
    public var encoded: [UInt8] {
        subtrees.flatMap { s in (0..<8).map { UInt8(truncatingIfNeeded: s.size >> (56 - 8 * $0)) } + s.hash }
    }

    /// Decodes `encoded`; `nil` when malformed.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count % 40 == 0 else { return nil }
        var i = 0
        while i < bytes.count {
            let size = bytes[i..<(i + 8)].reduce(0) { $0 << 8 | Int($1) }
            subtrees.append((size, Array(bytes[(i + 8)..<(i + 40)])))
            i += 40
        }
    }

    public static func == (lhs: MerkleFrontier, rhs: MerkleFrontier) -> Bool {
        lhs.subtrees.map(\.size) == rhs.subtrees.map(\.size) && lhs.subtrees.map(\.hash) == rhs.subtrees.map(\.hash)
    }
}
