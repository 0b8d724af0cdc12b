import Foundation
import GRDB
import SealboxCore
public import SealboxCrypto
public import SealboxLog

/// What `audit` found: each problem names what is wrong and where.
public struct AuditReport: Sendable {
    /// Events read.
    public var events = 0
    /// Checkpoints read.
    public var checkpoints = 0
    /// Problems: any one fails the audit.
    public var problems: [String] = []
    /// Notes that are not failures (events not yet under a checkpoint).
    public var notes: [String] = []
    /// The tree head recomputed from the events.
    public var root = Merkle.emptyRoot

    /// Whether the log verified.
    public var isIntact: Bool { problems.isEmpty }
}

extension Store {
    /// The auditor's trust file: the log origin and the pinned root key (`sealbox audit trust export`).
    public func trustFile() throws -> String {
        try read { db in
            let root = try SigningPublicKey(Self.requireMeta(db, "root_public"))
            return "sealbox-trust/v1\norigin \(try Self.origin(db))\nroot \(Base64.encode(root.bytes))\n"
        }
    }

    /// Parses a trust file: origin and root key.
    /// - Throws: `StoreError.invalidInput` when malformed.
    public static func parseTrust(_ text: String) throws -> (origin: String, root: SigningPublicKey) {
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.first == "sealbox-trust/v1", lines.count >= 3, lines[1].hasPrefix("origin "),
            lines[2].hasPrefix("root "), let raw = Base64.decode(lines[2].dropFirst(5)),
            let key = try? SigningPublicKey(raw)
        else { throw StoreError(.invalidInput, "not a Sealbox trust file") }
        return (String(lines[1].dropFirst(7)), key)
    }

