import SealboxCrypto
import Testing

@testable import SealboxLog

/// RFC 9162 §2.1 against an independent reference written from the definitions, for every tree of 0–17 leaves
/// and every proof of every pair, plus the RFC 6962 reference roots.
struct MerkleTests {
    /// The 8 leaves of the RFC 6962 reference tests (certificate-transparency), hex.
    static let referenceLeaves = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ]
    /// Their roots for sizes 1…8 (also recomputed independently from the definition).
    static let referenceRoots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    // MARK: - Reference: the RFC's recursive definitions, written independently of the implementation

    static func sha(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes) }
    static func mth(_ d: [[UInt8]]) -> [UInt8] {
        if d.isEmpty { return sha([]) }
        if d.count == 1 { return sha([0] + d[0]) }
        var k = 1
        while k * 2 < d.count { k *= 2 }
        return sha([1] + mth(Array(d[..<k])) + mth(Array(d[k...])))
    }
    static func path(_ m: Int, _ d: [[UInt8]]) -> [[UInt8]] {
        if d.count == 1 { return [] }
        var k = 1
        while k * 2 < d.count { k *= 2 }
        return m < k
            ? path(m, Array(d[..<k])) + [mth(Array(d[k...]))] : path(m - k, Array(d[k...])) + [mth(Array(d[..<k]))]
    }
    static func subproof(_ m: Int, _ d: [[UInt8]], _ b: Bool) -> [[UInt8]] {
        if m == d.count { return b ? [] : [mth(d)] }
        var k = 1
        while k * 2 < d.count { k *= 2 }
        return m <= k
            ? subproof(m, Array(d[..<k]), b) + [mth(Array(d[k...]))]
            : subproof(m - k, Array(d[k...]), false) + [mth(Array(d[..<k]))]
    }

    static func entries(_ n: Int) -> [[UInt8]] { (0..<n).map { Array("entry \($0)".utf8) } }

    @Test func referenceRootsOfRFC6962() {
        let leaves = Self.referenceLeaves.map { Merkle.leafHash(Hex.decode($0) ?? []) }
        for size in 1...8 {
            #expect(Hex.encode(Merkle.root(leaves[0..<size])) == Self.referenceRoots[size - 1], "size \(size)")
        }
        #expect(Hex.encode(Merkle.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// Proofs read from kept subtrees answer as a tree held whole does: the frontier names each perfect subtree
    /// it completes (level and index) as the store keeps them, smaller ones are hashed again from their leaves, and
    /// only subtrees inside the tree are asked for.
    @Test(arguments: 0...4)
    func proofsFromKeptSubtreesMatchATreeHeldWhole(keptLevel: Int) {
        let leaves = Self.entries(70).map { Merkle.leafHash($0) }
        var kept: [String: Merkle.Hash] = [:]
        var frontier = MerkleFrontier()
        for (size, leaf) in zip(1..., leaves) {
            frontier.append(leaf) { level, index, hash in
                #expect(level >= 1 && (index + 1) << level == size, "a completed subtree ends at the new leaf")
                if level >= keptLevel { kept["\(level)/\(index)"] = hash }
            }
            let whole = MerkleTree(leaves: Array(leaves[0..<size]))
            func subtree(_ level: Int, _ index: Int) -> Merkle.Hash {
                #expect((index + 1) << level <= size, "a subtree outside the tree was asked for")
                if level == 0 { return leaves[index] }
                if level >= keptLevel, let hash = kept["\(level)/\(index)"] { return hash }
                #expect(level < keptLevel, "kept subtree \(level)/\(index) was never completed")
                return Merkle.nodeHash(subtree(level - 1, 2 * index), subtree(level - 1, 2 * index + 1))
            }
            #expect(Merkle.hash(0, size, subtree) == whole.root && whole.root == frontier.root)
            for index in 0..<size {
                #expect(Merkle.inclusionProof(index, size: size, subtree) == whole.inclusionProof(index))
            }
            for m in 0...size { #expect(Merkle.consistencyProof(m, size: size, subtree) == whole.consistencyProof(m)) }
        }
    }

    @Test(arguments: 0...17)
    func rootsAndEveryProofMatchTheReference(size: Int) {
        let data = Self.entries(size)
        let leaves = data.map { Merkle.leafHash($0) }
        let root = Merkle.root(leaves[...])
        #expect(root == Self.mth(data))
        var frontier = MerkleFrontier()
        for leaf in leaves { frontier.append(leaf) }
        #expect(frontier.root == root && frontier.size == size)
        #expect(MerkleFrontier(encoded: frontier.encoded) == frontier)
        var checked = 0
        for index in 0..<size {
            let proof = Merkle.inclusionProof(index, leaves[...])
            #expect(proof == Self.path(index, data))
            #expect(Merkle.verifyInclusion(index: index, size: size, leaf: leaves[index], proof: proof, root: root))
            // Wrong leaf, wrong index, wrong size, truncated or extended proof: refused.
            #expect(
                !Merkle.verifyInclusion(index: index, size: size, leaf: Merkle.leafHash([9]), proof: proof, root: root))
            if size > 1 {
                #expect(
                    !Merkle.verifyInclusion(
                        index: (index + 1) % size, size: size, leaf: leaves[index], proof: proof, root: root))
                #expect(
                    !Merkle.verifyInclusion(
                        index: index, size: size, leaf: leaves[index], proof: Array(proof.dropLast()), root: root))
            }
            #expect(
                !Merkle.verifyInclusion(
                    index: index, size: size, leaf: leaves[index], proof: proof + [root], root: root))
            checked += 1
        }
        for m in 0...size {
            let proof = Merkle.consistencyProof(m, leaves[...])
            let old = Merkle.root(leaves[0..<m])
            if m > 0 && m < size { #expect(proof == Self.subproof(m, data, true)) }
            #expect(Merkle.verifyConsistency(first: m, second: size, firstRoot: old, secondRoot: root, proof: proof))
            if m > 0 && m < size {
                #expect(
                    !Merkle.verifyConsistency(
                        first: m, second: size, firstRoot: Merkle.leafHash([7]), secondRoot: root, proof: proof))
                #expect(
                    !Merkle.verifyConsistency(first: m, second: size, firstRoot: old, secondRoot: old, proof: proof))
                var bent = proof
                bent[0][0] ^= 1
                #expect(
                    !Merkle.verifyConsistency(first: m, second: size, firstRoot: old, secondRoot: root, proof: bent))
            }
            checked += 1
        }
        #expect(checked == 2 * size + 1)
    }
}

