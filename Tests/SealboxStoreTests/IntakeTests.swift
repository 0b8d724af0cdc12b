import Foundation
import GRDB
import SealboxCore
import SealboxCrypto
import SealboxIntake
import Testing

@testable import SealboxStore

/// Test messages built here, byte by byte (M2.1: letters by e-mail).
enum MailCorpus {
    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map {
            let i = text.index(text.startIndex, offsetBy: $0)
            return UInt8(text[i..<text.index(i, offsetBy: 2)], radix: 16) ?? 0
        }
    }

    static func message(_ headers: [String], _ body: [UInt8]) -> [UInt8] {
        Array((headers.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    static let plain = message(
        [
            "From: 歐陽明珠 <ouyang@example.cn>", "To: mayor@city.example", "Subject: 噴泉壞了",
            "Message-ID: <plain-1@example.cn>", "Content-Type: text/plain; charset=utf-8",
        ], Array("市政府門口的噴泉壞了三個月。\n請盡快修理。\n".utf8))

    /// A photo that is not valid text in any charset.
    static let photo: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

    static let multipart = message(
        [
            "From: \"Wang Fang\" <wang@example.cn>", "Subject: =?UTF-8?B?6Lev54Gv?=",
            "Message-ID: <multi-1@example.cn>",
            "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=\"b1\"",
        ],
        Array(
            """
            preamble\r
            --b1\r
            Content-Type: multipart/alternative; boundary=b2\r
            \r
            --b2\r
            Content-Type: text/plain; charset=utf-8\r
            Content-Transfer-Encoding: quoted-printable\r
            \r
            =E8=B7=AF=E7=87=88=E5=A3=9E=E4=BA=86=\r
            =E3=80=82\r
            --b2\r
            Content-Type: text/html; charset=utf-8\r
            \r
            <p>路燈壞了。</p>\r
            --b2--\r
            --b1\r
            Content-Type: image/png\r
            Content-Disposition: attachment; filename*=UTF-8''%E8%B7%AF%E7%87%88.png\r
            Content-Transfer-Encoding: base64\r
            \r

            """.utf8) + Array(Data(photo).base64EncodedString(options: .lineLength76Characters).utf8)
            + Array("\r\n--b1--\r\nepilogue\r\n".utf8))

    /// Subject in GBK encoded words (关于路灯), body in GB18030 with a four-byte character.
    static let gbk = message(
        [
            "From: =?GBK?B?wO4=?= <li@example.cn>", "Subject: =?GBK?B?udjT2sK3tcY=?=",
            "Message-ID: <gbk-1@example.cn>", "Content-Type: text/plain; charset=gb18030",
            "Content-Transfer-Encoding: 8bit",
        ], hex("cad0c3f1c0b4d0c595328236"))

    static let big5 = message(
        [
            "From: chen@example.tw", "Subject: =?big5?Q?=A5=AB=AA=F8?=", "Message-ID: <big5-1@example.tw>",
            "Content-Type: text/plain; charset=big5",
        ], hex("a5abaaf8a741a66ea141a955a7a3a853a448a6ac"))

    static let boundaryNeverAppears = message(
        [
            "From: x@example.cn", "Subject: broken", "Message-ID: <broken-1@example.cn>",
            "Content-Type: multipart/mixed; boundary=\"nothere\"",
        ], Array("--other\r\nContent-Type: text/plain\r\n\r\nhello\r\n--other--\r\n".utf8))

    static let truncated = message(
        [
            "From: x@example.cn", "Subject: cut", "Message-ID: <cut-1@example.cn>",
            "Content-Type: multipart/mixed; boundary=b",
        ], Array("--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: image/png\r\n\r\nAAAA".utf8))

    static let noFrom = message(["Subject: who?", "Message-ID: <nofrom@example.cn>"], Array("hello".utf8))

    static let bareHeaders = message(["From: someone@example.cn"], Array("只有內容，沒有主題也沒有 Message-ID。".utf8))

    static let badCharset = message(
        ["From: x@example.cn", "Content-Type: text/plain; charset=klingon"], Array("qapla".utf8))

    /// A message with a `size`-byte attachment (base64 in 76-character lines).
    static func large(_ size: Int) -> ([UInt8], [UInt8]) {
        var bytes = [UInt8](repeating: 0, count: size)
        for i in stride(from: 0, to: size, by: 4096) { bytes[i] = UInt8(truncatingIfNeeded: i >> 12) }
        let body =
            Array("--z\r\nContent-Type: text/plain\r\n\r\nsee the video\r\n--z\r\n".utf8)
            + Array("Content-Type: video/mp4\r\nContent-Disposition: attachment; filename=v.mp4\r\n".utf8)
            + Array("Content-Transfer-Encoding: base64\r\n\r\n".utf8)
            + Array(Data(bytes).base64EncodedString(options: .lineLength76Characters).utf8)
            + Array("\r\n--z--\r\n".utf8)
        return (
            message(
                [
                    "From: big@example.cn", "Subject: video", "Message-ID: <large@example.cn>",
                    "Content-Type: multipart/mixed; boundary=z",
                ], body), bytes
        )
    }
}

/// The mail parser on the corpus.
struct MailParserTests {
    @Test func plainMultipartAndChineseCharsetsDecode() throws {
        let plain = try MailParser.parse(MailCorpus.plain)
        #expect(plain.subject == "噴泉壞了" && plain.messageID == "plain-1@example.cn")
        #expect(plain.from.name == "歐陽明珠" && plain.from.address == "ouyang@example.cn")
        #expect(plain.text == "市政府門口的噴泉壞了三個月。\n請盡快修理。\n")

        let multi = try MailParser.parse(MailCorpus.multipart)
        #expect(multi.subject == "路灯")
        #expect(multi.text == "路燈壞了。", "quoted-printable with a soft line break")
        #expect(multi.attachments.count == 1)
        #expect(multi.attachments.first?.fileName == "路燈.png" && multi.attachments.first?.mediaType == "image/png")
        #expect(multi.attachments.first?.bytes == MailCorpus.photo)

        let gbk = try MailParser.parse(MailCorpus.gbk)
        #expect(gbk.subject == "关于路灯" && gbk.from.name == "李")
        #expect(gbk.text == "市民来信\u{20000}", "GB18030 four-byte sequence")

        let big5 = try MailParser.parse(MailCorpus.big5)
        #expect(big5.subject == "市長" && big5.text == "市長你好，垃圾沒人收")
    }

    @Test func brokenMessagesNameTheirProblemWithoutQuotingThem() {
        func reason(_ raw: [UInt8]) -> String? {
            do {
                _ = try MailParser.parse(raw)
                return nil
            } catch { return error.reason }
        }
        #expect(reason(MailCorpus.boundaryNeverAppears)?.contains("boundary never appears") == true)
        #expect(reason(MailCorpus.truncated)?.contains("without its closing boundary") == true)
        #expect(reason(MailCorpus.noFrom)?.contains("no From header") == true)
        #expect(reason(MailCorpus.badCharset) == "unsupported charset klingon")
        // A "charset" that is really text the sender typed is not quoted: reasons are kept in clear.
        #expect(
            reason(
                MailCorpus.message(["From: a@b.cn", "Content-Type: text/plain; charset=\"王芳 13912345678\""], [0x41]))
                == "unsupported charset (unnamed)")
        #expect(reason(Array("From x\r\nnot a header\r\n\r\nbody".utf8))?.contains("malformed header") == true)
        #expect(
            reason(
                MailCorpus.message(
                    ["From: a@b.cn", "Content-Transfer-Encoding: base64"], Array("!!!not base64!!!".utf8)))?
                .contains("outside base64") == true)
        // Encoded words that do not decode are kept as they are, never dropped.
        #expect(EncodedWords.decode("=?x-unknown?B?AAAA?= ok") == "=?x-unknown?B?AAAA?= ok")
        #expect(EncodedWords.decode("=?UTF-8?Q?a_b?= =?UTF-8?Q?c?=") == "a bc")
    }

    @Test func mboxAndMaildirSplitIntoMessages() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let mbox = folder.appendingPathComponent("inbox.mbox")
        let text = """
            From a@example.cn Mon Mar  2 09:00:00 2026
            From: a@example.cn
            Subject: one

            >From the start, the road was bad.

            From b@example.cn Mon Mar  2 09:05:00 2026
            From: b@example.cn
            Subject: two

            second

            """
        try Data(text.utf8).write(to: mbox)
        let messages = try Mailbox.messages(at: mbox.path)
        #expect(messages.count == 2)
        let first = try MailParser.parse(messages[0].bytes)
        #expect(first.subject == "one" && first.text == "From the start, the road was bad.\n")
        #expect(try MailParser.parse(messages[1].bytes).text == "second\n")
        let maildir = folder.appendingPathComponent("Maildir")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(
                at: maildir.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        try Data(MailCorpus.plain).write(to: maildir.appendingPathComponent("new/1.eml"))
        try Data(MailCorpus.big5).write(to: maildir.appendingPathComponent("cur/2.eml:2,S"))
        try Data(MailCorpus.gbk).write(to: maildir.appendingPathComponent("tmp/3.eml"))
        #expect(try Mailbox.messages(at: maildir.path).count == 2, "tmp/ is not delivered mail")
    }

    @Test func webSubmissionsAreValidatedFieldByField() throws {
        func refusal(_ json: String) -> String? {
            do {
                _ = try WebSubmission.decode(Array(json.utf8))
                return nil
            } catch { return error.description }
        }
        let good = #"{"name":"王芳","phone":"13912345678","subject":"路燈","content":"壞了"}"#
        #expect(refusal(good) == nil)
        #expect(refusal("not json") == "the body is not JSON")
        #expect(refusal(#"{"name":"王芳","phone":"139","subject":"s","content":"c"}"#) == "phone: not a phone number")
        #expect(refusal(#"{"phone":"13912345678","subject":"s","content":"c"}"#)?.hasPrefix("name:") == true)
        #expect(refusal(#"{"anonymous":true,"subject":"s"}"#) == "content: missing")
        #expect(refusal(#"{"anonymous":true,"subject":"s","content":"c","evil":1}"#) == "evil: unknown field")
        #expect(refusal(#"{"anonymous":true,"name":"x","subject":"s","content":"c"}"#)?.hasPrefix("anonymous:") == true)
        #expect(
            refusal(#"{"name":"a","email":"a@b.cn","id_number":"110105194912310021","subject":"s","content":"c"}"#)
                == "id_number: not a valid ID number (18 characters, checksum)")
        #expect(
            refusal(#"{"name":"a","email":"a@b.cn","id_number":"11010519491231002X","subject":"s","content":"c"}"#)
                == nil)
        let exe =
            #"{"name":"a","email":"a@b.cn","subject":"s","content":"c","attachments":[{"file_name":"x.exe","media_type":"application/x-msdownload","content_base64":"AAAA"}]}"#
        #expect(refusal(exe)?.hasPrefix("attachments[0].media_type") == true)
        // The refusal never repeats what was sent.
        #expect(refusal(#"{"name":"a","phone":"13800000000x秘密","subject":"s","content":"c"}"#)?.contains("秘密") != true)
    }
}

