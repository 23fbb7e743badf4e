import Billing
import Foundation
import LegStore
import SIPTestKit
import Testing
import Postgres

/// The close gives one answer: the same legs rate to the same lines whether the close ran
/// every day, every 15 minutes or once after a week (issue 14, item 2), and URI schemes
/// are compared case-insensitively (item 1).
@Suite(.postgres) struct CloseScheduleTests {
    /// Everything the close decides, without what depends on when it ran (close ids, the
    /// ledger's `at`, charges' created_at) or on the load (legs by what they are, not by
    /// their random ids): equal for any two schedules.
    static func outcome(_ c: PostgresConnection) throws -> [String] {
        func text(_ sql: String) throws -> [String] {
            try rows(c, sql).map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
        }
        return try text("""
            SELECT account, business_day, day_start, day_end, legs, billed_seconds, included_seconds, included_used_seconds,
                   amount_micros, amount, charge_id FROM usage_days ORDER BY 1, 2
            """)
            + text("SELECT charge_id, account, kind, amount, description FROM charges ORDER BY 1")
            + text("SELECT account, kind, amount, charge_id, description FROM ledger ORDER BY charge_id, kind, amount")
            + text("""
            SELECT l.account, l.direction, l.target, l.answered_at, l.ended_at, r.business_day, r.rated_seconds, r.free_seconds, r.micros
            FROM call_legs l LEFT JOIN leg_ratings r ON r.end_seq = l.end_seq ORDER BY 1, 5, 4, 3
            """)
            + text("SELECT a.name, a.status, s.plan_id, s.term_number FROM accounts a JOIN subscriptions s ON s.account = a.name ORDER BY 1")
    }

