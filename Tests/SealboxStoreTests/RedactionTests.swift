import SealboxIntake
import Testing

/// The redaction gate (信件選登): a table of texts with planted personal data, in Chinese and English.
struct RedactionTests {
    /// Rows of text, the names the writer gave, what must not survive masking, and the kinds expected.
    static let table: [(String, [String], [String], [Redaction.Kind])] = [
        ("王芳反映：中山路123號路燈不亮，請聯繫13912345678。", ["王芳"], ["王芳", "中山路123號", "13912345678"], [.name, .address, .phone]),
        (
            "來信人王先生，身份證號11010519491231002X，郵箱 wang.fang@example.cn", ["王芳"],
            ["王先生", "11010519491231002X", "wang.fang@example.cn"], [.name, .idNumber, .email]
        ),
        (
            "請撥打 +86 139-1234-5678 或 010-62345678 聯繫李四。", ["李四"], ["139-1234-5678", "010-62345678", "李四"],
            [.phone, .phone, .name]
        ),
        ("家住解放大道88號3樓，張三", ["張三"], ["解放大道88號3樓", "張三"], [.address, .name]),
        (
            "Jane Smith wrote from 42 Elm Street about the bus stop; call 0755-83001234 or jane@example.org.",
            ["Jane Smith"], ["Jane Smith", "42 Elm Street", "0755-83001234", "jane@example.org"],
            [.name, .address, .phone, .email]
        ),
        (
            "The writer, SMITH, lives at 7 North Harbour Road.", ["Smith"], ["SMITH", "7 North Harbour Road"],
            [.name, .address]
        ),
    ]

    @Test func everyPlantedItemIsMasked() {
        for (text, names, secrets, kinds) in Self.table {
            let result = Redaction.scan(text, names: names)
            for secret in secrets {
                #expect(!result.masked.contains(secret), "\(secret) survived in: \(result.masked)")
            }
            #expect(result.findings.map(\.kind) == kinds, "\(text): \(result.findings.map(\.kind))")
            #expect(result.held.isEmpty, "\(text): held \(result.held.map(\.text))")
        }
    }

    /// A text it cannot decide is held for the clerk, not published: an ID-shaped number whose check character
    /// fails, a long number that is neither a phone nor an ID.
    @Test func undecidableFindingsAreHeldNotMasked() {
        let bad = Redaction.scan("編號110105194912310021的案件", names: [])
        #expect(bad.held.map(\.text) == ["110105194912310021"])
        let long = Redaction.scan("the reference is 4411 2233 9987", names: [])
        #expect(long.held.count == 1 && long.held[0].kind == .undecided)
        let clean = Redaction.scan("路燈已於三月五日修復，感謝您的來信。", names: ["王芳"])
        #expect(clean.findings.isEmpty && clean.masked == "路燈已於三月五日修復，感謝您的來信。")
    }
}
