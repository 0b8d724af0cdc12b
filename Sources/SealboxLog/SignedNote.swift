public import SealboxCrypto

/// A C2SP signed-note Ed25519 verifier key: `<name>+<hex key id>+<base64(0x01 ‖ public key)>`.
public struct NoteVerifier: Sendable, Hashable, CustomStringConvertible {
    /// The key name (no spaces, no `+`).
    public let name: String
    /// The public key.
    public let key: SigningPublicKey
    /// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4].
    public let keyID: [UInt8]

    /// Creates a verifier for `key` under `name`.
    /// - Throws: `LogError.malformed` for an empty name or one with a space or `+`.
    public init(name: String, key: SigningPublicKey) throws(LogError) {
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "+" }) else {
            throw LogError(.malformed, "a note key name must be non-empty, without spaces or '+'")
        }
        self.name = name
        self.key = key
        self.keyID = Array(SHA256.hash(Array(name.utf8) + [0x0a, 0x01] + key.bytes).prefix(4))
    }

    /// Parses the vkey text form, checking that the key id matches.
    /// - Throws: `LogError.malformed`.
    public init(parsing text: String) throws(LogError) {
        // The name and the hex id hold no '+'; the base64 key may, so split twice only.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let id = Hex.decode(parts[1]), id.count == 4, let raw = Base64.decode(parts[2]),
            raw.count == 33, raw[0] == 0x01, let key = try? SigningPublicKey(Array(raw[1...]))
        else { throw LogError(.malformed, "not an Ed25519 note verifier key") }
        try self.init(name: parts[0], key: key)
        guard keyID == id else { throw LogError(.malformed, "the verifier key's id does not match its key") }
    }

    /// The vkey text.
    public var description: String { "\(name)+\(Hex.encode(keyID))+\(Base64.encode([0x01] + key.bytes))" }
}

/// A C2SP signed note: text ending in a newline, a blank line, and signature lines `— <name> <base64(id ‖ sig)>`.
public struct SignedNote: Sendable, Equatable {
    /// One signature line.
    public struct Signature: Sendable, Equatable {
        /// The key name.
        public var name: String
        /// The 4-byte key id.
        public var keyID: [UInt8]
        /// The signature bytes.
        public var signature: [UInt8]
    }

    /// The note text, ending in a newline.
    public var text: String
    /// The signatures.
    public var signatures: [Signature]

    /// Signs `text` with `key` under `name`.
    /// - Throws: `LogError.malformed` when the text does not end in a newline or holds control characters.
    public static func sign(_ text: String, name: String, key: SigningSecretKey) throws(LogError) -> SignedNote {
        try checkText(text)
        let verifier = try NoteVerifier(name: name, key: key.publicKey)
        let sig = key.signature(for: Array(text.utf8))
        return SignedNote(text: text, signatures: [Signature(name: name, keyID: verifier.keyID, signature: sig)])
    }

    static func checkText(_ text: String) throws(LogError) {
        guard text.hasSuffix("\n"), !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) else {
            throw LogError(.malformed, "note text must end in a newline and hold no control characters")
        }
    }

    /// The note as text.
    public var serialised: String {
        text + "\n" + signatures.map { "— \($0.name) \(Base64.encode($0.keyID + $0.signature))\n" }.joined()
    }

    /// Parses a note (the text is everything before the last blank line).
    /// - Throws: `LogError.malformed`.
    public init(parsing note: String) throws(LogError) {
        // The text ends at the last blank line: find the last "\n\n".
        let scalars = Array(note.utf8)
        guard
            let split = (0..<max(0, scalars.count - 1)).last(where: { scalars[$0] == 0x0a && scalars[$0 + 1] == 0x0a })
        else { throw LogError(.malformed, "a signed note needs a blank line before its signatures") }
        let text = String(decoding: scalars[...split], as: UTF8.self)
        try Self.checkText(text)
        let lines = String(decoding: scalars[(split + 2)...], as: UTF8.self).split(
            byte: 0x0A, omittingEmptySubsequences: false)
        guard lines.last == "", lines.count >= 2 else {
            throw LogError(.malformed, "signature lines must end in a newline")
        }
        var signatures: [Signature] = []
        for line in lines.dropLast() {
            let parts = line.split(byte: 0x20, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "—", let raw = Base64.decode(parts[2]), raw.count > 4 else {
                throw LogError(.malformed, "malformed signature line")
            }
            signatures.append(Signature(name: String(parts[1]), keyID: Array(raw[0..<4]), signature: Array(raw[4...])))
        }
        self.init(text: text, signatures: signatures)
    }

    init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// The verifiers among `known` whose signatures are present and valid.
    ///
    /// A signature from a known key that fails makes the whole note fail; unknown keys are ignored.
    /// - Throws: `LogError.badSignature` when a known key's signature fails; `.unknownKey` when none is known.
    public func verifiedSigners(_ known: [NoteVerifier]) throws(LogError) -> [NoteVerifier] {
        var ok: [NoteVerifier] = []
        for sig in signatures {
            guard let verifier = known.first(where: { $0.name == sig.name && $0.keyID == sig.keyID }) else { continue }
            guard verifier.key.isValidSignature(sig.signature, for: Array(text.utf8)) else {
                throw LogError(.badSignature, "the signature by \(sig.name) does not verify")
            }
            ok.append(verifier)
        }
        guard !ok.isEmpty else { throw LogError(.unknownKey, "no signature by a trusted key") }
        return ok
    }
}

