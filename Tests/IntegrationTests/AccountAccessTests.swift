import Billing
import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
import Postgres

/// Issue 6 item 4: when an account's paid access has ended, the daemon refuses calls to its
/// numbers with 403 and a reason, read from PostgreSQL and refreshed without a restart.
@Suite(.serialized) struct AccountAccessTests {
    @Test func callsToAnAccountWhoseAccessEndedGet403WithoutRestart() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 1, keys: ["ring": "20"])], database: true)
        defer { call.stop() }
        let callee = call.callees[0]
        let database = try #require(call.database).connectionString
        _ = try Billing.migrate(connectionString: database)
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        _ = try connection.execute("INSERT INTO accounts (name, timezone, currency) VALUES ('test-account', 'America/Chicago', 'USD')")

        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"),
                                          config: "access-refresh: 1s\n")

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
