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

    /// SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var h = SHA256()
        h.update([UInt8(1)])
        h.update(left)
        h.update(right)
        return h.finalize()
    }

    /// The largest power of two strictly smaller than `n` (n ≥ 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH of leaf hashes `leaves[range]`.
    public static func root(_ leaves: ArraySlice<Hash>) -> Hash {
        switch leaves.count {
        case 0: return emptyRoot
        case 1: return leaves[leaves.startIndex]
        default:
            let k = split(leaves.count)
            let mid = leaves.startIndex + k
            return nodeHash(root(leaves[leaves.startIndex..<mid]), root(leaves[mid...]))
        }
    }

    /// The inclusion proof PATH(m, D[n]) (RFC 9162 §2.1.3.1) for leaf `index` in the tree of `leaves`.
    public static func inclusionProof(_ index: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        precondition(index >= 0 && index < leaves.count, "leaf index out of range")
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        let mid = leaves.startIndex + k
        if index < k {
            return inclusionProof(index, leaves[leaves.startIndex..<mid]) + [root(leaves[mid...])]
        }
        return inclusionProof(index - k, leaves[mid...]) + [root(leaves[leaves.startIndex..<mid])]
    }

    /// The consistency proof PROOF(m, D[n]) (RFC 9162 §2.1.4.1) between the first `m` leaves and all of `leaves`.
    public static func consistencyProof(_ m: Int, _ leaves: ArraySlice<Hash>) -> [Hash] {
        precondition(m >= 0 && m <= leaves.count, "old size out of range")
        guard m > 0 && m < leaves.count else { return [] }
        return subproof(m, leaves, complete: true)
    }

    static func subproof(_ m: Int, _ leaves: ArraySlice<Hash>, complete: Bool) -> [Hash] {
        let n = leaves.count
        if m == n { return complete ? [] : [root(leaves)] }
        let k = split(n)
        let mid = leaves.startIndex + k
        if m <= k {
            return subproof(m, leaves[leaves.startIndex..<mid], complete: complete) + [root(leaves[mid...])]
        }
        return subproof(m - k, leaves[mid...], complete: false) + [root(leaves[leaves.startIndex..<mid])]
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
    public mutating func append(_ leaf: Merkle.Hash) {
        subtrees.append((1, leaf))
        while subtrees.count >= 2, subtrees[subtrees.count - 1].size == subtrees[subtrees.count - 2].size {
            let right = subtrees.removeLast()
            let left = subtrees.removeLast()
            subtrees.append((left.size * 2, Merkle.nodeHash(left.hash, right.hash)))
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
