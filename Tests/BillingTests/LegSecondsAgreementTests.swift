import CallLegs
import Billing
import Foundation
import LegStore
import SIPTestKit
import Testing
import Postgres

/// Issue 14 item 3: the seconds a leg export shows (`call_legs.billable_seconds`, written by
/// the leg writer) and the seconds the close rates follow one rule, a started second
/// counting as one, so an export and a bill never disagree.
@Suite(.postgres) struct LegSecondsAgreementTests {
    @Test func billableSecondsEqualTheClosesRatedDurationForEveryLeg() throws {
        let url = try DB.database()
        let c = try PostgresConnection(url)
        // Per-second billing with no minimum: the rated seconds are the duration itself.
        try c.execute("INSERT INTO plans VALUES ('prop', 'Property', 'USD', false, 0, 0, 0, 0)")
        try c.execute("INSERT INTO rates VALUES ('prop', 'outbound', '', 600000, 1, 1, 0, false)")
        try makeAccount(try billing(url), "prop", plan: "prop", tz: "UTC", start: t("2026-11-01T00:00:00Z"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("leg-seconds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try LegJournal(configuration: .init(directory: dir), logger: quietLogger)
        defer { journal.close() }
        var config = LegWriter.Configuration(connectionString: url)
        config.runMigrations = false
        config.nodeID = "node-a"
        let writer = LegWriter(journal: journal, configuration: config, logger: quietLogger)
        writer.start()
        defer { writer.stop() }

        var rng = SplitMix64(seed: 0x5EC0_4D5)
        let base: Int64 = 1_793_620_800_000_000  // 2026-11-02T12:00:00Z in µs
        var expected: [UUID: Int] = [:]
        for i in 0..<300 {
            let leg = UUID(), call = UUID()
            let created = base + Int64(i) * 10_000_000
            let answered = created + 2_000_000
            // Whole seconds, fractions of every size, and exactly 0 or 1 µs over.
            let micros: Int64 = switch i % 4 {
            case 0: Int64.random(in: 1...600, using: &rng) * 1_000_000
            case 1: Int64.random(in: 0...600_000_000, using: &rng)
            case 2: Int64.random(in: 1...600, using: &rng) * 1_000_000 + 1
            default: Int64.random(in: 1...999_999, using: &rng)
            }
            let origin = LegEvent.Origin(account: "prop", trackingNumber: "+18005550100", source: "s", direction: .outbound,
                                         target: "tel:+14155550123", sipCallID: "leg\(i)@sw")
            journal.append(LegEvent(legID: leg, callID: call, microseconds: created, .created(origin)))
            journal.append(LegEvent(legID: leg, callID: call, microseconds: answered, .answered))
            journal.append(LegEvent(legID: leg, callID: call, microseconds: answered + micros, .ended(status: 200, reason: .completed)))
            expected[leg] = Rating.durationSeconds(answeredMicros: answered, endedMicros: answered + micros)
        }
        #expect(writer.waitUntilCaughtUp())
        let r = try billing(url).close(at: t("2026-11-04T06:00:00Z"))
        #expect(r.legsRated == expected.count)
        var checked = 0
        for row in try rows(c, "SELECT l.leg_id, l.billable_seconds, r.rated_seconds FROM call_legs l JOIN rated_legs r USING (leg_id)") {
            let id = try #require(UUID(uuidString: row[0]!))
            #expect(row[1] == row[2], "leg \(id): export \(row[1] ?? "nil") s, bill \(row[2] ?? "nil") s")
            #expect(row[1] == expected[id].map(String.init), "leg \(id)")
            checked += 1
        }
        #expect(checked == expected.count)
    }
}
