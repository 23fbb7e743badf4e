import Billing
import Foundation
import LegStore
import SIPTestKit
import Testing
import Postgres

/// Issue 6 item 4: when an account's paid access has ended, the daemon refuses calls to its
/// numbers with 403 and a reason, read from PostgreSQL and refreshed without a restart.
@Suite(.serialized) struct AccountAccessTests {
    @Test func callsToAnAccountWhoseAccessEndedGet403WithoutRestart() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let database = cluster.connectionString(database: try cluster.createDatabase())
        _ = try Billing.migrate(connectionString: database)
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        _ = try connection.execute("INSERT INTO accounts (name, timezone, currency) VALUES ('test-account', 'America/Chicago', 'USD')")

        let callee = try SIPpRun.callee("callee-answer.xml", calls: 1, keys: ["ring": "20"]).start()
        defer { callee.stop() }
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"sip:a@127.0.0.1:\(callee.port)\"], timeout: 10s }\n")
        defer { plan.remove() }
        let journal = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: journal) }
        let daemon = try DaemonProcess(extraConfig: "journal: \(journal.path)\ndatabase: \"\(database)\"\naccess-refresh: 1s\n",
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }

        let active = try SIPpRun.caller(daemon: daemon, calls: 1).run()
        #expect(active.successfulCalls == 1, "\(active.output.suffix(800))")

        // The account's access ends (cancelled term over): no restart, no reload.
        _ = try connection.execute("UPDATE accounts SET status = 'ended' WHERE name = 'test-account'")
        var refused: SIPpRun.Result?
        let deadline = Date().addingTimeInterval(15)
        repeat {
            usleep(500_000)
            let run = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).run()
            if finalStatuses(run) == [403] { refused = run }
        } while refused == nil && Date() < deadline
        let refusal = try #require(refused, "calls were still routed after the account ended")
        let response = try #require(tracedMessages(refusal.messages, startingWith: "SIP/2.0 403", received: true).first)
        #expect(header("Reason", in: response) == "SIP;cause=403;text=\"account access ended\"")
    }
}
