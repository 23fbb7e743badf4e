import CallLegs
import Foundation
import Testing
@testable import LegStore
import ProcessTestKit

/// PostgreSQL goes away while calls keep producing events. Its own cluster, since it stops it.
@Suite struct LegOutageTests {
    /// 3,000 legs (≈11,000 events) appended while the server is killed, kept down, and
    /// restarted: appends never stall, the writer notices, and afterwards every leg is
    /// there exactly once with its final state.
    @Test func databaseOutageDelaysButLosesAndDoublesNothing() throws {
        let cluster = try PostgresCluster()
        defer { cluster.destroy() }
        let url = try cluster.createDatabase()
        try Migrator.migrate(connectionString: url, logger: quietLogger)
        let dir = TempDirectory()
        defer { dir.remove() }
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 200), logger: quietLogger)
        writer.start()
        defer { writer.stop() }

        let legs = (0..<3000).map { SampleLeg($0) }
        let events = interleaved(legs)
        let third = events.count / 3
        var slowestAppend = 0.0
        func append(_ slice: ArraySlice<LegEvent>) {
            for (i, e) in slice.enumerated() {
                let t = DispatchTime.now().uptimeNanoseconds
                #expect(journal.append(e) != nil)
                slowestAppend = max(slowestAppend, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
                if i % 500 == 499 { usleep(2_000) }  // calls arrive over time, not all at once
            }
        }
        append(events[..<third])
        cluster.kill()  // crash-like: open transactions are lost
        append(events[third..<2 * third])
        // The writer must have noticed, and nothing after the kill can be committed.
        var polls = 0
        while writer.metrics.failures == 0, polls < 500 { usleep(10_000); polls += 1 }
        #expect(writer.metrics.failures > 0)
        #expect(!writer.metrics.connected)
        #expect(journal.metrics.lag > 0)
        usleep(300_000)  // stay down across a few reconnect attempts
        try cluster.start()
        append(events[(2 * third)...])
        // A blocking append would take the whole outage (≥ 0.3 s + restart); the margin
        // is for preemption on a loaded 2-core CI machine (92 ms seen at load 9).
        #expect(slowestAppend < 0.25, "append must not wait for the database")

        #expect(writer.waitUntilCaughtUp(timeout: 90), "lag \(writer.metrics.lag), last error \(writer.metrics.lastError ?? "-")")
        #expect(try scalar(url, "SELECT count(*) FROM call_legs") == String(legs.count))
        #expect(try scalar(url, "SELECT count(DISTINCT leg_id) FROM call_legs") == String(legs.count))
        #expect(try scalar(url, "SELECT count(*) FROM call_legs WHERE ended_at IS NULL OR billable_seconds IS NULL") == "0")
        #expect(try scalar(url, "SELECT sum(billable_seconds) FROM call_legs") == String(legs.reduce(0) { $0 + $1.billable }))
        let rows = try fetchLegs(url)
        for l in legs { expectRow(rows[l.leg], l) }
        #expect(writer.metrics.lag == 0)
        #expect(journal.metrics.ioErrors == 0)
    }
}
