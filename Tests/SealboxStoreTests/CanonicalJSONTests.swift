import Foundation
import SealboxCore
import SealboxCrypto
import Testing

@testable import SealboxStore

/// The seal's canonical feedback (M4.3.1) and the archive's `metadata.json` (M6.1.2), written by hand: the bytes
/// `JSONEncoder` wrote for them, pinned.
struct CanonicalJSONTests {
    static let awkward = "路面/坑洞 \"已\\查\"\n\t\u{8}\u{c}\r\u{1}\u{1f}\u{7f}😀"

    static func feedback(_ text: String, satisfaction: Satisfaction?, at seconds: Int64) -> Feedback {
        Feedback(
            investigation: Personal(text), opinion: Personal(""), result: Personal("修复 a/b"),
            senderSatisfaction: satisfaction, draftedBy: "handler-1", draftedAt: Timestamp(secondsSinceEpoch: seconds))
    }

    /// Random text with what JSON escapes (quotes, reverse solidus, solidus, every control byte), DEL, CJK and an
    /// emoji.
    static func randomText(_ generator: inout some RandomNumberGenerator) -> String {
        let pieces =
            (0..<0x20).map { String(UnicodeScalar(UInt8($0))) } + [
                "\"", "\\", "/", "\u{7f}", "a", "Z", " ", "市", "長", "信箱", "😀", "é", "\u{2028}", "%", "{", "}",
            ]
        return (0..<Int.random(in: 0...40, using: &generator)).map { _ in
            pieces.randomElement(using: &generator) ?? ""
        }.joined()
    }

    @Test func theSealedFeedbackIsWrittenAsPinnedAndAsJSONEncoderWroteIt() throws {
        // Pinned: the bytes a seal covers must not move with a later Foundation.
        let pinned =
            #"{"draftedAt":{"secondsSinceEpoch":-1772413200},"draftedBy":"handler-1","investigation":"路面\/坑洞 "#
            + #"\"已\\查\"\n\t\b\f\r\u0001\u001f"# + "\u{7f}😀"
            + #"","opinion":"","result":"修复 a\/b","senderSatisfaction":"basically_satisfied"}"#
        let fixed = Self.feedback(Self.awkward, satisfaction: .basicallySatisfied, at: -1_772_413_200)
        #expect(String(decoding: CanonicalJSON.unsealedFeedback(fixed), as: UTF8.self) == pinned)

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<500 {
            var feedback = Self.feedback(
                Self.randomText(&generator), satisfaction: round % 3 == 0 ? nil : Satisfaction.allCases.randomElement(),
                at: Int64.random(in: -4_000_000_000...4_000_000_000, using: &generator))
            feedback.opinion = Personal(Self.randomText(&generator))
            feedback.result = Personal(Self.randomText(&generator))
            feedback.draftedBy = UserID(Self.randomText(&generator))
            // The seal is not covered: a sealed feedback writes as the same feedback unsealed.
            var unsealed = feedback
            feedback.seal = try JSONDecoder().decode(
                DepartmentSeal.self,
                from: Data(
                    #"{"department":"transport","sealedBy":"head","at":{"secondsSinceEpoch":1},"keyID":"k","digest":"d","signature":"s"}"#
                        .utf8))
            unsealed.seal = nil
            // Every field JSONEncoder writes is written: a field added to Feedback fails here until the seal covers it.
            #expect(CanonicalJSON.unsealedFeedback(feedback) == Array(try encoder.encode(unsealed)), "round \(round)")
        }
    }

    @Test func theDigestChangesWithEveryFieldAndTheCaseNumber() throws {
        let base = Self.feedback("坑洞", satisfaction: .satisfied, at: 1_772_413_200)
        let number = try CaseNumber(parsing: "2026-000001")
        let digest = try Store.feedbackDigest(base, number: number)
        // What the seal signs: BLAKE2b-256 of the domain, the case number and the canonical feedback, in that order.
        let expected = try BLAKE2b.hash(
            Array("sealbox-feedback-v1|2026-000001|".utf8) + CanonicalJSON.unsealedFeedback(base), outputCount: 32)
        #expect(digest == expected)
        var changed: [Feedback] = []
        for edit in 0..<7 {
            var f = base
            switch edit {
            case 0: f.investigation = Personal("坑洞.")
            case 1: f.opinion = Personal(" ")
            case 2: f.result = Personal("修复 a/b.")
            case 3: f.senderSatisfaction = nil
            case 4: f.draftedBy = "handler-2"
            case 5: f.draftedAt = Timestamp(secondsSinceEpoch: 1_772_413_201)
            default: f.senderSatisfaction = .dissatisfied
            }
            changed.append(f)
        }
        for (i, f) in changed.enumerated() {
            #expect(try Store.feedbackDigest(f, number: number) != digest, "edit \(i)")
        }
        #expect(try Store.feedbackDigest(base, number: CaseNumber(parsing: "2026-000002")) != digest)
        #expect(try Store.feedbackDigest(base, number: number) == digest)
    }

    @Test func metadataIsWrittenAsJSONEncoderPrettyPrintedIt() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<300 {
            var entries: [String: String] = [:]
            for _ in 0..<(round % 15) {
                entries[Self.randomText(&generator)] = Self.randomText(&generator)
            }
            if round % 4 == 0 { entries["retention_class"] = "a/b"; entries["Closed"] = "2026-03-01" }
            let written = CanonicalJSON.prettyObject(entries.map { ($0.key, $0.value) })
            #expect(written == Array(try encoder.encode(entries)), "round \(round)")
        }
    }
}
