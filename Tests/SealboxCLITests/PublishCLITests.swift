import Foundation
import Testing

/// `sealbox publish` (信件選登): consent, the redaction gate, held findings.
struct PublishCLITests {
    typealias W = WorkflowCLITests

    /// Takes a web letter in and runs it to a reply through the binary; returns its number.
    static func replied(_ dir: URL, _ submission: String, reply: String) throws -> String {
        try repliedWithCode(dir, submission, reply: reply).number
    }

    static func repliedWithCode(_ dir: URL, _ submission: String, reply: String) throws -> (
        number: String, code: String
    ) {
        let file = dir.appendingPathComponent("web-\(UUID().uuidString).json")
        try Data(submission.utf8).write(to: file)
        let intake = try W.run(["intake", "json", file.path], dir: dir)
        let number = try #require(intake.stdout.split(separator: "\t").dropFirst().first.map(String.init))
        let code = try #require(intake.stdout.components(separatedBy: "query code ").last)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for (args, input) in [
            (
                ["case", "assign", number, "--lead", "transport", "--as", "clerk"],
                #"{"matter":"m","requirements":"r"}"#
            ),
            (["case", "sign-for", number, "--handler", "handler", "--as", "head"], ""),
            (["case", "start", number, "--as", "handler"], ""),
            (["case", "feedback", number, "--as", "handler"], #"{"investigation":"i","opinion":"o","result":"r"}"#),
            (["case", "seal", number, "--as", "head"], ""),
            (["case", "review", number, "--approve", "--as", "reviewer"], ""),
            (["case", "reply", number, "--as", "clerk"], reply),
        ] {
            let out = try W.run(args, dir: dir, input: input)
            #expect(out.status == 0, "\(args): \(out.stderr)")
        }
        return (number, code)
    }

    /// The writer reads the reply with the query code (sealed to a key the code derives; the intake host cannot).
    @Test func theWriterReadsTheReplyWithTheQueryCode() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let (number, code) = try Self.repliedWithCode(
            dir, #"{"name":"馮十三","phone":"13912346666","subject":"s","content":"c"}"#, reply: "您反映的問題已處理。")
        let status = try W.run(["status", number], dir: dir, input: code + "\n")
        #expect(status.stdout.contains("reply\t您反映的問題已處理。"), "\(status.stdout)\(status.stderr)")
        let wrong = try W.run(["status", number], dir: dir, input: "0000000000\n")
        #expect(wrong.status == 66 && !wrong.stdout.contains("已處理"))
    }

    @Test func publishingMasksPersonalDataAndHoldsWhatItCannotDecide() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        let consenting = try Self.replied(
            dir,
            #"{"name":"鄭十","phone":"13912348888","subject":"鄭十反映路燈","content":"我是鄭十，住中山路12號，電話13912348888。","consent_to_publish":true}"#,
            reply: "鄭先生您好，中山路路燈已修復。")
        let noConsent = try Self.replied(
            dir, #"{"name":"孫十一","phone":"13912347777","subject":"s","content":"c"}"#, reply: "已處理")
        let out = dir.appendingPathComponent("published.html").path
        let refused = try W.run(["publish", "--out", out, noConsent, "--as", "clerk"], dir: dir)
        #expect(refused.status == 65 && refused.stderr.contains("did not consent"))
        let published = try W.run(["publish", "--out", out, consenting, "--as", "clerk"], dir: dir)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("\tname\tmasked\t鄭十") && published.stdout.contains("\tphone\tmasked\t"))
        let page = try String(contentsOfFile: out, encoding: .utf8)
        for secret in ["鄭十", "13912348888", "中山路12號", "鄭先生"] {
            #expect(!page.contains(secret), "\(secret) published")
        }
        #expect(page.contains("路燈已修復") && page.contains(consenting))
        // The published page in a real browser (skipped with a note where Chromium is absent).
        if let chromium = IntakeCLITests.chromium() {
            let blank = dir.appendingPathComponent("blank.html")
            try Data("<!DOCTYPE html><html><body></body></html>".utf8).write(to: blank)
            let sizes = try [URL(fileURLWithPath: out), blank].enumerated().map { i, url -> Int in
                let png = dir.appendingPathComponent("shot-\(i).png").path
                _ = try IntakeCLITests.browser(
                    chromium, ["--window-size=480,900", "--screenshot=\(png)", url.absoluteString])
                return (try FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
            }
            #expect(sizes[0] > sizes[1] * 5, "published page \(sizes[0]) bytes, blank \(sizes[1])")
            let dom = try IntakeCLITests.browser(chromium, ["--dump-dom", URL(fileURLWithPath: out).absoluteString])
            #expect(dom.contains("letter-\(consenting)") && !dom.contains("13912348888"))
        } else {
            print("note: Chromium not installed; the published page is checked as text only")
        }
        // A number the gate cannot decide holds the page until the clerk decides.
        let held = try Self.replied(
            dir,
            #"{"name":"錢十二","email":"q@example.cn","subject":"編號","content":"參考編號 4411 2233 9987","consent_to_publish":true}"#,
            reply: "收到")
        let second = dir.appendingPathComponent("second.html").path
        let stopped = try W.run(["publish", "--out", second, held, "--as", "clerk"], dir: dir)
        #expect(
            stopped.status == 65 && stopped.stderr.contains("held") && !FileManager.default.fileExists(atPath: second))
        #expect(try W.run(["publish", "--out", second, held, "--mask-held", "--as", "clerk"], dir: dir).status == 0)
        #expect(!(try String(contentsOfFile: second, encoding: .utf8)).contains("4411 2233 9987"))
        // Only those who may read personal data publish.
        #expect(try W.run(["publish", "--out", out + "2", consenting, "--as", "head"], dir: dir).status == 77)
    }
}