    /// Verifies the whole log with no secret key: recomputes every leaf and the tree, checks every checkpoint's
    /// signature against keys certified by the trusted root, its root against the tree at its size, split views and
    /// roll-backs, and consistency with a checkpoint the auditor saved earlier.
    /// - Parameters:
    ///   - trust: the auditor's trust file text (origin and root key).
    ///   - saved: a signed checkpoint kept from an earlier audit, or `nil`.
    /// - Returns: the report; `isIntact` is false with at least one problem named.
    /// - Throws: `StoreError.invalidInput` for a malformed trust file; `.database` when the store cannot be read.
    public func audit(trust: String, since saved: String? = nil) throws -> AuditReport {
        let (origin, rootKey) = try Self.parseTrust(trust)
        return try read { db in
            var report = AuditReport()
            // 1. Users' keys and roles, certified by the pinned root.
            var verifiers: [NoteVerifier] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY id") {
                let user = try UserRecord(row: row)
                let certified = UserRecord.certified(
                    user.id, user.roles, user.department, user.boxPublic, user.signPublic)
                guard rootKey.isValidSignature(user.certificate, for: certified) else {
                    report.problems.append(
                        "user \(user.id): certificate does not verify against the trusted root key (keys or roles altered)"
                    )
                    continue
                }
                verifiers.append(try NoteVerifier(name: Self.noteKeyName(user.id), key: user.signPublic))
            }
            if try Self.origin(db) != origin {
                report.problems.append("the store's log origin is not the one in the trust file (\(origin))")
            }
            // 2. Checkpoints: signature, origin, split views, roll-backs.
            struct Claim { var id: Int; var signer: String; var checkpoint: Checkpoint }
            var claims: [Claim] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY id") {
                report.checkpoints += 1
                let id: Int = row["id"]
                do {
                    let note = try SignedNote(parsing: row["note"])
                    let signers = try note.verifiedSigners(verifiers)
                    let checkpoint = try Checkpoint(parsing: note.text)
                    guard checkpoint.origin == origin else {
                        report.problems.append("checkpoint #\(id): origin \(checkpoint.origin) is not this log's")
                        continue
                    }
                    claims.append(
                        Claim(id: id, signer: signers.map(\.name).joined(separator: ","), checkpoint: checkpoint))
                } catch let error as LogError {
                    switch error.code {
                    case .unknownKey:
                        report.problems.append(
                            "checkpoint #\(id): not signed by any key certified by the root (forged signer)")
                    case .badSignature:
                        report.problems.append("checkpoint #\(id): \(error.message) (forged or altered checkpoint)")
                    default:
                        report.problems.append("checkpoint #\(id): malformed (\(error.message))")
                    }
                }
            }
            var bySize: [Int: Claim] = [:]
            var largest: Claim?
            for claim in claims {
                if let other = bySize[claim.checkpoint.size], other.checkpoint.root != claim.checkpoint.root {
                    report.problems.append(
                        "split view: checkpoints #\(other.id) and #\(claim.id) both sign size \(claim.checkpoint.size) "
                            + "with different roots")
                }
                bySize[claim.checkpoint.size] = claim
                if let big = largest, claim.checkpoint.size < big.checkpoint.size {
                    report.problems.append(
                        "checkpoint #\(claim.id) (size \(claim.checkpoint.size)) is smaller than the earlier #\(big.id) "
                            + "(size \(big.checkpoint.size)): the log was rolled back")
                }
                if largest == nil || claim.checkpoint.size > (largest?.checkpoint.size ?? 0) { largest = claim }
            }
            var savedCheckpoint: Checkpoint?
            if let saved {
                do {
                    let note = try SignedNote(parsing: saved)
                    _ = try note.verifiedSigners(verifiers)
                    savedCheckpoint = try Checkpoint(parsing: note.text)
                } catch {
                    report.problems.append("the saved checkpoint does not verify against certified keys: \(error)")
                }
            }
            // 3. Events: sequence, recorded leaf, the tree at every checkpointed size.
            var frontier = MerkleFrontier()
            var lastGood = 0
            var firstBad: Claim?
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM events ORDER BY sequence")
            func checkAt(_ size: Int) {
                if let claim = bySize[size] {
                    if claim.checkpoint.root == frontier.root {
                        if firstBad == nil { lastGood = size }
                    } else if firstBad == nil {
                        firstBad = claim
                    }
                }
                if let s = savedCheckpoint, s.size == size, s.root != frontier.root {
                    report.problems.append(
                        "the first \(size) events differ from your saved checkpoint (history was rewritten)")
                }
            }
            while let row = try cursor.next() {
                let event = LoggedEvent(row: row)
                let expected = frontier.size + 1
                if event.sequence != expected {
                    report.problems.append(
                        event.sequence > expected
                            ? "events #\(expected)…#\(event.sequence - 1) are missing (deleted)"
                            : "event #\(event.sequence) is out of order")
                }
                let leaf = Merkle.leafHash(Array(event.leafText.utf8))
                if leaf != event.recordedLeaf {
                    report.problems.append(
                        "event #\(event.sequence) was edited after it was logged (its leaf hash differs)")
                }
                frontier.append(leaf)
                checkAt(frontier.size)
            }
            report.events = frontier.size
            report.root = frontier.root
            if let bad = firstBad {
                report.problems.append(
                    "checkpoint #\(bad.id) (size \(bad.checkpoint.size), signed by \(bad.signer)) does not match the "
                        + "events: one of events #\(lastGood + 1)…#\(bad.checkpoint.size) was edited, inserted, deleted or "
                        + "reordered")
            }
            for claim in claims where claim.checkpoint.size > frontier.size {
                report.problems.append(
                    "checkpoint #\(claim.id) signs \(claim.checkpoint.size) events but the log has \(frontier.size): "
                        + "the log was truncated")
            }
            if let s = savedCheckpoint, s.size > frontier.size {
                report.problems.append(
                    "your saved checkpoint has \(s.size) events but the log has \(frontier.size): the log was truncated"
                )
            }
            if let top = largest?.checkpoint.size, top < frontier.size {
                report.notes.append("events #\(top + 1)…#\(frontier.size) are not yet under a signed checkpoint")
            } else if largest == nil && frontier.size > 0 {
                report.notes.append("no signed checkpoint yet")
            }
            return report
        }
    }
}