    /// RFC 3261 §19.1.4: schemes are case-insensitive. `SIP:+44…` is a +44 call, not a leg
    /// without an E.164 destination (the `''` rate, twice the price).
    @Test func uppercaseSchemesAreRatedByTheirDestination() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "caps", start: t("2026-11-01T04:00:00Z"))
        let base = t("2026-11-10T15:00:00Z")
        var legs: [String: UUID] = [:]
        for target in ["sip:+442071234567@trunk.example", "SIP:+442071234567@trunk.example", "Sip:+442071234567@trunk.example;user=phone",
                       "SIPS:+442071234567@trunk.example", "TEL:+442071234567", "Tel:+442071234567"] {
            legs[target] = try insertLeg(c, account: "caps", target: target, answered: base, ended: base.addingTimeInterval(60))
        }
        // +1 outbound is `included`: free under the 500 minutes, whatever the case.
        let us = try insertLeg(c, account: "caps", target: "SIP:+14155550123@trunk.example", answered: base, ended: base.addingTimeInterval(60))
        #expect(try b.close(at: t("2026-11-11T05:00:00Z")).legsRated == 7)
        for (target, id) in legs {
            // 60 s at the +44 rate, 5 ¢/min (not the '' rate, 10 ¢/min)
            #expect(try scalar(c, "SELECT micros FROM rated_legs WHERE leg_id = $1", [id.uuidString]) == "5000000", "\(target)")
        }
        #expect(try scalar(c, "SELECT free_seconds || '/' || micros FROM rated_legs WHERE leg_id = $1", [us.uuidString]) == "60/0")
    }

    /// A plan change takes effect at the renewal: a close that runs after it must still give
    /// the days before it the old plan's allowance (500 minutes, not 5,000).
    @Test func includedMinutesComeFromThePlanInForceOnEachDay() throws {
        var outcomes: [[String]] = []
        for schedule in ["daily", "catch-up"] {
            let url = try DB.database()
            let b = try billing(url)
            let c = try PostgresConnection(url)
            // Monthly from Nov 15 00:00 New York; large-teams from the Dec 15 renewal.
            try makeAccount(b, "grow", start: t("2026-11-15T05:00:00Z"))
            try b.setPlan(account: "grow", plan: "large-teams")
            var ids: [UUID] = []
            for day in 1...12 {  // 12 × 50 min to +1 (included), Dec 1 … Dec 12
                let start = t("2026-12-\(String(format: "%02d", day))T15:00:00Z")
                ids.append(try insertLeg(c, account: "grow", target: "tel:+14155550123", answered: start, ended: start.addingTimeInterval(3000)))
            }
            let last = t("2026-12-20T05:00:00Z")
            if schedule == "daily" {
                var at = t("2026-11-16T05:00:00Z")
                while at <= last { try b.close(at: at); at = at.addingTimeInterval(86400) }
            } else {
                try b.close(at: last)
            }
            #expect(try b.account("grow").plan == "large-teams")
            // 600 minutes on small-teams: 500 free, 100 at 2 ¢/min = $2.00 on Dec 11 and 12.
            #expect(try scalar(c, "SELECT sum(included_seconds) FROM usage_days WHERE business_day BETWEEN '2026-12-01' AND '2026-12-12'") == "30000", "\(schedule)")
            #expect(try scalar(c, "SELECT sum(amount) FROM usage_days WHERE account = 'grow'") == "200", "\(schedule)")
            #expect(try scalar(c, "SELECT amount FROM usage_days WHERE business_day = '2026-12-11'") == "100", "\(schedule)")
            outcomes.append(try Self.outcome(c))
        }
        #expect(outcomes[0].count == outcomes[1].count)
        #expect(outcomes[0] == outcomes[1])
    }

    /// A late leg goes on the next close's first line and draws on that line's month.
    @Test func lateLegUsesTheAllowanceOfTheLineItIsOn() throws {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        try makeAccount(b, "late", start: t("2026-10-01T04:00:00Z"))
        let oct30 = t("2026-10-30T15:00:00Z")
        try insertLeg(c, account: "late", target: "tel:+14155550123", answered: oct30, ended: oct30.addingTimeInterval(600 * 60))
        try b.close(at: t("2026-11-02T05:00:00Z"))  // Oct … Nov 1 closed; October's 500 minutes used up
        let oct31 = t("2026-10-31T15:00:00Z")
        let late = try insertLeg(c, account: "late", target: "tel:+14155550123", answered: oct31, ended: oct31.addingTimeInterval(120))
        try b.close(at: t("2026-11-03T05:00:00Z"))
        #expect(try scalar(c, "SELECT r.business_day::text || ' ' || r.rated_seconds || '/' || r.free_seconds FROM leg_ratings r JOIN call_legs l USING (end_seq) WHERE l.leg_id = $1",
                           [late.uuidString]) == "2026-11-02 120/120")
        #expect(try scalar(c, "SELECT included_used_seconds FROM usage_days WHERE business_day = '2026-11-02'") == "120")
    }

    /// A catch-up close after a cancelled account's access ended writes the same lines as
    /// daily closes: one per business day of access, each with its own bounds and month,
    /// never one line dated after access ended.
    @Test func catchUpCloseAfterAccessEndedWritesOneLinePerDay() throws {
        var outcomes: [[String]] = []
        for schedule in ["daily", "catch-up"] {
            let url = try DB.database()
            let b = try billing(url)
            let c = try PostgresConnection(url)
            try makeAccount(b, "gone", start: t("2026-10-01T04:00:00Z"))  // terms end on the 1st, 00:00 New York
            // Cancelled on Oct 20: access lasts to Nov 1 00:00 EDT (04:00Z).
            #expect(try b.cancel(account: "gone", at: t("2026-10-20T12:00:00Z")) == t("2026-11-01T04:00:00Z"))
            for (day, minutes) in [(29, 300), (30, 300), (31, 10)] {
                let start = t("2026-10-\(day)T15:00:00Z")
                try insertLeg(c, account: "gone", target: "tel:+14155550123", answered: start, ended: start.addingTimeInterval(Double(minutes * 60)))
                try insertLeg(c, account: "gone", target: "tel:+442071234567", answered: start, ended: start.addingTimeInterval(60))
            }
            if schedule == "daily" {
                var at = t("2026-10-02T05:00:00Z")
                while at <= t("2026-11-08T05:00:00Z") { try b.close(at: at); at = at.addingTimeInterval(86400) }
            } else {
                try b.close(at: t("2026-11-08T05:00:00Z"))
            }
            #expect(try b.account("gone").status == "ended")
            let lines = try rows(c, "SELECT business_day::text, legs, included_seconds, amount FROM usage_days WHERE legs > 0 ORDER BY 1")
            #expect(lines == [["2026-10-29", "2", "18000", "5"], ["2026-10-30", "2", "12000", "205"], ["2026-10-31", "2", "0", "25"]], "\(schedule)")
            #expect(try scalar(c, "SELECT max(business_day)::text FROM usage_days") == "2026-10-31", "\(schedule)")
            #expect(try scalar(c, "SELECT count(*) FROM usage_days") == "31", "\(schedule)")
            outcomes.append(try Self.outcome(c))
        }
        #expect(outcomes[0] == outcomes[1])
    }
}

