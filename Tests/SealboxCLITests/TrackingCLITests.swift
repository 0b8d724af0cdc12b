import Foundation
import Testing

/// `sealbox track` (the dashboard) and `sealbox remind` (the outbox) through the binary (M5.1).
struct TrackingCLITests {
    typealias W = WorkflowCLITests

    @Test func dashboardAndIdempotentRemindersPerDepartment() throws {
        let dir = try CLITests.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try SidePathCLITests.setUp(dir)
        var numbers: [String] = []
        for phone in ["13900005555", "13900006666"] {
            let n = try SidePathCLITests.register(dir, phone: phone)
            let slip = #"{"matter":"修補坑洞","requirements":"五日內修補"}"#
            #expect(
                try W.run(["case", "assign", n, "--lead", "transport", "--as", "clerk"], dir: dir, input: slip).status
                    == 0)
            numbers.append(n)
        }
        let supervise = try W.run(
            ["case", "supervise", numbers[1], "open", "--method", "phone", "--as", "reviewer"], dir: dir)
        #expect(supervise.status == 0, "\(supervise.stderr)")
        // The deadline is 2026-03-23 (15 working days): on 3-25 both cases are two working days late.
        let track = try W.run(["track", "--on", "2026-03-25", "--as", "clerk"], dir: dir)
        #expect(track.status == 0, "\(track.stderr)")
        let line = try #require(track.stdout.split(separator: "\n").first { $0.hasPrefix("transport") })
        #expect(line.contains("2 working days late") && line.contains(numbers[0]), "\(line)")
        #expect(!track.stdout.contains("\u{1B}["), "no colour when not on a terminal")
        let json = try W.run(["track", "--on", "2026-03-25", "--json", "--as", "clerk"], dir: dir)
        #expect(json.stdout.contains(#""overdue":"2""#) && json.stdout.contains(#""supervised":"1""#), "\(json.stdout)")

        let outbox = dir.appendingPathComponent("outbox")
        let march25 = ["SEALBOX_NOW": "1774400400"]  // 2026-03-25 09:00 in China
        let first = try W.run(["remind", "--outbox", outbox.path, "--as", "clerk"], dir: dir, environment: march25)
        #expect(first.status == 0 && first.stdout.contains("2 reminder(s) to 1 department(s)"), "\(first.stderr)")
        let notice = try String(contentsOf: outbox.appendingPathComponent("2026-03-25/transport.txt"), encoding: .utf8)
        #expect(notice.hasPrefix("市長信箱催辦通知") && notice.contains(numbers[0]) && notice.contains("已逾期 2 個工作日"))
        #expect(!notice.contains("錢七") && !notice.contains("路面坑洞"), "numbers and dates only")
        // Idempotent per case and day.
        let again = try W.run(["remind", "--outbox", outbox.path, "--as", "clerk"], dir: dir, environment: march25)
        #expect(again.stdout.contains("0 reminder(s) to 0 department(s)"), "\(again.stdout)")
        let log = try W.run(["audit", "log", "--kind", "reminder.sent"], dir: dir)
        #expect(log.stdout.split(separator: "\n").count == 2, "\(log.stdout)")
        // A department head cannot send reminders.
        #expect(try W.run(["remind", "--outbox", outbox.path, "--as", "head"], dir: dir).status == 77)
    }
}
