import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
import Postgres

/// Issue 16 item 3, end to end: a real headless Chromium (Debian's `chromium`, driven over
/// its DevTools protocol by Tests/Fixtures/web/dni_browser.py) loads a landing page with the
/// snippet served by the real `switchboard web`; two browser contexts (two visitors) are
/// shown two different pool numbers, the page's layout kept; a SIPp call to the number the
/// first page shows goes through the real daemon, and PostgreSQL attributes it to that
/// visitor's session and campaign.
@Suite(.serialized) struct WebsitePoolTests {
    static let pool = ["+18005550110", "+18005550111", "+18005550112", "+18005550113"]
    static var chromiumInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") }

    static func dialplan(calleePort: Int) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dni-dialplans-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
        account: acme
        timezone: America/New_York
        numbers:
          "+18005550100": { plan: main, source: radio }
        pools:
          website:
            numbers: [\(pool.map { "\"\($0)\"" }.joined(separator: ", "))]
            plan: main
            source: website
        plans:
          main:
            ring-all: { targets: ["sip:desk@127.0.0.1:\(calleePort)"], timeout: 10s }

        """.write(to: directory.appendingPathComponent("acme.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    /// Runs the browser driver; one decoded JSON object per visit.
    static func browse(pagePort: Int, snippet: String, api: String? = nil, visits: [String], heartbeat: Bool = false) throws -> [[String: Any]] {
        var arguments = [DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/web/dni_browser.py").path,
                         "--page-port", String(pagePort), "--snippet", snippet, "--timeout", "60"]
        if let api { arguments += ["--api", api] }
        if heartbeat { arguments.append("--heartbeat") }
        for v in visits { arguments += ["--visit", v] }
        let run = try Process.runToEndWithStderr(URL(fileURLWithPath: "/usr/bin/python3"), arguments)
        guard run.status == 0 else { throw DaemonError.exited(status: run.status, log: run.err) }
        return run.out.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    static func migrate(_ database: String) throws {
        let migrated = try SwitchboardCLI.run(["migrate", "--database", database])
        guard migrated.status == 0 else { throw DaemonError.exited(status: migrated.status, log: "switchboard migrate") }
    }

    @Test(.enabled(if: chromiumInstalled && SIPpRun.isInstalled))
    func twoVisitorsSeeTwoNumbersAndTheCallIsAttributedToTheFirst() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let database = cluster.connectionString(database: try cluster.createDatabase())
        try Self.migrate(database)
        let callee = try SIPpRun.callee("callee-answer.xml", calls: 1).start()
        defer { callee.stop() }
        let dialplans = try Self.dialplan(calleePort: callee.port)
        defer { try? FileManager.default.removeItem(at: dialplans) }
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: journal) }
        let daemon = try DaemonProcess(extraConfig: "journal: \(journal.path)\ndatabase: \"\(database)\"\nnode-id: dni-test\n",
                                       dialplans: dialplans.path)
        defer { daemon.stop() }
        let pagePort = FreePort.next()
        let web = try WebServiceProcess(database: database, dialplans: dialplans.path, accounts: """
              acme:
                public-key: pk_acme_test
                origins: ["http://127.0.0.1:\(pagePort)"]
            """, extraConfig: "sessions: { idle-timeout: 10s }")
        defer { web.stop() }

        let visits = try Self.browse(pagePort: pagePort, snippet: web.baseURL + "/v1/snippet.js", visits: [
            "?utm_source=google&utm_medium=cpc&utm_campaign=burst-pipes&utm_term=emergency+plumber&gclid=CjwKCAtest1",
            "?utm_source=bing&utm_medium=cpc&utm_campaign=water-heaters&msclkid=ms-test-2",
        ], heartbeat: true)
        try #require(visits.count == 2, "\(visits) \(web.log().suffix(2000))")
        let first = try #require(visits[0]["dni"] as? [String: Any]), second = try #require(visits[1]["dni"] as? [String: Any])
        #expect(first["state"] as? String == "leased", "\(visits[0])")
        #expect(second["state"] as? String == "leased", "\(visits[1])")
        let numberA = try #require(first["number"] as? String), numberB = try #require(second["number"] as? String)
        #expect(numberA != numberB)
        #expect(Self.pool.contains(numberA) && Self.pool.contains(numberB))
        // The page's own layouts, digit by digit; tel: links in E.164; other numbers untouched.
        let lineA = String(numberA.suffix(4))
        #expect(visits[0]["phone"] as? String == "(800) 555-\(lineA)")
        #expect(visits[0]["footer"] as? String == "Or dial 800.555.\(lineA), any time.")
        #expect(visits[0]["href"] as? String == "tel:\(numberA)")
        #expect(visits[0]["other"] as? String == "Our fax, 312-555-0199, stays as it is.")
        #expect(visits[1]["phone"] as? String == "(800) 555-\(numberB.suffix(4))")
        // Both pages heartbeated while visible.
        #expect(first["lastHeartbeat"] is String && second["lastHeartbeat"] is String, "\(visits)")
        let sessionA = try #require(first["sessionId"] as? String)

        // A visitor calls the number the first page shows.
        let caller = try SIPpRun.caller(daemon: daemon, number: numberA, calls: 1).run()
        #expect(caller.successfulCalls == 1, "\(caller.output.suffix(800))")
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        var row: [String?] = []
        let deadline = Date().addingTimeInterval(30)
        repeat {
            row = try connection.execute("""
                SELECT attribution, session_id::text, campaign, keyword, click_id, click_id_kind, utm_source, tracking_number,
                       first_time_caller::text, landing_page
                FROM call_attribution WHERE account = 'acme'
                """).rows.first ?? []
            if !row.isEmpty { break }
            usleep(200_000)
        } while Date() < deadline
        try #require(!row.isEmpty, "no call recorded: \(daemon.log().suffix(2000))")
        #expect(row[0] == "attributed")
        #expect(row[1] == sessionA)
        #expect(row[2] == "burst-pipes" && row[3] == "emergency plumber")
        #expect(row[4] == "CjwKCAtest1" && row[5] == "gclid" && row[6] == "google")
        #expect(row[7] == numberA && row[8] == "true")
        #expect(row[9]?.hasPrefix("http://127.0.0.1:\(pagePort)/landing.html?utm_source=google") == true)
        // And the second visitor's session is a different one, with its own campaign.
        let b = try connection.execute("SELECT utm_campaign, msclkid FROM dni_sessions WHERE session_id::text = $1",
                                       [second["sessionId"] as? String]).rows.first
        #expect(b == ["water-heaters", "ms-test-2"])
    }

    /// The API unreachable (nothing listens where the page points the snippet): the page keeps
    /// its default number, text and link.
    @Test(.enabled(if: chromiumInstalled))
    func anUnreachableServiceLeavesTheDefaultNumber() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let database = cluster.connectionString(database: try cluster.createDatabase())
        try Self.migrate(database)
        let dialplans = try Self.dialplan(calleePort: 5999)
        defer { try? FileManager.default.removeItem(at: dialplans) }
        let pagePort = FreePort.next()
        let web = try WebServiceProcess(database: database, dialplans: dialplans.path, accounts: """
              acme:
                public-key: pk_acme_test
                origins: ["http://127.0.0.1:\(pagePort)"]
            """)
        defer { web.stop() }
        let dead = FreePort.next()
        let visits = try Self.browse(pagePort: pagePort, snippet: web.baseURL + "/v1/snippet.js",
                                     api: "http://127.0.0.1:\(dead)", visits: ["?utm_campaign=x"])
        let dni = try #require(visits.first?["dni"] as? [String: Any], "\(visits)")
        #expect(dni["state"] as? String == "default")
        #expect(dni["number"] as? String == "+18005550100")
        #expect(visits[0]["phone"] as? String == "(800) 555-0100")
        #expect(visits[0]["href"] as? String == "tel:+18005550100")
        #expect(try PostgresConnection(database).execute("SELECT count(*) FROM dni_sessions").rows[0][0] == "0")
    }
}