struct NoteTests {
    /// The example of c2sp.org/signed-note.
    @Test func verifiesTheSpecExample() throws {
        let vkey = try NoteVerifier(parsing: "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        let note = try SignedNote(
            parsing: "This is an example message.\n\n"
                + "— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
        )
        #expect(try note.verifiedSigners([vkey]).map(\.name) == ["example.com/foo"])
        var altered = note
        altered.text = "This is an example massage.\n"
        #expect(throws: LogError.self) { try altered.verifiedSigners([vkey]) }
        #expect(throws: LogError.self) {
            try NoteVerifier(parsing: "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
        }
    }

    /// Base64 keys often hold '+', the vkey separator: every one must parse back (found flaky before the fix).
    @Test func verifierKeysRoundTripWhateverTheirBase64() throws {
        for _ in 0..<200 {
            let vkey = try NoteVerifier(name: "sealbox/user/x", key: SigningSecretKey.generate().publicKey)
            #expect(try NoteVerifier(parsing: vkey.description) == vkey)
        }
    }

    @Test func checkpointsAndProofsRoundTrip() throws {
        let key = SigningSecretKey.generate()
        let vkey = try NoteVerifier(name: "sealbox/test", key: key.publicKey)
        #expect(try NoteVerifier(parsing: vkey.description) == vkey)
        let leaves = (0..<5).map { Merkle.leafHash(Array("e\($0)".utf8)) }
        let cp = Checkpoint(origin: "sealbox/log", size: 5, root: Merkle.root(leaves[...]))
        #expect(try Checkpoint(parsing: cp.text) == cp)
        let note = try SignedNote.sign(cp.text, name: "sealbox/test", key: key)
        #expect(try SignedNote(parsing: note.serialised) == note)
        let proof = TlogProof(index: 3, proof: Merkle.inclusionProof(3, leaves[...]), checkpoint: note)
        let parsed = try TlogProof(parsing: proof.serialised)
        #expect(parsed == proof)
        #expect(try parsed.verify(leaf: leaves[3], origin: "sealbox/log", trusted: [vkey]) == cp)
        #expect(throws: LogError.self) { try parsed.verify(leaf: leaves[2], origin: "sealbox/log", trusted: [vkey]) }
        #expect(throws: LogError.self) { try parsed.verify(leaf: leaves[3], origin: "other/log", trusted: [vkey]) }
        let stranger = try NoteVerifier(name: "sealbox/test", key: SigningSecretKey.generate().publicKey)
        #expect(throws: LogError.self) {
            try parsed.verify(leaf: leaves[3], origin: "sealbox/log", trusted: [stranger])
        }
        for bad in ["", "c2sp.org/tlog-proof@v1\nindex x\n\n", "c2sp.org/tlog-proof@v1\nindex 01\n\n"] {
            #expect(throws: LogError.self) { try TlogProof(parsing: bad) }
        }
        #expect(throws: LogError.self) { try Checkpoint(parsing: "o\n007\nAAAA\n") }
    }
}
