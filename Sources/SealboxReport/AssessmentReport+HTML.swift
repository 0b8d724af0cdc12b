import Foundation
import SealboxCore

extension AssessmentReport {
    struct Labels {
        var title, period, generated, departments, assigned, completed, onTimeRate, overdueOpen: String
        var onTimeChart, satisfactionChart, backlogChart, supervisionChart, table, commended, noticed, none: String
        var rank, department, closed, onTime, meanDays, firstPass, returns, supervisions, satisfaction, score: String
        var backlog, overdue, stale: String
        var satisfactionNames: [Satisfaction: String]
        var methodNames: [Supervision.Method: String]

        static func of(_ language: Language) -> Labels {
            switch language {
            case .zh:
                Labels(
                    title: "市長信箱承辦單位考核報告", period: "考核期間", generated: "製表日期", departments: "承辦單位",
                    assigned: "交辦件數", completed: "辦結件數", onTimeRate: "按期辦結率", overdueOpen: "逾期未結",
                    onTimeChart: "各單位按期辦結率", satisfactionChart: "來信人滿意度分佈", backlogChart: "待辦與逾期件數走勢",
                    supervisionChart: "各單位督辦次數", table: "考核明細", commended: "表揚名單", noticed: "通報名單",
                    none: "無", rank: "名次", department: "單位", closed: "結案", onTime: "按期",
                    meanDays: "平均工作日", firstPass: "一次通過率", returns: "退回", supervisions: "督辦",
                    satisfaction: "滿意度", score: "總分", backlog: "待辦", overdue: "逾期",
                    stale: "件案件缺少考核資料（v10 之前寫入），請執行 sealbox report refresh",
                    satisfactionNames: [
                        .verySatisfied: "非常滿意", .satisfied: "滿意", .basicallySatisfied: "基本滿意",
                        .dissatisfied: "不滿意", .unreachable: "無法聯繫",
                    ],
                    methodNames: [.phone: "電話督辦", .written: "書面督辦", .onSite: "現場督辦"])
            case .en:
                Labels(
                    title: "Mayor's Mailbox — department assessment", period: "Period", generated: "Generated",
                    departments: "Departments", assigned: "Assigned", completed: "Completed",
                    onTimeRate: "On-time rate",
                    overdueOpen: "Overdue, open", onTimeChart: "On-time rate by department",
                    satisfactionChart: "Sender satisfaction", backlogChart: "Backlog and overdue over time",
                    supervisionChart: "Supervisions by department", table: "Figures", commended: "Commended",
                    noticed: "Named in a notice", none: "none", rank: "Rank", department: "Department",
                    closed: "Closed", onTime: "On time", meanDays: "Mean working days", firstPass: "First-pass rate",
                    returns: "Returns", supervisions: "Supervisions", satisfaction: "Satisfaction", score: "Score",
                    backlog: "Backlog", overdue: "Overdue",
                    stale: "case(s) lack assessment facts (written before v10): run sealbox report refresh",
                    satisfactionNames: [
                        .verySatisfied: "very satisfied", .satisfied: "satisfied",
                        .basicallySatisfied: "basically satisfied", .dissatisfied: "dissatisfied",
                        .unreachable: "unreachable",
                    ],
                    methodNames: [.phone: "phone", .written: "written", .onSite: "on site"])
            }
        }
    }

    static let palette = ["#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#6e7781"]