/// Mail and web intake into the store: sealed, idempotent, quarantined rather than dropped (M2.1, M2.2).
struct IntakeStoreTests {
    static func register(_ f: StoreFixture, _ raw: [UInt8], indexer: UnlockedUser? = nil) throws -> IntakeReceipt? {
        let message: MailMessage
        do { message = try MailParser.parse(raw) } catch {
            _ = try f.store.quarantine(raw, channel: .email, reason: error.reason, at: f.now)
            return nil
        }
        let (letter, files) = try MailIntake.letter(from: message, receivedAt: f.now)
        return try f.store.intake(
            letter, attachments: files, source: MailIntake.sourceKey(message, raw: raw),
            by: Actor(id: "intake.mail", roles: [.clerk]), indexer: indexer, at: f.now)
    }

    @Test func corpusIsRegisteredOrQuarantinedAndRoundTripsExactly() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let plain = try #require(try Self.register(f, MailCorpus.plain))
        let multi = try #require(try Self.register(f, MailCorpus.multipart))
        let gbk = try #require(try Self.register(f, MailCorpus.gbk))
        let big5 = try #require(try Self.register(f, MailCorpus.big5))
        let bare = try #require(try Self.register(f, MailCorpus.bareHeaders))
        for broken in [MailCorpus.boundaryNeverAppears, MailCorpus.truncated, MailCorpus.noFrom, MailCorpus.badCharset]
        {
            #expect(try Self.register(f, broken) == nil)
        }
        #expect(try f.store.quarantined().count == 4)
        #expect(try f.store.quarantined().allSatisfy { !$0.reason.contains("example.cn") })
        // Quarantined messages open for the office, whole.
        let kept = try f.store.quarantinedMessage(1, by: clerk)
        #expect(kept.withUnsafeBytes { Array($0) } == MailCorpus.boundaryNeverAppears)
        #expect(throws: StoreError.self) { try f.store.quarantinedMessage(1, by: f.user("healthhead")) }