/// Property: random accounts (timezones, cut-offs skipped or repeated by DST, plans, plan
/// changes at renewals, cancellations whose access ends in the window) and random legs,
/// closed on three schedules from the same start — daily, every 15 minutes, one catch-up —
/// give the same lines, ratings, charges and ledger entries. Two windows: the autumn one
/// holds the US fall-back (Nov 1 2026: 01:30 happens twice), the spring one the US
/// spring-forward (Mar 14 2027: 02:30 never happens, so that day's cut-off is 03:30).
@Suite(.postgres) struct CloseSchedulePropertyTests {
    struct Window: Sendable, CustomStringConvertible {
        let name: String
        let start: Date, end: Date, finish: Date
        /// Accounts start within 5 days of this, so their terms renew inside the window.
        let accountsFrom: Date
        let cancelAt: Date
        /// Where the special legs sit: on a cut-off of this day (cancelled accounts: `cancelledCutDay`).
        let cutDay: LocalDate, cancelledCutDay: LocalDate
        var description: String { name }

        static let fall = Window(name: "fall", start: t("2026-10-29T00:00:00Z"), end: t("2026-11-06T12:00:00Z"),
                                 finish: t("2026-11-08T12:00:00Z"), accountsFrom: t("2026-10-01T00:00:00Z"),
                                 cancelAt: t("2026-10-20T12:00:00Z"),
                                 cutDay: LocalDate(year: 2026, month: 11, day: 3), cancelledCutDay: LocalDate(year: 2026, month: 10, day: 30))
        /// The special legs sit on Mar 14's cut-off: skipped by DST for 02:30 in US zones.
        static let spring = Window(name: "spring", start: t("2027-03-06T00:00:00Z"), end: t("2027-03-16T12:00:00Z"),
                                   finish: t("2027-03-18T12:00:00Z"), accountsFrom: t("2027-02-09T00:00:00Z"),
                                   cancelAt: t("2027-02-25T12:00:00Z"),
                                   cutDay: LocalDate(year: 2027, month: 3, day: 14), cancelledCutDay: LocalDate(year: 2027, month: 3, day: 7))
    }

    struct Scenario {
        var accounts: [(name: String, tz: String, cutoff: String, plan: String, start: Date, nextPlan: String?, cancelAt: Date?)] = []
        var legs: [(account: String, direction: String, target: String, answered: Date?, ended: Date)] = []
    }

    static func scenario(seed: UInt64, window w: Window) -> Scenario {
        let windowStart = w.start, windowEnd = w.end
        var rng = SplitMix64(seed: seed)
        var s = Scenario()
        let zones = ["America/New_York", "America/Los_Angeles", "Europe/London", "UTC", "Asia/Kolkata"]
        // 01:30 happens twice on Nov 1 2026 in the US; 02:30 not at all on Mar 14 2027.
        let cutoffs = ["00:00", "06:00", "01:30", "02:30", "23:00"]
        let plans = ["small-teams", "large-teams", "pay-as-you-go", "odd"]
        let targets = ["tel:+14155550123", "sip:+442071234567@trunk.example;user=phone", "SIP:+14155550123@trunk.example",
                       "sip:bob@pbx.example", "TEL:+442071234567", "sips:+18005550100@trunk.example"]
        for i in 0..<6 {
            let plan = plans[Int.random(in: 0..<plans.count, using: &rng)]
            // terms renew between Nov 1 and Nov 6, inside the window
            let start = w.accountsFrom.addingTimeInterval(Double(Int.random(in: 0..<(5 * 86400), using: &rng)))
            let next: String? = Bool.random(using: &rng) ? plans[Int.random(in: 0..<plans.count, using: &rng)] : nil
            let cancel: Date? = i % 3 == 2 ? w.cancelAt : nil
            s.accounts.append(("acct\(i)", zones[Int.random(in: 0..<zones.count, using: &rng)],
                               cutoffs[Int.random(in: 0..<cutoffs.count, using: &rng)], plan, start, next, cancel))
        }
        // One account always sits on the DST edge: a cut-off repeated (fall) or skipped (spring).
        s.accounts[0].tz = "America/New_York"
        s.accounts[0].cutoff = w.name == "fall" ? "01:30" : "02:30"
        for a in s.accounts {
            // access of a cancelled account ends at its first term's end (a month after the start)
            let accessEnd = a.cancelAt.map { _ in Calendar(identifier: .gregorian).date(byAdding: .month, value: 1, to: a.start)! }
            let last = min(windowEnd, accessEnd ?? windowEnd).timeIntervalSince(windowStart)
            for _ in 0..<350 {
                let ended = windowStart.addingTimeInterval(Double.random(in: 3600..<last, using: &rng).rounded(.down) + Double(Int.random(in: 0..<1000, using: &rng)) / 1000)
                let length = Double(Int.random(in: 0...2400_000, using: &rng)) / 1000
                let answered: Date? = Int.random(in: 0..<8, using: &rng) == 0 ? nil : ended.addingTimeInterval(-length)
                let inbound = Int.random(in: 0..<4, using: &rng) == 0
                s.legs.append((a.name, inbound ? "inbound" : "outbound", inbound ? "sip:sb@us" : targets[Int.random(in: 0..<targets.count, using: &rng)],
                               answered, ended))
            }
        }
        return s
    }

