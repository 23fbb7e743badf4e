import Billing
import Foundation
import LegStore
import ProcessTestKit
import Testing
import Postgres

/// How the close finds unrated legs since migrations 2 and 102: by `call_legs.end_seq`
/// and per-account marks, with ratings in `leg_ratings` (call_legs is no longer written).
/// Each test is a way a leg could be lost or rated twice.
@Suite(.postgres) struct EndSequenceTests {
    /// A database rated by the old marking column upgrades with `migrate`: legs the old
    /// close rated are never rated again, legs it had not rated are rated once, and an old
    /// close trying to mark legs is refused.
    @Test func upgradeKeepsOldRatingsAndRatesTheRestOnce() throws {
        let cluster = try #require(DB.cluster)
        let url = try cluster.createDatabase("upgrade")
        let c = try PostgresConnection(url)
        let before = Billing.allMigrations.filter { [1, 100, 101].contains($0.version) }
        #expect(try Migrator.migrate(c, migrations: before, logger: quietLogger) == [1, 100, 101])
        let b = try billing(url)
        try makeAccount(b, "old", plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z"))
        let base = t("2026-11-02T15:00:00Z")
        let ratedA = try insertLeg(c, account: "old", answered: base, ended: base.addingTimeInterval(30))
        let ratedB = try insertLeg(c, account: "old", answered: base, ended: base.addingTimeInterval(90))
        // What the old close left: its close, its marks on the legs, its lines for Nov 1–2.
        let oldClose = try scalar(c, "INSERT INTO closes (at, legs_rated, days_closed) VALUES ('2026-11-03T05:00:00Z', 2, 2) RETURNING close_id")!
        try c.execute("UPDATE call_legs SET rated_by_close = $1, rated_seconds = 60, rated_free_seconds = 0, rated_micros = 3000000 WHERE leg_id IN ($2, $3)",
                      [oldClose, ratedA.uuidString, ratedB.uuidString])
        for (day, legs, amount) in [("2026-11-01", "0", "0"), ("2026-11-02", "2", "6")] {
            try c.execute("""
            INSERT INTO usage_days (account, business_day, day_start, day_end, close_id, legs, billed_seconds, included_seconds,
                                    amount_micros, amount, currency)
            VALUES ('old', $1::date, $1::date + time '04:00', $1::date + time '04:00' + interval '1 day', $2, $3, 0, 0, 0, $4, 'USD')
            """, [day, oldClose, legs, amount])
        }
        // Not rated by the old close: a late leg of Nov 2 and a leg of Nov 3.
        let late = try insertLeg(c, account: "old", answered: base, ended: base.addingTimeInterval(10))
        let nov3 = try insertLeg(c, account: "old", answered: t("2026-11-03T15:00:00Z"), ended: t("2026-11-03T15:02:00Z"))

        #expect(try Billing.migrate(c, logger: quietLogger) == [2, 3, 102, 103])
        #expect(try scalar(c, "SELECT count(*) FROM call_legs WHERE end_seq IS NOT NULL AND rated_by_close IS NOT NULL") == "0")
        #expect(try scalar(c, "SELECT count(*) FROM call_legs WHERE end_seq IS NOT NULL AND leg_id IN ($1, $2)", [late.uuidString, nov3.uuidString]) == "2")
        // The leg writer replaying an old-rated leg does not make it look new.
        try c.execute("UPDATE call_legs SET ended_at = ended_at, end_reason = coalesce(end_reason, 'completed') WHERE leg_id = $1", [ratedA.uuidString])
        #expect(try scalar(c, "SELECT end_seq FROM call_legs WHERE leg_id = $1", [ratedA.uuidString]) == nil)
        // A node still running the old close cannot mark (and so re-rate) legs.
        do {
            try c.execute("UPDATE call_legs SET rated_by_close = $1 WHERE leg_id = $2", [oldClose, late.uuidString])
            Issue.record("marking call_legs was accepted")
        } catch let e as PostgresError { #expect(e.sqlState == "55000") }

        let r = try b.close(at: t("2026-11-04T05:00:00Z"))
        #expect(r.legsRated == 2 && r.daysClosed == 1)
        // Nov 3's line: the late leg (10 s) and Nov 3's (120 s), 60 s minimum, 3 ¢/min.
        #expect(try rows(c, "SELECT business_day::text, legs, billed_seconds, amount FROM usage_days WHERE close_id = $1", [String(r.closeID!)])
                == [["2026-11-03", "2", "180", "9"]])
        #expect(try rows(c, "SELECT count(*), count(DISTINCT leg_id) FROM rated_legs") == [["4", "4"]])
        #expect(try scalar(c, "SELECT string_agg(close_id::text, ',') FROM rated_legs WHERE leg_id = $1", [ratedA.uuidString]) == oldClose)
        #expect(try b.close(at: t("2026-11-05T05:00:00Z")).legsRated == 0)
    }

    /// End numbers are handed out before their transaction commits: a leg numbered 1 may
    /// commit after a leg numbered 2. The close waits for writes in flight, so the leg
    /// committed last is still rated (once), not left below the account's floor forever.
    @Test func closeWaitsForLegWritesInFlight() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "acme", plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z"))
        let writer = try PostgresConnection(url)
        try writer.execute("BEGIN")
        let first = try insertLeg(writer, account: "acme", answered: t("2026-11-02T15:00:00Z"), ended: t("2026-11-02T15:01:00Z"))
        let second = try insertLeg(c, account: "acme", answered: t("2026-11-02T16:00:00Z"), ended: t("2026-11-02T16:01:00Z"))
        #expect(try Int(scalar(writer, "SELECT end_seq FROM call_legs WHERE leg_id = $1", [first.uuidString])!)!
                < Int(scalar(c, "SELECT end_seq FROM call_legs WHERE leg_id = $1", [second.uuidString])!)!)