        let p = try f.store.read(plain.number, purpose: "test", by: clerk, at: f.now)
        #expect(p.letter.channel == .email && p.letter.sender.contact?.value == "ouyang@example.cn")
        #expect(p.letter.content.value == "市政府門口的噴泉壞了三個月。\n請盡快修理。\n")
        let m = try f.store.read(multi.number, purpose: "test", by: clerk, at: f.now)
        #expect(m.letter.attachments.first?.fileName.value == "路燈.png")
        let photo = try f.store.attachment(0, of: multi.number, purpose: "test", by: clerk, at: f.now)
        #expect(photo.withUnsafeBytes { Array($0) } == MailCorpus.photo)
        #expect(
            try f.store.read(gbk.number, purpose: "t", by: clerk, at: f.now).letter.content.value == "市民来信\u{20000}")
        #expect(
            try f.store.read(big5.number, purpose: "t", by: clerk, at: f.now).letter.content.value == "市長你好，垃圾沒人收")
        #expect(try f.store.read(bare.number, purpose: "t", by: clerk, at: f.now).letter.subject.value == "(無主題)")

        // Re-running over the same messages registers nothing new.
        let before = try f.store.list(by: f.user("auditor").actor).count
        for raw in [MailCorpus.plain, MailCorpus.multipart, MailCorpus.bareHeaders] {
            #expect(try Self.register(f, raw)?.duplicate == true)
        }
        _ = try Self.register(f, MailCorpus.truncated)
        #expect(try f.store.list(by: f.user("auditor").actor).count == before)
        #expect(try f.store.quarantined().count == 4)
    }

    @Test func aTwentyMegabyteAttachmentRoundTrips() throws {
        let f = try StoreFixture()
        let (raw, bytes) = MailCorpus.large(20 << 20)
        let receipt = try #require(try Self.register(f, raw))
        let back = try f.store.attachment(0, of: receipt.number, purpose: "t", by: f.user("clerk"), at: f.now)
        #expect(back.count == bytes.count)
        #expect(back.withUnsafeBytes { SHA256.hash(Array($0)) } == SHA256.hash(bytes))
    }

    /// M2.2: repeat writers flagged on intake with the office key, or later by `flagRepeatWriters`; query codes
    /// answer status only, and a wrong code looks like an unknown number.
    @Test func repeatWritersAndQueryCodes() throws {
        let f = try StoreFixture()
        let clerk = f.user("clerk")
        let first = try #require(try Self.register(f, MailCorpus.plain, indexer: clerk))
        #expect(first.repeatOf.isEmpty)
        var again = MailCorpus.plain
        again = Array(String(decoding: again, as: UTF8.self).replacingOccurrences(of: "plain-1", with: "plain-2").utf8)
        let second = try #require(try Self.register(f, again, indexer: clerk))
        #expect(second.repeatOf == [first.number])
        // Without the office key (a web or mail host), flagged later.
        let web = try WebSubmission.decode(
            Array(#"{"name":"x","email":"OUYANG@example.cn","subject":"又是噴泉","content":"還沒修"}"#.utf8))
        let (letter, files) = web.letter(receivedAt: f.now, clientAddress: "203.0.113.9")
        let third = try f.store.intake(
            letter, attachments: files, source: "web:1", by: Actor(id: "intake.web", roles: [.clerk]), at: f.now)
        #expect(third.repeatOf.isEmpty)
        #expect(try f.store.read(third.number, purpose: "t", by: clerk, at: f.now).letter.publicationConsent == false)
        let consenting = try WebSubmission.decode(
            Array(#"{"anonymous":true,"subject":"s","content":"c","consent_to_publish":true}"#.utf8))
        let (withConsent, _) = consenting.letter(receivedAt: f.now, clientAddress: "198.51.100.7")
        #expect(
            withConsent.publicationConsent == true && withConsent.sender.anonymousIdentifier?.value == "198.51.100.7")
        let flagged = try f.store.flagRepeatWriters(by: clerk)
        #expect(flagged.count == 1 && flagged[0].0 == third.number && flagged[0].1 == [first.number, second.number])

        let code = try #require(third.queryCode)
        #expect(code.count == 10)
        let status = try #require(try f.store.citizenStatus(number: third.number.description, code: code))
        #expect(status.status == .registered && status.received == f.store.policies.localDate(f.now))
        #expect(try f.store.citizenStatus(number: third.number.description, code: code.lowercased()) != nil)
        #expect(try f.store.citizenStatus(number: third.number.description, code: "WRONGCODE0") == nil)
        #expect(try f.store.citizenStatus(number: "2026-999999", code: code) == nil)
        #expect(try f.store.citizenStatus(number: "not a number", code: code) == nil)
        // A case registered without a code (the clerk's own registration) cannot be looked up.
        let (plainNumber, _) = try f.store.register(StoreTests.letter(at: f.now), by: clerk.actor, at: f.now)
        #expect(try f.store.citizenStatus(number: plainNumber.description, code: "") == nil)
    }
}
