import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
@testable import Tracking

/// Issue 16 item 4: the HTML report of the real `switchboard web`, opened in a real headless
/// Chromium (Tests/Fixtures/web/report_browser.py): the charts are drawn (the screenshot's
/// pixel at each bar's centre is the bar's colour, bar heights are proportional) and every
/// figure equals what SQL says about the rows the test wrote.
@Suite(.serialized) struct ReportPageTests {
    static let accounts = """
      acme:
        public-key: pk_acme_test
        origins: ["https://www.acme.example"]
    """

    static func browse(url: String, screenshot: URL) throws -> [String: Any] {
        let run = try Process.runToEndWithStderr(URL(fileURLWithPath: "/usr/bin/python3"), [
            DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/web/report_browser.py").path,
            "--url", url, "--token", WebServiceProcess.adminToken, "--screenshot", screenshot.path, "--timeout", "60"])
        guard run.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any] else {
            throw TestFailure("report_browser.py failed: \(run.err)")
        }
        return object
    }

    @Test func chartsAreDrawnAndTheirNumbersMatchSQL() throws {
        let db = try TrackingDatabase()
        defer { db.cleanUp() }
        let store = try db.store()
        var leases: [SessionLease] = []
        for (source, campaign) in [("google", "spring"), ("google", "autumn"), ("newsletter", "dec")] {
            leases.append(try store.createSession(account: "acme", request: SessionRequest(key: "pk_acme_test", pool: "website",
                                                                                           utmSource: source, utmCampaign: campaign),
                                                  policy: SessionPolicy()))
        }
        store.connection.close()
        let calls = CallRows(db: db)
        let plan: [(String, Bool, Double)] = [
            (leases[0].number, true, 0), (leases[0].number, false, 0), (leases[1].number, true, 0), (leases[2].number, false, 0),
            ("+18005550100", true, 0), ("+18005550100", true, -86_400), ("+18005550100", false, -86_400), (leases[0].number, true, -2 * 86_400),
        ]
        for (i, (number, answered, offset)) in plan.enumerated() {
            try calls.insert(number: number, caller: "+1212555020\(i)", answered: answered, startOffset: offset)
        }
        let web = try WebServiceProcess(database: db.connectionString, dialplans: db.dialplans.path, accounts: Self.accounts)
        defer { web.stop() }

        // Refusals are 4xx with a reason, never a 500.
        let bearer = ["Authorization": "Bearer \(WebServiceProcess.adminToken)"]
        #expect(try HTTPExchange.send("GET", web.baseURL + "/v1/admin/report?account=acme").status == 401)
        #expect(try HTTPExchange.send("GET", web.baseURL + "/v1/admin/report?account=nobody", headers: bearer).status == 404)
        #expect(try HTTPExchange.send("GET", web.baseURL + "/v1/admin/report?account=acme&since=yesterday", headers: bearer).status == 400)
        #expect(try HTTPExchange.send("GET", web.baseURL + "/v1/admin/report?account=acme&since=2020-01-01&until=2026-01-01", headers: bearer).status == 400)
        #expect(try HTTPExchange.send("GET", web.baseURL + "/v1/admin/report", headers: bearer).status == 400)
        let plain = try HTTPExchange.send("GET", web.baseURL + "/v1/admin/report?account=acme", headers: bearer)
        #expect(plain.status == 200)
        // Self-contained: no script, nothing loaded from anywhere (no CDN).
        #expect(plain.text.contains("<svg") && !plain.text.contains("<script") && !plain.text.contains("src=") && !plain.text.contains("href="))

        let shot = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: shot) }
        let seen = try Self.browse(url: web.baseURL + "/v1/admin/report?account=acme", screenshot: shot)
        #expect((try? Data(contentsOf: shot).count) ?? 0 > 1000)
        // To look at it: SWITCHBOARD_KEEP_SCREENSHOT=/tmp/report.png swift test --filter ReportPageTests
        if let keep = ProcessInfo.processInfo.environment["SWITCHBOARD_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: shot, to: URL(fileURLWithPath: keep))
        }
        #expect(seen["charts"] as? [String] == ["chart-sources", "chart-answered", "chart-pools"])
        let bars = try #require(seen["bars"] as? [[String: Any]])
        func data(_ bar: [String: Any], _ key: String) -> String { (bar["data"] as? [String: String])?[key] ?? "" }

        // The truth, straight from SQL over the rows written above.
        let c = try db.connect()
        defer { c.close() }
        let bySource = try c.execute("""
        SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
               CASE WHEN attribution = 'attributed' THEN COALESCE(utm_source, source) ELSE source END, count(*)
        FROM call_attribution WHERE account = 'acme' GROUP BY 1, 2
        """).rows.map { "\($0[0]!) \($0[1]!) \($0[2]!)" }
        let sourceBars = bars.filter { $0["chart"] as? String == "chart-sources" }
        #expect(Set(sourceBars.map { "\(data($0, "day")) \(data($0, "source")) \(data($0, "calls"))" }) == Set(bySource))
        #expect(sourceBars.count == bySource.count)

        let answered = try c.execute("""
        SELECT to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
               count(*) FILTER (WHERE EXISTS (SELECT 1 FROM call_legs l WHERE l.call_id = a.call_id AND l.direction = 'outbound' AND l.answered_at IS NOT NULL)),
               count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM call_legs l WHERE l.call_id = a.call_id AND l.direction = 'outbound' AND l.answered_at IS NOT NULL))
        FROM call_attribution a WHERE a.account = 'acme' GROUP BY 1
        """).rows.flatMap { ["\($0[0]!) answered \($0[1]!)", "\($0[0]!) missed \($0[2]!)"] }
        let answeredBars = bars.filter { $0["chart"] as? String == "chart-answered" }
        #expect(Set(answeredBars.map { "\(data($0, "day")) \(data($0, "kind")) \(data($0, "calls"))" }) == Set(answered))

        let leased = try c.execute("SELECT count(*) FILTER (WHERE current_lease IS NOT NULL AND lease_expires_at > now()), count(*) FROM dni_numbers WHERE account = 'acme'").rows[0]
        let poolBars = bars.filter { $0["chart"] as? String == "chart-pools" }
        #expect(poolBars.map { "\(data($0, "pool")) \(data($0, "leased"))/\(data($0, "numbers"))" } == ["website \(leased[0]!)/\(leased[1]!)"])
        #expect(leased[0] == "3")

        let summary = try #require(seen["summary"] as? [String: String])
        #expect(summary["calls"] == String(plan.count) && summary["answered"] == String(plan.filter { $0.1 }.count))

        // Drawn: each bar's centre in the screenshot is its colour, and heights are
        // proportional to the figures (one scale per chart).
        for bar in sourceBars + answeredBars + poolBars where (bar["height"] as? Double ?? 0) >= 2 && (bar["width"] as? Double ?? 0) >= 2 {
            #expect(bar["pixel"] as? String == bar["fill"] as? String, "\(bar)")
        }
        for chart in [sourceBars, answeredBars] {
            let scales = chart.compactMap { bar -> Double? in
                guard let h = bar["height"] as? Double, let n = Double(data(bar, "calls")), n > 0 else { return nil }
                return h / n
            }
            #expect(!scales.isEmpty)
            #expect((scales.max() ?? 0) - (scales.min() ?? 0) < 0.5, "\(scales)")
        }
        let pool = try #require(poolBars.first)
        #expect(abs((pool["width"] as? Double ?? 0) - 300 * 3 / 8) < 0.5)
    }
}