/// A C2SP tlog checkpoint: origin, tree size, base64 root hash (no extension lines are written).
public struct Checkpoint: Sendable, Equatable {
    /// The log's origin.
    public var origin: String
    /// The number of leaves.
    public var size: Int
    /// The RFC 9162 root hash.
    public var root: Merkle.Hash

    /// Creates a checkpoint.
    public init(origin: String, size: Int, root: Merkle.Hash) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note text.
    public var text: String { "\(origin)\n\(size)\n\(Base64.encode(root))\n" }

    /// Parses a checkpoint's note text.
    /// - Throws: `LogError.malformed`.
    public init(parsing text: String) throws(LogError) {
        let lines = text.split(byte: 0x0A, omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", !lines[0].isEmpty, let size = Int(lines[1]), size >= 0,
            String(size) == lines[1], let root = Base64.decode(lines[2]), root.count == 32,
            lines.dropFirst(3).dropLast().allSatisfy({ !$0.isEmpty })
        else { throw LogError(.malformed, "not a tlog checkpoint") }
        self.init(origin: String(lines[0]), size: size, root: root)
    }
}

/// A C2SP `tlog-proof`: an entry's index, its inclusion proof, and the signed checkpoint it is proved against.
public struct TlogProof: Sendable, Equatable {
    /// Optional opaque extra data (not authenticated).
    public var extra: [UInt8]?
    /// The entry's zero-based index.
    public var index: Int
    /// The inclusion proof, leaf's sibling first.
    public var proof: [Merkle.Hash]
    /// The signed checkpoint.
    public var checkpoint: SignedNote

    /// Creates a proof.
    public init(extra: [UInt8]? = nil, index: Int, proof: [Merkle.Hash], checkpoint: SignedNote) {
        self.extra = extra
        self.index = index
        self.proof = proof
        self.checkpoint = checkpoint
    }

    /// The `.tlog-proof` text.
    public var serialised: String {
        var out = "c2sp.org/tlog-proof@v1\n"
        if let extra { out += "extra \(Base64.encode(extra))\n" }
        out += "index \(index)\n"
        for hash in proof { out += Base64.encode(hash) + "\n" }
        return out + "\n" + checkpoint.serialised
    }

    /// Parses the `.tlog-proof` text.
    /// - Throws: `LogError.malformed`.
    public init(parsing text: String) throws(LogError) {
        var lines = text.split(byte: 0x0A, omittingEmptySubsequences: false)[...]
        guard lines.popFirst() == "c2sp.org/tlog-proof@v1" else { throw LogError(.malformed, "not a tlog-proof") }
        var extra: [UInt8]?
        if let line = lines.first, line.hasPrefix("extra ") {
            guard let bytes = Base64.decode(line.dropFirst(6)) else { throw LogError(.malformed, "bad extra line") }
            extra = bytes
            lines = lines.dropFirst()
        }
        guard let indexLine = lines.popFirst(), indexLine.hasPrefix("index "), let index = Int(indexLine.dropFirst(6)),
            index >= 0, String(index) == indexLine.dropFirst(6)
        else { throw LogError(.malformed, "bad index line") }
        var proof: [Merkle.Hash] = []
        while let line = lines.popFirst(), !line.isEmpty {
            guard let hash = Base64.decode(line), hash.count == 32 else { throw LogError(.malformed, "bad proof hash") }
            proof.append(hash)
        }
        // The rest of the text, as it stands, is the signed checkpoint.
        guard let rest = lines.first else { throw LogError(.malformed, "no checkpoint after the proof") }
        let note = try SignedNote(parsing: String(text[rest.startIndex...]))
        self.init(extra: extra, index: index, proof: proof, checkpoint: note)
    }

    /// Verifies the proof for a leaf against trusted keys and an expected origin.
    /// - Returns: the checkpoint proved against.
    /// - Throws: `LogError` saying which step failed.
    public func verify(leaf: Merkle.Hash, origin: String, trusted: [NoteVerifier]) throws(LogError) -> Checkpoint {
        _ = try checkpoint.verifiedSigners(trusted)
        let cp = try Checkpoint(parsing: checkpoint.text)
        guard cp.origin == origin else {
            throw LogError(.malformed, "the checkpoint is from another log (\(cp.origin))")
        }
        guard Merkle.verifyInclusion(index: index, size: cp.size, leaf: leaf, proof: proof, root: cp.root) else {
            throw LogError(.proofFailed, "the entry at index \(index) is not in the checkpointed tree")
        }
        return cp
    }
}
