import Billing
import Foundation
import LegStore
import ProcessTestKit
import Testing
import Postgres

/// The business-day close against a real PostgreSQL (one cluster per suite, one database
/// per test).
@Suite(.postgres) struct CloseTests {
    /// Everything the close writes, as text, to compare runs.
    static func snapshot(_ c: PostgresConnection) throws -> [String] {
        try rows(c, "SELECT account, business_day, day_start, day_end, close_id, legs, billed_seconds, included_seconds, amount_micros, amount, charge_id FROM usage_days ORDER BY 1, 2").map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
        + rows(c, "SELECT charge_id, account, kind, amount, status FROM charges ORDER BY 1").map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
        + rows(c, "SELECT account, kind, amount, charge_id FROM ledger ORDER BY entry_id").map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
        + rows(c, "SELECT l.leg_id, r.close_id, r.rated_seconds, r.free_seconds, r.micros FROM call_legs l LEFT JOIN rated_legs r USING (leg_id) ORDER BY 1").map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
    }

    /// Legs of 2026-11-10 (New York) for an account on small-teams: only the legs whose rate
    /// is not "included" cost money (the 500 included minutes cover the others).
    static func tenthOfNovemberLegs(_ c: PostgresConnection, _ account: String) throws -> [String: UUID] {
        let base = t("2026-11-10T15:00:00Z")
        return [
            // +1 outbound: 90 s → 120 s, included → free
            "us": try insertLeg(c, account: account, target: "tel:+14155550123", answered: base, ended: base.addingTimeInterval(90)),
            // +44: 61 s → 120 s at 5 ¢/min = 10 ¢
            "uk": try insertLeg(c, account: account, target: "sip:+442071234567@trunk.example;user=phone",
                                answered: base, ended: base.addingTimeInterval(61)),
            // no E.164 destination: default 10 ¢/min, 30 s → 60 s = 10 ¢
            "sip": try insertLeg(c, account: account, target: "sip:bob@pbx.example", answered: base, ended: base.addingTimeInterval(30)),
            // inbound to a +1800 tracking number: 59.5 s → 60 s, included → free
            "in": try insertLeg(c, account: account, direction: "inbound", target: "sip:sb@us", tracking: "+18005550100",
                                answered: base, ended: base.addingTimeInterval(59.5)),
            // never answered: nothing
            "busy": try insertLeg(c, account: account, target: "tel:+442071234567", answered: nil, ended: base.addingTimeInterval(20)),
        ]
    }