    static func load(_ s: Scenario, window w: Window) throws -> (Billing, PostgresConnection) {
        let url = try DB.database()
        let b = try billing(url)
        let c = try PostgresConnection(url)
        // Odd prices and increments: sub-cent prices that round, 7/13 s steps, a minimum.
        try c.execute("INSERT INTO plans VALUES ('odd', 'Odd', 'USD', true, 1234, 12340, 37, 77)")
        try c.execute("""
        INSERT INTO rates VALUES ('odd', 'outbound', '', 1333333, 7, 13, 45, true), ('odd', 'outbound', '+44', 999999, 1, 1, 0, false),
                                 ('odd', 'outbound', '+1', 2500001, 30, 7, 0, true), ('odd', 'inbound', '', 777777, 13, 13, 0, true)
        """)
        for a in s.accounts {
            // the start is local midnight-ish wherever: anchor in the account's own timezone
            try makeAccount(b, a.name, plan: a.plan, tz: a.tz, cutoff: a.cutoff, start: a.start)
            if let p = a.nextPlan { try b.setPlan(account: a.name, plan: p) }
            if let at = a.cancelAt { try b.cancel(account: a.name, at: at) }
        }
        for l in s.legs {
            try insertLeg(c, account: l.account, direction: l.direction, target: l.target, answered: l.answered, ended: l.ended)
        }
        // The cases docs/billing.md decides: a leg ending exactly on a cut-off (the day that
        // starts there), on a renewal (the new term's plan), and an answered leg of 0 s
        // (nothing, even under a minimum).
        for a in s.accounts {
            let cal = try #require(BusinessCalendar(timeZone: a.tz, cutoff: a.cutoff))
            let cut = cal.start(of: a.cancelAt == nil ? w.cutDay : w.cancelledCutDay)
            try insertLeg(c, account: a.name, target: "tel:+14155550123", answered: cut.addingTimeInterval(-61.5), ended: cut)
            try insertLeg(c, account: a.name, target: "tel:+14155550123", answered: cut.addingTimeInterval(-3600), ended: cut.addingTimeInterval(-3600))
            if a.cancelAt == nil {
                let end = try b.account(a.name).termEnd
                try insertLeg(c, account: a.name, target: "tel:+442071234567", answered: end.addingTimeInterval(-45), ended: end)
            }
        }
        try b.close(at: w.start)  // the common past
        return (b, c)
    }

    @Test(arguments: zip([UInt64(0x5C4E_D01E), 0xC105_E001, 0x0DD_CA5E, 0x5_9F1A6, 0xF0_4A4D],
                         [Window.fall, .fall, .fall, .spring, .spring]))
    func everyScheduleGivesTheSameBill(seed: UInt64, window w: Window) throws {
        let s = Self.scenario(seed: seed, window: w)
        var results: [String: [String]] = [:]
        for schedule in ["daily", "15 min", "catch-up"] {
            let (b, c) = try Self.load(s, window: w)
            switch schedule {
            case "daily":
                var at = w.start.addingTimeInterval(5 * 3600 + 17 * 60)
                while at < w.finish { try b.close(at: at); at = at.addingTimeInterval(86400) }
            case "15 min":
                var at = w.start.addingTimeInterval(900)
                while at < w.finish { try b.close(at: at); at = at.addingTimeInterval(900) }
            default:
                break
            }
            try b.close(at: w.finish)
            results[schedule] = try CloseScheduleTests.outcome(c)
            #expect(try scalar(c, "SELECT count(*) FROM leg_ratings") == scalar(c, "SELECT count(*) FROM call_legs"), "\(schedule): every leg rated")
            // … and what docs/billing.md says they must be, recomputed independently.
            let model = try IndependentCloseModel(c, at: w.finish)
            #expect(model.legs.count >= s.legs.count)
            let diff = try model.differences(c)
            #expect(diff.isEmpty, "\(schedule), \(w), seed \(seed): \(diff.joined(separator: "; "))")
        }
        let daily = try #require(results["daily"])
        #expect(daily.count > 6 * 30)
        for other in ["15 min", "catch-up"] {
            let got = try #require(results[other])
            let diff = Set(daily).symmetricDifference(got)
            #expect(diff.isEmpty, "\(other) differs from daily: \(diff.sorted().prefix(6))")
        }
    }
}