    /// The self-contained HTML page.
    public func html(language: Language = .zh) -> String {
        let l = Labels.of(language)
        let e = Self.escape
        let d = report.departments
        let assigned = d.reduce(0) { $0 + $1.assigned }
        let completed = d.reduce(0) { $0 + $1.completed }
        let onTime = d.reduce(0) { $0 + $1.onTime }
        let overdue = d.reduce(0) { $0 + $1.overdueOpen }
        let rate = completed + overdue > 0 ? Self.percent(Double(onTime) / Double(completed + overdue)) : "—"
        var page = """
            <!DOCTYPE html>
            <html lang="\(language == .zh ? "zh-Hant" : "en")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(l.title)) \(report.from)–\(report.to)</title>
            <style>
            body { font-family: "Noto Sans CJK TC", "Noto Sans CJK SC", sans-serif; margin: 2rem auto; max-width: 980px;
              color: #1f2328; background: #fff; padding: 0 1rem; }
            h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
            .meta { color: #59636e; } .cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.2rem 0; }
            .card { border: 1px solid #d1d9e0; border-radius: 8px; padding: .8rem 1.2rem; min-width: 150px; }
            .card b { display: block; font-size: 1.6rem; } table { border-collapse: collapse; width: 100%; font-size: .9rem; }
            th, td { border-bottom: 1px solid #d1d9e0; padding: .35rem .5rem; text-align: right; }
            th:nth-child(2), td:nth-child(2) { text-align: left; } svg { max-width: 100%; height: auto; }
            .warn { background: #fff8c5; padding: .5rem 1rem; border-radius: 6px; }
            </style>
            </head>
            <body>
            <h1>\(e(l.title))</h1>
            <p class="meta">\(e(l.period)): \(report.from) – \(report.to) · \(e(l.generated)): \(generatedOn)</p>

            """
        if stale > 0 { page += "<p class=\"warn\">\(stale) \(e(l.stale))</p>\n" }
        page += """
            <div class="cards">
            <div class="card">\(e(l.departments))<b>\(d.count)</b></div>
            <div class="card">\(e(l.assigned))<b>\(assigned)</b></div>
            <div class="card">\(e(l.completed))<b>\(completed)</b></div>
            <div class="card">\(e(l.onTimeRate))<b>\(rate)</b></div>
            <div class="card">\(e(l.overdueOpen))<b>\(overdue)</b></div>
            </div>
            <h2>\(e(l.onTimeChart))</h2>
            \(onTimeChart())
            <h2>\(e(l.satisfactionChart))</h2>
            \(satisfactionChart(l))
            <h2>\(e(l.backlogChart))</h2>
            \(backlogChart(l))
            <h2>\(e(l.supervisionChart))</h2>
            \(supervisionChart(l))
            <h2>\(e(l.table))</h2>
            <table>
            <thead><tr><th>\(e(l.rank))</th><th>\(e(l.department))</th><th>\(e(l.assigned))</th><th>\(e(l.completed))</th><th>\(e(l.closed))</th><th>\(e(l.onTime))</th><th>\(e(l.overdueOpen))</th><th>\(e(l.onTimeRate))</th><th>\(e(l.meanDays))</th><th>\(e(l.firstPass))</th><th>\(e(l.returns))</th><th>\(e(l.supervisions))</th><th>\(e(l.satisfaction))</th><th>\(e(l.score))</th></tr></thead>
            <tbody>

            """
        for r in d {
            func one(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "—" }
            func rate(_ v: Double?) -> String { v.map(Self.percent) ?? "—" }
            var cells: [String] = ["\(r.rank)", e(r.department.rawValue), "\(r.assigned)", "\(r.completed)"]
            cells += ["\(r.closed)", "\(r.onTime)", "\(r.overdueOpen)", rate(r.onTimeRate), one(r.meanWorkingDays)]
            cells += [rate(r.firstPassApprovalRate), "\(r.returns)", "\(r.supervisions)", one(r.satisfactionScore)]
            cells.append(one(r.score))
            page += "<tr>" + cells.map { "<td>\($0)</td>" }.joined() + "</tr>\n"
        }
        page += "</tbody>\n</table>\n<h2>\(e(l.commended))</h2>\n<ul id=\"commended\">\n"
        page +=
            report.commended.isEmpty
            ? "<li>\(e(l.none))</li>\n" : report.commended.map { "<li>\(e($0.rawValue))</li>\n" }.joined()
        page += "</ul>\n<h2>\(e(l.noticed))</h2>\n<ul id=\"noticed\">\n"
        page +=
            report.noticed.isEmpty
            ? "<li>\(e(l.none))</li>\n"
            : report.noticed.map { "<li>\(e($0.department.rawValue)): \(e($0.reasons.joined(separator: "; ")))</li>\n" }
                .joined()
        page += "</ul>\n</body>\n</html>\n"
        return page
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// A horizontal bar per department: on-time rate, 0–100 %.
    func onTimeChart() -> String {
        let rows = report.departments
        let height = 30 + max(rows.count, 1) * 28
        var svg = Self.open("chart-on-time", width: 720, height: height, title: "on-time rate by department")
        svg += Self.axis(x: 160, y: 10, length: 500, height: height - 30, ticks: ["0%", "25%", "50%", "75%", "100%"])
        for (i, r) in rows.enumerated() {
            let y = 14 + i * 28
            let w = Int(((r.onTimeRate ?? 0) * 500).rounded())
            svg +=
                "<text x=\"152\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"13\">\(Self.escape(r.department.rawValue))</text>\n"
            svg += "<rect x=\"160\" y=\"\(y)\" width=\"\(w)\" height=\"20\" fill=\"\(Self.palette[0])\"/>\n"
            svg +=
                "<text x=\"\(166 + w)\" y=\"\(y + 15)\" font-size=\"12\">\(r.onTimeRate.map(Self.percent) ?? "—")</text>\n"
        }
        return svg + "</svg>"
    }

    /// One bar per satisfaction level, all departments together.
    func satisfactionChart(_ l: Labels) -> String {
        var totals: [Satisfaction: Int] = [:]
        for r in report.departments { for (s, n) in r.satisfaction { totals[s, default: 0] += n } }
        let top = max(totals.values.max() ?? 0, 1)
        let levels = Satisfaction.allCases
        var svg = Self.open("chart-satisfaction", width: 720, height: 240, title: "sender satisfaction")
        svg += "<line x1=\"40\" y1=\"200\" x2=\"700\" y2=\"200\" stroke=\"#8c959f\"/>\n"
        for (i, level) in levels.enumerated() {
            let n = totals[level] ?? 0
            let h = Int((Double(n) / Double(top) * 160).rounded())
            let x = 60 + i * 128
            svg +=
                "<rect x=\"\(x)\" y=\"\(200 - h)\" width=\"80\" height=\"\(h)\" fill=\"\(Self.palette[(i + 1) % Self.palette.count])\"/>\n"
            svg += "<text x=\"\(x + 40)\" y=\"\(194 - h)\" text-anchor=\"middle\" font-size=\"12\">\(n)</text>\n"
            svg +=
                "<text x=\"\(x + 40)\" y=\"220\" text-anchor=\"middle\" font-size=\"12\">\(Self.escape(l.satisfactionNames[level] ?? level.rawValue))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Two lines: backlog and overdue at the end of each step.
    func backlogChart(_ l: Labels) -> String {
        let top = max(backlog.map(\.backlog).max() ?? 0, 1)
        var svg = Self.open("chart-backlog", width: 720, height: 260, title: "backlog and overdue over time")
        svg += "<line x1=\"50\" y1=\"210\" x2=\"700\" y2=\"210\" stroke=\"#8c959f\"/>\n"
        svg += "<line x1=\"50\" y1=\"20\" x2=\"50\" y2=\"210\" stroke=\"#8c959f\"/>\n"
        svg += "<text x=\"44\" y=\"24\" text-anchor=\"end\" font-size=\"11\">\(top)</text>\n"
        svg += "<text x=\"44\" y=\"214\" text-anchor=\"end\" font-size=\"11\">0</text>\n"
        let step = backlog.count > 1 ? 640.0 / Double(backlog.count - 1) : 0
        func points(_ value: (Int, Int) -> Int) -> String {
            backlog.enumerated().map { i, p in
                let x = 55 + Double(i) * step
                let y = 210 - Double(value(p.backlog, p.overdue)) / Double(top) * 185
                return String(format: "%.1f,%.1f", x, y)
            }.joined(separator: " ")
        }
        svg +=
            "<polyline fill=\"none\" stroke=\"\(Self.palette[0])\" stroke-width=\"2.5\" points=\"\(points { b, _ in b })\"/>\n"
        svg +=
            "<polyline fill=\"none\" stroke=\"\(Self.palette[3])\" stroke-width=\"2.5\" points=\"\(points { _, o in o })\"/>\n"
        for (i, p) in backlog.enumerated() {
            let x = String(format: "%.1f", 55 + Double(i) * step)
            for (value, colour) in [(p.backlog, Self.palette[0]), (p.overdue, Self.palette[3])] {
                let y = String(format: "%.1f", 210 - Double(value) / Double(top) * 185)
                svg += "<circle cx=\"\(x)\" cy=\"\(y)\" r=\"3.5\" fill=\"\(colour)\"/>\n"
            }
        }
        for (i, p) in backlog.enumerated() where backlog.count <= 16 || i % (backlog.count / 8 + 1) == 0 {
            svg +=
                "<text x=\"\(String(format: "%.1f", 55 + Double(i) * step))\" y=\"228\" text-anchor=\"middle\" font-size=\"10\">\(String(p.day.description.dropFirst(5)))</text>\n"
        }
        svg +=
            "<rect x=\"520\" y=\"238\" width=\"12\" height=\"12\" fill=\"\(Self.palette[0])\"/><text x=\"538\" y=\"249\" font-size=\"12\">\(Self.escape(l.backlog))</text>\n"
        svg +=
            "<rect x=\"610\" y=\"238\" width=\"12\" height=\"12\" fill=\"\(Self.palette[3])\"/><text x=\"628\" y=\"249\" font-size=\"12\">\(Self.escape(l.overdue))</text>\n"
        return svg + "</svg>"
    }

    /// Stacked bars per department: supervisions by method (M5.2).
    func supervisionChart(_ l: Labels) -> String {
        let rows = report.departments
        let totals = rows.map { r in (supervisions[r.department] ?? [:]).values.reduce(0, +) }
        let top = max(totals.max() ?? 0, 1)
        let height = 60 + max(rows.count, 1) * 28
        var svg = Self.open("chart-supervision", width: 720, height: height, title: "supervisions by department")
        for (i, r) in rows.enumerated() {
            let y = 14 + i * 28
            svg +=
                "<text x=\"152\" y=\"\(y + 15)\" text-anchor=\"end\" font-size=\"13\">\(Self.escape(r.department.rawValue))</text>\n"
            var x = 160.0
            for (m, method) in Supervision.Method.allCases.enumerated() {
                let n = supervisions[r.department]?[method] ?? 0
                let w = Double(n) / Double(top) * 480
                if n > 0 {
                    svg +=
                        "<rect x=\"\(String(format: "%.1f", x))\" y=\"\(y)\" width=\"\(String(format: "%.1f", w))\" height=\"20\" fill=\"\(Self.palette[m + 2])\"/>\n"
                }
                x += w
            }
            svg += "<text x=\"\(String(format: "%.1f", x + 6))\" y=\"\(y + 15)\" font-size=\"12\">\(totals[i])</text>\n"
        }
        let legendY = height - 20
        for (m, method) in Supervision.Method.allCases.enumerated() {
            let x = 160 + m * 150
            svg +=
                "<rect x=\"\(x)\" y=\"\(legendY)\" width=\"12\" height=\"12\" fill=\"\(Self.palette[m + 2])\"/><text x=\"\(x + 18)\" y=\"\(legendY + 11)\" font-size=\"12\">\(Self.escape(l.methodNames[method] ?? method.rawValue))</text>\n"
        }
        return svg + "</svg>"
    }

    static func open(_ id: String, width: Int, height: Int, title: String) -> String {
        """
        <svg id="\(id)" xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" aria-label="\(escape(title))">
        <title>\(escape(title))</title>

        """
    }

    static func axis(x: Int, y: Int, length: Int, height: Int, ticks: [String]) -> String {
        var out = ""
        for (i, tick) in ticks.enumerated() {
            let tx = x + i * length / max(ticks.count - 1, 1)
            out += "<line x1=\"\(tx)\" y1=\"\(y)\" x2=\"\(tx)\" y2=\"\(y + height)\" stroke=\"#d1d9e0\"/>\n"
            out += "<text x=\"\(tx)\" y=\"\(y + height + 14)\" text-anchor=\"middle\" font-size=\"11\">\(tick)</text>\n"
        }
        return out
    }
}
