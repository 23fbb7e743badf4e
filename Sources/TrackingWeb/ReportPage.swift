import Foundation
import Tracking

/// The HTML report of `GET /v1/admin/report` (issue 16 item 4): three charts drawn as
/// inline SVG (no script, no CDN, nothing fetched), each bar carrying its figure in
/// `data-*` attributes and a `<title>`, so a browser test can read the numbers back.
struct ReportPage {
    var account: String
    var since: String
    var until: String
    var daily: [CallReport.DailyRow]
    var pools: [PoolStatus]

    /// A fixed palette (colour-blind safe, Okabe–Ito); sources beyond it reuse colours.
    static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"]
    static let answeredColour = "#009e73", missedColour = "#d55e00", leasedColour = "#0072b2", freeColour = "#cccccc"

    var days: [String] { Array(Set(daily.map(\.day))).sorted() }
    var sources: [String] {
        var totals: [String: Int] = [:]
        for r in daily { totals[r.source, default: 0] += r.calls }
        return totals.keys.sorted { (totals[$0]!, $1) > (totals[$1]!, $0) }
    }

    func html() -> String {
        let total = daily.reduce(0) { $0 + $1.calls }, answered = daily.reduce(0) { $0 + $1.answered }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <title>Calls — \(Self.escape(account))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
        h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
        .legend span { display: inline-block; margin-right: 14px; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
        table { border-collapse: collapse; margin-top: 8px; } td, th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } td:first-child, th:first-child { text-align: left; }
        svg text { font: 11px system-ui, sans-serif; fill: #333; }
        </style></head><body>
        <h1>Calls of \(Self.escape(account))</h1>
        <p id="summary" data-calls="\(total)" data-answered="\(answered)" data-missed="\(total - answered)">\(Self.escape(since)) to \(Self.escape(until)): \(total) calls, \(answered) answered, \(total - answered) missed.</p>
        <h2>Calls per source per day</h2>
        \(legend(sources.enumerated().map { (Self.palette[$0.offset % Self.palette.count], $0.element) }))
        \(stackedBySource())
        <h2>Answered and missed</h2>
        \(legend([(Self.answeredColour, "answered"), (Self.missedColour, "missed")]))
        \(answeredMissed())
        <h2>Pool utilisation (now)</h2>
        \(legend([(Self.leasedColour, "leased"), (Self.freeColour, "free")]))
        \(poolChart())
        <h2>Figures</h2>
        \(table())
        </body></html>

        """
    }

    private func legend(_ items: [(String, String)]) -> String {
        "<p class=\"legend\">" + items.map { "<span><i style=\"background:\($0.0)\"></i>\(Self.escape($0.1))</span>" }.joined() + "</p>"
    }

    /// Bars of one day per column: the sources stacked, the largest at the bottom.
    private func stackedBySource() -> String {
        let days = self.days, sources = self.sources
        let perDay = days.map { d in daily.filter { $0.day == d }.reduce(0) { $0 + $1.calls } }
        let maxValue = max(1, perDay.max() ?? 1)
        let width = 60 + max(1, days.count) * 36, height = 240, plot = 200.0
        var svg = "<svg id=\"chart-sources\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        svg += axis(maxValue: maxValue, width: width, plot: plot)
        for (i, day) in days.enumerated() {
            var y = plot + 10
            let x = 50 + i * 36
            for (j, source) in sources.enumerated() {
                guard let row = daily.first(where: { $0.day == day && $0.source == source }), row.calls > 0 else { continue }
                let h = plot * Double(row.calls) / Double(maxValue)
                y -= h
                svg += "<rect class=\"bar\" x=\"\(x)\" y=\(Self.f(y)) width=\"28\" height=\(Self.f(h)) fill=\"\(Self.palette[j % Self.palette.count])\" data-day=\"\(day)\" data-source=\"\(Self.escape(source))\" data-calls=\"\(row.calls)\"><title>\(day) \(Self.escape(source)): \(row.calls)</title></rect>"
            }
            svg += "<text x=\"\(x + 14)\" y=\"\(height - 14)\" text-anchor=\"middle\">\(day.suffix(5))</text>"
        }
        return svg + "</svg>"
    }

    /// Two bars per day: answered, missed.
    private func answeredMissed() -> String {
        let days = self.days
        let totals = days.map { d -> (Int, Int) in
            let rows = daily.filter { $0.day == d }
            return (rows.reduce(0) { $0 + $1.answered }, rows.reduce(0) { $0 + $1.missed })
        }
        let maxValue = max(1, totals.map { max($0.0, $0.1) }.max() ?? 1)
        let width = 60 + max(1, days.count) * 36, height = 240, plot = 200.0
        var svg = "<svg id=\"chart-answered\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        svg += axis(maxValue: maxValue, width: width, plot: plot)
        for (i, day) in days.enumerated() {
            let x = 50 + i * 36
            for (k, (value, colour, kind)) in [(totals[i].0, Self.answeredColour, "answered"), (totals[i].1, Self.missedColour, "missed")].enumerated() {
                let h = plot * Double(value) / Double(maxValue)
                svg += "<rect class=\"bar\" x=\"\(x + k * 14)\" y=\(Self.f(plot + 10 - h)) width=\"13\" height=\(Self.f(h)) fill=\"\(colour)\" data-day=\"\(day)\" data-kind=\"\(kind)\" data-calls=\"\(value)\"><title>\(day) \(kind): \(value)</title></rect>"
            }
            svg += "<text x=\"\(x + 14)\" y=\"\(height - 14)\" text-anchor=\"middle\">\(day.suffix(5))</text>"
        }
        return svg + "</svg>"
    }

    /// One horizontal bar per pool: leased of its numbers.
    private func poolChart() -> String {
        let height = 30 + pools.count * 30
        var svg = "<svg id=\"chart-pools\" xmlns=\"http://www.w3.org/2000/svg\" width=\"520\" height=\"\(height)\" role=\"img\">"
        for (i, p) in pools.enumerated() {
            let y = 10 + i * 30
            let w = 300.0 * Double(p.leased) / Double(max(1, p.numbers))
            svg += "<text x=\"0\" y=\"\(y + 15)\">\(Self.escape(p.pool))</text>"
            svg += "<rect x=\"100\" y=\"\(y)\" width=\"300\" height=\"20\" fill=\"\(Self.freeColour)\"/>"
            svg += "<rect class=\"bar\" x=\"100\" y=\"\(y)\" width=\(Self.f(w)) height=\"20\" fill=\"\(Self.leasedColour)\" data-pool=\"\(Self.escape(p.pool))\" data-leased=\"\(p.leased)\" data-numbers=\"\(p.numbers)\"><title>\(Self.escape(p.pool)): \(p.leased) of \(p.numbers) leased</title></rect>"
            svg += "<text x=\"410\" y=\"\(y + 15)\">\(p.leased) / \(p.numbers)</text>"
        }
        return svg + "</svg>"
    }

    private func axis(maxValue: Int, width: Int, plot: Double) -> String {
        "<line x1=\"45\" y1=\"10\" x2=\"45\" y2=\(Self.f(plot + 10)) stroke=\"#888\"/><line x1=\"45\" y1=\(Self.f(plot + 10)) x2=\"\(width)\" y2=\(Self.f(plot + 10)) stroke=\"#888\"/>"
            + "<text x=\"40\" y=\"16\" text-anchor=\"end\">\(maxValue)</text><text x=\"40\" y=\(Self.f(plot + 10)) text-anchor=\"end\">0</text>"
    }

    private func table() -> String {
        var rows = "<table id=\"figures\"><tr><th>day</th><th>source</th><th>calls</th><th>answered</th><th>missed</th></tr>"
        for r in daily {
            rows += "<tr><td>\(r.day)</td><td>\(Self.escape(r.source))</td><td>\(r.calls)</td><td>\(r.answered)</td><td>\(r.missed)</td></tr>"
        }
        return rows + "</table>"
    }

    static func f(_ v: Double) -> String { "\"" + String(format: "%.1f", v) + "\"" }

    static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
