import Billing
import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
import Postgres

/// Issue 6 item 7, the full path: SIPp calls through the real daemon, their legs journaled
/// into PostgreSQL, then the business-day close, then the customer's statement.
@Suite(.serialized) struct BillingPathTests {
    @Test func callsThroughTheDaemonAreClosedOnceAndBilledAtThePlansRates() throws {
        let calls = 3
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: calls, keys: ["ring": "20"])], database: true)
        defer { call.stop() }
        let callee = call.callees[0]
        let database = try #require(call.database).connectionString
        _ = try Billing.migrate(connectionString: database)
        let billing = try Billing(connectionString: database)
        // Pay-as-you-go (seeded): inbound 4 ¢/min, outbound 12 ¢/min, 60/60 increments.
        var account = NewAccount(name: "test-account", timezone: "America/Chicago", plan: "pay-as-you-go")
        account.start = Date().addingTimeInterval(-86_400)
        try billing.createAccount(account)

        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"))
        var load = SIPpRun.caller("caller-hold.xml", daemon: daemon, calls: calls, rate: 3)
        load.extraArguments += ["-d", "1500"]  // 1.5 s of talk: one billed minute per leg at 60/60
        let run = try load.run()
        #expect(run.successfulCalls == calls, "\(run.output.suffix(800))")

        // Wait until the writer has every leg ended in PostgreSQL.
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        let deadline = Date().addingTimeInterval(30)
        var ended = 0
        repeat {
            ended = Int(try connection.execute("SELECT count(*) FROM call_legs WHERE ended_at IS NOT NULL").rows[0][0] ?? "0") ?? 0
            if ended < calls * 2 { usleep(200_000) }
        } while ended < calls * 2 && Date() < deadline
        #expect(ended == calls * 2)

        // Close every business day up to two days from now: today's calls are rated once.
        let at = Date().addingTimeInterval(2 * 86_400)
        let first = try billing.close(at: at, account: "test-account")
        #expect(first.legsRated == calls * 2)
        // 3 calls × (4 ¢ inbound + 12 ¢ outbound) for one minute each.
        #expect(first.usageAmount["USD"] == Int64(calls * 16))
        let again = try billing.close(at: at, account: "test-account")
        #expect(again.legsRated == 0)
        let usageTotal = try connection.execute("SELECT coalesce(sum(amount), 0) FROM usage_days WHERE account = 'test-account'")
        #expect(usageTotal.rows[0][0] == "\(calls * 16)")

        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM"
        formatter.timeZone = TimeZone(identifier: "America/Chicago")
        let statement = try billing.statement(account: "test-account", month: formatter.string(from: Date()))
        #expect(statement.contains("0.48"), "\(statement)")
    }
}
