import Billing
import Foundation
import LegStore
import SIPTestKit
import Testing
import Postgres

/// The close's SQL rating against the pure Swift rating, leg by leg, for random rates,
/// increments, minimums and durations (seeded).
@Suite(.postgres) struct RatingSQLTests {
    @Test func sqlRatingEqualsSwiftRatingForRandomLegs() throws {
        let url = try DB.database()
        let c = try PostgresConnection(url)
        var rng = SplitMix64(seed: 0xB111_1A6E)
        try c.execute("INSERT INTO plans VALUES ('prop', 'Property', 'USD', false, 0, 0, 0, 0)")
        var rates: [String: (RatingIncrements, Int64)] = [:]
        for d in 0...9 {
            let inc = RatingIncrements(first: Int.random(in: 1...90, using: &rng), next: Int.random(in: 1...90, using: &rng),
                                       minimum: Int.random(in: 0...120, using: &rng))
            let price = Int64.random(in: 0...25_000_000, using: &rng)
            rates["+1\(d)"] = (inc, price)
            try c.execute("INSERT INTO rates VALUES ('prop', 'outbound', $1, $2, $3, $4, $5, false)",
                          ["+1\(d)", String(price), String(inc.first), String(inc.next), String(inc.minimum)])
        }
        try c.execute("INSERT INTO rates VALUES ('prop', 'outbound', '', 1000000, 60, 60, 0, false)")
        try makeAccount(try billing(url), "prop", plan: "prop", tz: "UTC", start: t("2026-11-01T00:00:00Z"))

        struct Leg { var id: UUID; var prefix: String?; var answered: Int64?; var ended: Int64 }
        var legs: [Leg] = []
        let base: Int64 = 1_793_620_800_000_000  // 2026-11-02T12:00:00Z in µs
        for i in 0..<3000 {
            let prefix: String? = i % 15 == 0 ? nil : "+1\(Int.random(in: 0...9, using: &rng))"
            let answered: Int64? = i % 7 == 0 ? nil : base + Int64(i) * 1000
            let ended = (answered ?? base) + Int64.random(in: 0...7_200_000_000, using: &rng)
            legs.append(Leg(id: UUID(), prefix: prefix, answered: answered, ended: ended))
        }
        for chunk in stride(from: 0, to: legs.count, by: 500) {
            let part = legs[chunk..<min(chunk + 500, legs.count)]
            let values = part.map { l in
                let target = l.prefix.map { "tel:\($0)5550123" } ?? "sip:agent@pbx.example"
                let ans = l.answered.map { "to_timestamp(\($0)::numeric / 1000000)" } ?? "NULL"
                return "('\(l.id.uuidString)', gen_random_uuid(), 'prop', '+18005550100', 'outbound', '\(target)', \(ans), to_timestamp(\(l.ended)::numeric / 1000000))"
            }.joined(separator: ",")
            try c.execute("INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, answered_at, ended_at) VALUES \(values)")
        }
        let r = try billing(url).close(at: t("2026-11-03T06:00:00Z"))
        #expect(r.legsRated == legs.count)
        var got: [UUID: (Int, Int64)] = [:]
        for row in try rows(c, "SELECT leg_id, rated_seconds, micros FROM rated_legs") {
            got[UUID(uuidString: row[0]!)!] = (Int(row[1]!)!, Int64(row[2]!)!)
        }
        var mismatches = 0, dayMicros: [String: Int64] = [:]
        for l in legs {
            let (inc, price) = l.prefix.map { rates[$0]! } ?? (RatingIncrements(first: 60, next: 60), 1_000_000)
            let billed = Rating.billedSeconds(duration: Rating.durationSeconds(answeredMicros: l.answered, endedMicros: l.ended), inc)
            let cost = Rating.costMicros(seconds: billed, pricePerMinuteMicros: price)
            if got[l.id]?.0 != billed || got[l.id]?.1 != cost {
                mismatches += 1
                if mismatches <= 5 { Issue.record("leg \(l): SQL \(String(describing: got[l.id])) Swift (\(billed), \(cost))") }
            }
            let day = l.ended < 1_793_664_000_000_000 ? "2026-11-02" : "2026-11-03"  // 2026-11-03T00:00Z
            dayMicros[day, default: 0] += cost
        }
        #expect(mismatches == 0)
        for (day, micros) in dayMicros where day == "2026-11-02" {
            #expect(try scalar(c, "SELECT amount FROM usage_days WHERE business_day = $1::date", [day]) == String(Rating.minorUnits(micros: micros)))
        }
    }
}