    @Test func closeRatesOnceWritesOneLinePerDayAndIsIdempotent() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "acme", start: t("2026-11-01T04:00:00Z"), numbers: ["+18005550100", "+18005550101"])
        let legs = try Self.tenthOfNovemberLegs(c, "acme")
        // A leg ending after the cut-off of the last ended day is not rated yet.
        let tomorrow = try insertLeg(c, account: "acme", target: "tel:+442071234567", answered: t("2026-11-11T05:00:00Z"), ended: t("2026-11-11T05:02:00Z"))

        let at = t("2026-11-11T05:00:00Z")  // 2026-11-11 00:00 in New York (EST)
        let r = try b.close(at: at)
        #expect(r.daysClosed == 10)           // Nov 1 … Nov 10
        #expect(r.legsRated == 5)
        #expect(r.usageCharges == 1)
        #expect(r.usageAmount == ["USD": 20])
        #expect(try scalar(c, "SELECT count(*) FROM usage_days WHERE account = 'acme'") == "10")
        let line = try rows(c, "SELECT legs, billed_seconds, included_seconds, amount FROM usage_days WHERE business_day = '2026-11-10'")
        #expect(line == [["5", "360", "180", "20"]])
        #expect(try scalar(c, "SELECT rated_seconds || '/' || free_seconds || '/' || micros FROM rated_legs WHERE leg_id = $1", [legs["uk"]!.uuidString]) == "120/0/10000000")
        #expect(try scalar(c, "SELECT rated_seconds || '/' || free_seconds || '/' || micros FROM rated_legs WHERE leg_id = $1", [legs["us"]!.uuidString]) == "120/120/0")
        #expect(try scalar(c, "SELECT rated_seconds FROM rated_legs WHERE leg_id = $1", [legs["busy"]!.uuidString]) == "0")
        #expect(try scalar(c, "SELECT count(*) FROM rated_legs WHERE leg_id = $1", [tomorrow.uuidString]) == "0")
        // Charges: the first term's access fee, two numbers, and the day's usage.
        let charges = try b.charges(account: "acme")
        #expect(charges.map(\.kind).sorted() == ["access", "number-fee", "usage"])
        #expect(charges.first { $0.kind == "access" }?.amount == 4500)
        #expect(charges.first { $0.kind == "number-fee" }?.amount == 600)
        #expect(charges.first { $0.kind == "usage" }?.amount == 20)
        #expect(charges.allSatisfy { $0.status == "pending" })  // ledger-only gateway
        #expect(try scalar(c, "SELECT sum(amount) FROM ledger") == "5120")

        // Again at the same time, and later the same day: nothing new.
        let before = try Self.snapshot(c)
        let again = try b.close(at: at)
        #expect(again.closeID == nil && again.legsRated == 0 && again.usageCharges == 0)
        #expect(try b.close(at: t("2026-11-11T20:00:00Z")).legsRated == 0)
        #expect(try Self.snapshot(c) == before)
        // The next day's close rates the leg of Nov 11.
        let next = try b.close(at: t("2026-11-12T05:00:00Z"))
        #expect(next.legsRated == 1 && next.daysClosed == 1)
        #expect(try scalar(c, "SELECT string_agg(close_id::text, ',') FROM rated_legs WHERE leg_id = $1", [tomorrow.uuidString]) == String(next.closeID!))
    }

    /// The close's transaction dies after rating, before COMMIT (an exception, or the
    /// backend killed as if the process had been kill -9'd): nothing of it remains, and the
    /// next close produces exactly what an uninterrupted close produces.
    @Test func closeInterruptedBeforeCommitLeavesNothingAndRerunsToTheSameResult() throws {
        let cluster = try #require(DB.cluster)
        var results: [[String]] = []
        for mode in ["none", "throw", "kill"] {
            let url = try cluster.createDatabase("crash_\(mode)")
            try Billing.migrate(connectionString: url, logger: quietLogger)
            let setup = try billing(url)
            try makeAccount(setup, "acme", start: t("2026-11-01T04:00:00Z"))
            let c = try PostgresConnection(url)
            // Same legs in every database (fixed ids) so snapshots compare.
            for i in 0..<200 {
                let start = t("2026-11-05T14:00:00Z").addingTimeInterval(Double(i * 300))
                try c.execute("""
                INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, answered_at, ended_at)
                VALUES (md5('leg' || $1)::uuid, md5('call' || $1)::uuid, 'acme', '+18005550100', 'outbound', $2, $3, $4)
                """, [String(i), i % 2 == 0 ? "tel:+442071234567" : "sip:x@y", PG_time(start), PG_time(start.addingTimeInterval(Double(i % 97 + 1)))])
            }
            if mode != "none" {
                let crashing = try billing(url) { cfg in
                    cfg.beforeCommit = { conn in
                        // The rating statement ran inside this transaction…
                        let rated = try conn.execute("SELECT count(*) FROM leg_ratings").rows[0][0]
                        precondition(rated == "200")
                        if mode == "throw" { throw BillingError.invalid("injected crash") }
                        try conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
                    }
                }
                #expect(throws: (any Error).self) { try crashing.close(at: t("2026-11-07T05:00:00Z")) }
                #expect(try scalar(c, "SELECT count(*) FROM leg_ratings") == "0")
                #expect(try scalar(c, "SELECT count(*) FROM rating_marks") == "0")
                #expect(try scalar(c, "SELECT count(*) FROM usage_days") == "0")
                #expect(try scalar(c, "SELECT count(*) FROM charges WHERE kind = 'usage'") == "0")
                #expect(try scalar(c, "SELECT count(*) FROM closes") == "0")
            }
            let r = try billing(url).close(at: t("2026-11-07T05:00:00Z"))
            #expect(r.legsRated == 200)
            #expect(r.usageCharges == 2)  // the legs run from Nov 5 into Nov 6 (local)
            #expect(try billing(url).close(at: t("2026-11-07T05:00:00Z")).legsRated == 0)
            // close ids differ only by sequence gaps; compare everything else
            results.append(try Self.snapshot(c).map { $0.replacingOccurrences(of: "|\(r.closeID!)|", with: "|C|") })
        }
        #expect(results[0].count > 200)
        #expect(results[1] == results[0])
        #expect(results[2] == results[0])
        // One usage charge each for Nov 5 and Nov 6, each with its ledger row.
        #expect(results[0].filter { $0.contains("|usage|") }.count == 4)
    }

    /// A leg replayed into the database after its day was closed is rated by the next
    /// close, on that close's line, exactly once.
    @Test func lateLegIsRatedByTheNextCloseOnce() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "late", plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z"))
        let first = try b.close(at: t("2026-11-04T05:00:00Z"))
        #expect(first.daysClosed == 3 && first.legsRated == 0)
        // Ended on Nov 2 (already closed), recorded only now.
        let leg = try insertLeg(c, account: "late", target: "tel:+14155550123", answered: t("2026-11-02T15:00:00Z"), ended: t("2026-11-02T15:00:10Z"))
        #expect(try b.close(at: t("2026-11-04T06:00:00Z")).legsRated == 0)  // same business day: nothing
        let second = try b.close(at: t("2026-11-05T05:00:00Z"))
        #expect(second.legsRated == 1)
        #expect(try scalar(c, "SELECT string_agg(close_id::text, ',') FROM rated_legs WHERE leg_id = $1", [leg.uuidString]) == String(second.closeID!))
        // pay-as-you-go +1 outbound: minimum 60 s, 3 ¢/min → 3 ¢ on Nov 4's line.
        #expect(try rows(c, "SELECT business_day::text, legs, amount FROM usage_days WHERE legs > 0") == [["2026-11-04", "1", "3"]])
        #expect(try scalar(c, "SELECT amount FROM usage_days WHERE business_day = '2026-11-02'") == "0")
        #expect(try b.close(at: t("2026-11-06T05:00:00Z")).legsRated == 0)
        #expect(try scalar(c, "SELECT count(*) FROM charges WHERE kind = 'usage'") == "1")
    }

    @Test func daylightSavingDaysAre23And25HoursLong() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "ny", plan: "pay-as-you-go", start: t("2026-03-07T05:00:00Z"))
        // 2026-03-08 (23 h): 00:00 EST = 05:00Z … 24:00 EDT = 2026-03-09T04:00Z
        for (a, e) in [("2026-03-08T05:00:00Z", "2026-03-08T05:01:00Z"), ("2026-03-09T03:58:00Z", "2026-03-09T03:59:59Z"),
                       ("2026-03-09T04:00:00Z", "2026-03-09T04:01:00Z")] {
            try insertLeg(c, account: "ny", target: "tel:+14155550123", answered: t(a), ended: t(e))
        }
        #expect(try b.close(at: t("2026-03-09T04:00:00Z")).legsRated == 2)
        var day = try rows(c, "SELECT legs, extract(epoch FROM day_end - day_start)::int FROM usage_days WHERE business_day = '2026-03-08'")
        #expect(day == [["2", String(23 * 3600)]])
        #expect(try b.close(at: t("2026-03-10T04:00:00Z")).legsRated == 1)

        try makeAccount(b, "ny2", plan: "pay-as-you-go", start: t("2026-10-31T04:00:00Z"))
        // 2026-11-01 (25 h): 00:00 EDT = 04:00Z … 24:00 EST = 2026-11-02T05:00Z; 01:30 happens twice.
        for (a, e) in [("2026-11-01T04:00:00Z", "2026-11-01T04:00:30Z"), ("2026-11-01T05:30:00Z", "2026-11-01T05:31:00Z"),
                       ("2026-11-01T06:30:00Z", "2026-11-01T06:31:00Z"), ("2026-11-02T04:59:00Z", "2026-11-02T04:59:59Z"),
                       ("2026-11-02T05:00:00Z", "2026-11-02T05:00:10Z")] {
            try insertLeg(c, account: "ny2", target: "tel:+14155550123", answered: t(a), ended: t(e))
        }
        let r = try b.close(at: t("2026-11-02T05:00:00Z"), account: "ny2")
        #expect(r.legsRated == 4)
        day = try rows(c, "SELECT legs, extract(epoch FROM day_end - day_start)::int, amount FROM usage_days WHERE account = 'ny2' AND business_day = '2026-11-01'")
        #expect(day == [["4", String(25 * 3600), "12"]])  // 4 legs × 60 s minimum × 3 ¢/min
        // One minute earlier the day had not ended: nothing of it was closed.
        #expect(try scalar(c, "SELECT count(*) FROM usage_days WHERE account = 'ny2' AND business_day > '2026-11-01'") == "0")
    }

    /// Two nodes' timers fire together: the advisory lock serialises them; the legs are
    /// rated once and each day charged once.
    @Test func concurrentClosesAreSerialised() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        for i in 0..<20 { try makeAccount(b, "acct\(i)", plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z")) }
        try c.execute("""
        INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, answered_at, ended_at)
        SELECT gen_random_uuid(), gen_random_uuid(), 'acct' || (g % 20), '+18005550100', 'outbound', 'tel:+14155550123',
               '2026-11-03T15:00:00Z'::timestamptz + g * interval '1 second',
               '2026-11-03T15:00:00Z'::timestamptz + g * interval '1 second' + (g % 300 + 1) * interval '1 second'
        FROM generate_series(1, 20000) g
        """)
        let reports = Reports()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { reports.add(try billing(url).close(at: t("2026-11-04T05:00:00Z"))) } catch { reports.fail("\(error)") }
        }
        #expect(reports.errors.isEmpty, "\(reports.errors)")
        #expect(reports.all.map(\.legsRated).reduce(0, +) == 20000)
        #expect(reports.all.filter { $0.legsRated > 0 }.count == 1)
        #expect(try scalar(c, "SELECT count(*) FROM charges WHERE kind = 'usage'") == "20")
        #expect(try scalar(c, "SELECT count(*) FROM usage_days") == "60")
        #expect(try scalar(c, "SELECT count(*) FROM call_legs l WHERE NOT EXISTS (SELECT 1 FROM rated_legs r WHERE r.leg_id = l.leg_id)") == "0")
        #expect(try scalar(c, "SELECT count(*) FROM leg_ratings") == "20000")
        // Day totals agree with the pure Swift rating of every leg.
        var expected: [String: Int64] = [:]
        for g in 1...20000 {
            let billed = Rating.billedSeconds(duration: g % 300 + 1, RatingIncrements(first: 60, next: 60, minimum: 60))
            expected["acct\(g % 20)", default: 0] += Rating.costMicros(seconds: billed, pricePerMinuteMicros: 3_000_000)
        }
        for (acct, micros) in expected {
            #expect(try scalar(c, "SELECT amount FROM usage_days WHERE account = $1 AND business_day = '2026-11-03'", [acct]) == String(Rating.minorUnits(micros: micros)))
        }
    }

    /// Longest prefix wins, and the plan is the one in force when the leg ended.
    @Test func ratesByLongestPrefixAndThePlanInForce() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try c.execute("INSERT INTO rates VALUES ('small-teams', 'outbound', '+4420', 9000000, 60, 60, 0, false)")
        try makeAccount(b, "mover", start: t("2026-03-01T05:00:00Z"))
        try b.setPlan(account: "mover", plan: "large-teams")
        #expect(try b.account("mover").plan == "small-teams")  // not before the renewal
        let uk = "tel:+442071234567", ukMobile = "tel:+447700900123"
        try insertLeg(c, account: "mover", target: uk, answered: t("2026-03-20T15:00:00Z"), ended: t("2026-03-20T15:01:01Z"))
        try insertLeg(c, account: "mover", target: ukMobile, answered: t("2026-03-20T16:00:00Z"), ended: t("2026-03-20T16:01:01Z"))
        try insertLeg(c, account: "mover", target: ukMobile, answered: t("2026-04-02T15:00:00Z"), ended: t("2026-04-02T15:01:01Z"))
        let r = try b.close(at: t("2026-04-03T04:00:00Z"))
        #expect(r.renewals == 1)
        #expect(try b.account("mover").plan == "large-teams")
        // Mar 20: +4420 at 9 ¢ (120 s) = 18 ¢, +44 at 5 ¢ (120 s) = 10 ¢. Apr 2 on large-teams:
        // +44 at 3.5 ¢/min, 30/6: 61 s → 66 s = 3.85 ¢ → 4 ¢.
        #expect(try rows(c, "SELECT business_day::text, amount FROM usage_days WHERE legs > 0 ORDER BY 1") == [["2026-03-20", "28"], ["2026-04-02", "4"]])
        #expect(try scalar(c, "SELECT amount FROM charges WHERE kind = 'access' AND term_number = 1") == "14500")
    }

    @Test func cardNumbersAndLedgerChangesAreRefusedByTheDatabase() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "cards", start: t("2026-11-01T04:00:00Z"), card: false)
        for token in ["4242424242424242", "tok 4242 4242 4242 4242", "x-5555-5555-5555-4444-y", "pm_99424242424242424299"] {
            do {
                try c.execute("INSERT INTO payment_methods (account, processor_token, brand, last4, exp_month, exp_year) VALUES ('cards', $1, 'visa', '4242', 1, 2030)", [token])
                Issue.record("accepted \(token)")
            } catch let e as PostgresError { #expect(e.sqlState == "23514", "\(token): \(e)") }
            #expect(throws: BillingError.self) {
                try b.setPaymentMethod(account: "cards", PaymentMethod(processorToken: token, brand: "visa", last4: "4242", expMonth: 1, expYear: 2030))
            }
        }
        try b.setPaymentMethod(account: "cards", PaymentMethod(processorToken: "pm_1NqXyZ2eZvKYlo2C", brand: "visa", last4: "4242", expMonth: 1, expYear: 2030))
        #expect(try scalar(c, "SELECT processor_token FROM payment_methods") == "pm_1NqXyZ2eZvKYlo2C")
        // The ledger is append-only.
        #expect(try scalar(c, "SELECT count(*) FROM ledger") == "1")
        for sql in ["UPDATE ledger SET amount = 0", "DELETE FROM ledger", "TRUNCATE ledger"] {
            do { try c.execute(sql); Issue.record("ledger allowed: \(sql)") } catch let e as PostgresError { #expect(e.sqlState == "42501", "\(sql)") }
        }
        #expect(try scalar(c, "SELECT amount FROM ledger") == "4500")
    }

    @Test func migrationsAreOrderedAndRerunHarmlessly() throws {
        let url = try DB.database()
        let c = try PostgresConnection(url)
        #expect(try Billing.migrate(c, logger: quietLogger) == [])
        #expect(BillingMigrations.all.map(\.version) == [100, 101, 102, 103])
        #expect(Billing.allMigrations.map(\.version) == Migrations.all.map(\.version) + [100, 101, 102, 103])
        #expect(try scalar(c, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations") == "1,2,3,100,101,102,103")
        #expect(try scalar(c, "SELECT string_agg(plan_id, ',' ORDER BY plan_id) FROM plans") == "large-teams,pay-as-you-go,small-teams")
    }
}

final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [CloseReport] = []
    private var failures: [String] = []
    func add(_ r: CloseReport) { lock.lock(); reports.append(r); lock.unlock() }
    func fail(_ s: String) { lock.lock(); failures.append(s); lock.unlock() }
    var all: [CloseReport] { lock.lock(); defer { lock.unlock() }; return reports }
    var errors: [String] { lock.lock(); defer { lock.unlock() }; return failures }
}