        let done = DispatchSemaphore(value: 0)
        let reports = Reports()
        Thread.detachNewThread {
            do { reports.add(try billing(url).close(at: t("2026-11-03T05:00:00Z"))) } catch { reports.fail("\(error)") }
            done.signal()
        }
        // The close queues for the end-sequence lock behind the open writer transaction.
        var waiting = false
        for _ in 0..<600 where !waiting {
            waiting = try scalar(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == "1"
            if !waiting { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(waiting)
        #expect(try scalar(c, "SELECT count(*) FROM closes") == "0")
        try writer.execute("COMMIT")
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(reports.errors.isEmpty, "\(reports.errors)")
        #expect(reports.all.map(\.legsRated) == [2])
        #expect(try rows(c, "SELECT count(*), count(DISTINCT leg_id) FROM rated_legs") == [["2", "2"]])
        #expect(try b.close(at: t("2026-11-04T05:00:00Z")).legsRated == 0)
    }

    /// Legs a close leaves unrated — another account's (a one-account close), a day not
    /// over, a leg with no rate, a late leg of a closed day — are each rated once later.
    @Test func legsLeftUnratedAreRatedOnceByALaterClose() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try c.execute("INSERT INTO plans VALUES ('uk-only', 'UK only', 'USD', false, 0, 0, 0, 0)")
        try c.execute("INSERT INTO rates VALUES ('uk-only', 'outbound', '+44', 6000000, 60, 60, 0, false)")
        for name in ["a", "b"] { try makeAccount(b, name, plan: "pay-as-you-go", start: t("2026-11-01T04:00:00Z")) }
        try makeAccount(b, "c", plan: "uk-only", start: t("2026-11-01T04:00:00Z"))
        let nov2 = t("2026-11-02T15:00:00Z")
        try insertLeg(c, account: "a", answered: nov2, ended: nov2.addingTimeInterval(60))
        try insertLeg(c, account: "b", answered: nov2, ended: nov2.addingTimeInterval(60))
        let noRate = try insertLeg(c, account: "c", target: "tel:+14155550123", answered: nov2, ended: nov2.addingTimeInterval(60))
        try insertLeg(c, account: "c", target: "tel:+442071234567", answered: nov2, ended: nov2.addingTimeInterval(60))
        let nov3 = try insertLeg(c, account: "b", answered: t("2026-11-03T15:00:00Z"), ended: t("2026-11-03T15:01:00Z"))

        #expect(try b.close(at: t("2026-11-03T05:00:00Z"), account: "a").legsRated == 1)
        let late = try insertLeg(c, account: "a", answered: t("2026-11-01T15:00:00Z"), ended: t("2026-11-01T15:01:00Z"))
        // b's Nov 2 leg and c's +44 leg; b's Nov 3 leg (day not over), c's +1 leg (no rate)
        // and a's late leg (a has nothing left to close today) wait.
        #expect(try b.close(at: t("2026-11-03T05:00:00Z")).legsRated == 2)
        #expect(try scalar(c, "SELECT count(*) FROM rated_legs WHERE leg_id IN ($1, $2, $3)", [noRate.uuidString, nov3.uuidString, late.uuidString]) == "0")
        try c.execute("INSERT INTO rates VALUES ('uk-only', 'outbound', '', 9000000, 60, 60, 0, false)")
        // The next day: b's Nov 3 leg, c's leg now that it has a rate, a's late leg.
        #expect(try b.close(at: t("2026-11-04T05:00:00Z")).legsRated == 3)
        #expect(try b.close(at: t("2026-11-05T05:00:00Z")).legsRated == 0)
        #expect(try rows(c, "SELECT count(*), count(DISTINCT leg_id) FROM rated_legs") == [["6", "6"]])
        #expect(try scalar(c, "SELECT count(*) FROM call_legs") == "6")
        // a's late leg is on a's Nov 3 line; c's +1 leg (9 ¢/min) on c's Nov 3 line.
        #expect(try rows(c, "SELECT account, legs, amount FROM usage_days WHERE business_day = '2026-11-03' ORDER BY 1")
                == [["a", "1", "3"], ["b", "1", "3"], ["c", "1", "9"]])
    }
}
