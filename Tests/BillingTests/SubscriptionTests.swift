import Billing
import Foundation
import LegStore
import ProcessTestKit
import Testing
import Postgres

@Suite(.postgres) struct SubscriptionTests {
    @Test func renewalChargesEachTermOnceAndTermsDoNotDrift() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        // Jan 31 00:00 New York: terms end Feb 28, Mar 31, Apr 30, May 31 (no drift to the 28th).
        try makeAccount(b, "monthly", start: t("2026-01-31T05:00:00Z"), numbers: ["+18005550100"])
        #expect(try b.renew(at: t("2026-02-27T12:00:00Z")).renewals == 0)
        #expect(try b.renew(at: t("2026-03-01T12:00:00Z")).renewals == 1)
        #expect(try b.renew(at: t("2026-03-01T12:00:00Z")).renewals == 0)
        #expect(try b.close(at: t("2026-03-02T05:00:00Z")).renewals == 0)
        #expect(try b.renew(at: t("2026-05-01T12:00:00Z")).renewals == 2)  // a missed renewal catches up
        let ends = try rows(c, "SELECT to_char(term_end AT TIME ZONE 'America/New_York', 'YYYY-MM-DD HH24:MI') FROM subscription_terms ORDER BY term_number").map { $0[0]! }
        #expect(ends == ["2026-02-28 00:00", "2026-03-31 00:00", "2026-04-30 00:00", "2026-05-31 00:00"])
        let access = try b.charges(account: "monthly").filter { $0.kind == "access" }
        #expect(access.count == 4)
        #expect(access.allSatisfy { $0.amount == 4500 })
        #expect(Set(access.map(\.chargeID)).count == 4)
        #expect(try scalar(c, "SELECT count(*) FROM charges WHERE kind = 'number-fee' AND amount = 300") == "4")
        #expect(try scalar(c, "SELECT count(*) FROM ledger WHERE kind = 'access'") == "4")

        // Pay-as-you-go renews without an access fee (number fees only).
        try makeAccount(b, "payg", plan: "pay-as-you-go", start: t("2026-01-31T05:00:00Z"), numbers: ["+18005550199"])
        #expect(try b.renew(at: t("2026-03-01T12:00:00Z"), account: "payg").renewals == 1)
        #expect(try b.charges(account: "payg").map(\.kind) == ["number-fee", "number-fee"])
    }

    /// Annual prepaid, cancelled in March: access lasts to the end of the year's term, no
    /// renewal and no refund; then the account is blocked.
    @Test func annualCancellationKeepsAccessToTermEnd() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "yearly", cycle: .annual, start: t("2026-01-15T05:00:00Z"))
        #expect(try b.charges(account: "yearly").map(\.amount) == [45000])
        let until = try b.cancel(account: "yearly", at: t("2026-03-01T15:00:00Z"))
        #expect(until == t("2027-01-15T05:00:00Z"))
        #expect(try b.account("yearly").status == "cancelled")
        #expect(try b.account("yearly").autoRenew == false)

        _ = try b.close(at: t("2027-01-15T04:59:00Z"))
        #expect(try b.account("yearly").status == "cancelled")
        #expect(try AccessCache.blockedAccounts(c, at: t("2027-01-15T04:59:00Z")).isEmpty)

        let r = try b.close(at: t("2027-01-16T05:00:00Z"))
        #expect(r.renewals == 0 && r.accessEnded == 1)
        #expect(try b.account("yearly").status == "ended")
        #expect(try AccessCache.blockedAccounts(c, at: t("2027-01-16T05:00:00Z")) == ["yearly"])
        #expect(try b.charges(account: "yearly").map(\.amount) == [45000])  // charged once, never refunded
        #expect(try scalar(c, "SELECT count(*) FROM ledger WHERE amount < 0 AND kind <> 'payment'") == "0")
    }

    @Test func accessCacheRefreshesOnItsOwnThread() throws {
        let url = try DB.database()
        let b = try billing(url)
        try makeAccount(b, "open", start: t("2026-01-01T05:00:00Z"))
        try makeAccount(b, "closing", start: Date().addingTimeInterval(-40 * 86400))
        let cache = AccessCache(connectionString: url, refreshInterval: 0.1, logger: quietLogger)
        try cache.start()
        defer { cache.stop() }
        #expect(cache.isLoaded)
        #expect(!cache.isBlocked(account: "closing"))
        // Cancel with access ending in the past (term already over): blocked without a close.
        let c = try PostgresConnection(url)
        try c.execute("UPDATE subscriptions SET auto_renew = false, cancelled_at = now(), access_until = now() - interval '1 second' WHERE account = 'closing'")
        let deadline = Date().addingTimeInterval(10)
        while !cache.isBlocked(account: "closing"), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(cache.isBlocked(account: "closing"))
        #expect(!cache.isBlocked(account: "open"))
        #expect(!cache.isBlocked(account: "unknown"))
        #expect(cache.refreshCount >= 2)
        // Concurrent readers while it refreshes.
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<10_000 { _ = cache.isBlocked(account: "closing") }
        }
    }

    @Test func statementShowsFeesUsageAndTotalsInTheAccountsCurrency() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "acme", start: t("2026-11-01T04:00:00Z"), numbers: ["+18005550100", "+18005550101"])
        _ = try CloseTests.tenthOfNovemberLegs(c, "acme")
        _ = try b.close(at: t("2026-11-11T05:00:00Z"))
        let s = try b.statement(account: "acme", month: "2026-11")
        #expect(s.contains("Statement for acme, 2026-11 (America/New_York, USD)"))
        #expect(s.contains("Small Teams monthly access, term from 2026-11-01"))
        #expect(s.contains("$45.00"))
        #expect(s.contains("2 tracking number(s)"))
        #expect(s.contains("$6.00"))
        #expect(s.contains("2026-11-10  5 call legs, 6 min (3 included)"))
        #expect(s.contains("$0.20"))
        #expect(s.range(of: #"Total charges\s+\$51\.20"#, options: .regularExpression) != nil, "\(s)")
        #expect(!s.contains("2026-11-09"))  // days without calls are not listed
        #expect(throws: BillingError.self) { try b.statement(account: "acme", month: "2026-13") }
    }
}
