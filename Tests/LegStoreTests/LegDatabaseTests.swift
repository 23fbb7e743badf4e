import CallLegs
import Foundation
import Testing
@testable import LegStore
import SIPTestKit
import Postgres

/// Everything that needs PostgreSQL, against one real cluster for the suite; each test
/// has its own database.
@Suite(.postgres) struct LegDatabaseTests {
    @Test func migrationsCreateTheSchemaOnceAndRerunHarmlessly() throws {
        let cluster = try #require(PG.cluster)
        let url = try cluster.createDatabase()
        let conn = try PostgresConnection(url)
        #expect(try Migrator.migrate(conn, logger: quietLogger) == Migrations.all.map(\.version))
        #expect(try Migrator.migrate(conn, logger: quietLogger) == [])
        #expect(try Migrator.migrate(connectionString: url, logger: quietLogger) == [])
        #expect(try conn.execute("SELECT count(*) FROM schema_migrations").rows[0][0] == String(Migrations.all.count))
        let columns = Set(try conn.execute("""
            SELECT column_name FROM information_schema.columns WHERE table_name = 'call_legs'
            """).rows.compactMap { $0[0] })
        for c in ["leg_id", "call_id", "account", "tracking_number", "source", "direction", "target", "sip_call_id",
                  "created_at", "ringing_at", "answered_at", "ended_at", "final_status", "end_reason",
                  "billable_seconds", "rated_by_close", "end_seq"] {
            #expect(columns.contains(c), "call_legs.\(c)")
        }
        let indexes = Set(try conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'call_legs'").rows.compactMap { $0[0] })
        #expect(indexes.isSuperset(of: ["call_legs_end_seq_key", "call_legs_account_created"]))
        #expect(!indexes.contains("call_legs_unrated"))
        // Call tracking (reports, webhooks, the Google Ads export) reads a call's legs by call_id.
        #expect(indexes.contains("call_legs_call"))
    }

    @Test func errorsCarrySQLStateAndParametersRoundTrip() throws {
        let url = try PG.database()
        let conn = try PostgresConnection(url)
        #expect(throws: PostgresError.self) { try conn.execute("SELECT * FROM no_such_table") }
        do { try conn.execute("SELECT * FROM no_such_table") } catch let e as PostgresError {
            #expect(e.sqlState == "42P01")
            #expect(e.kind == .query)
        }
        let r = try conn.execute("SELECT $1::text, $2::text IS NULL, $3::int + 1", ["it's \"q\"", nil, "41"])
        #expect(r.rows == [["it's \"q\"", "t", "42"]])
        try conn.prepare("p", "SELECT $1::int * 2")
        #expect(try conn.executePrepared("p", ["21"]).rows[0][0] == "42")
        // The session survives an error.
        #expect(try conn.execute("SELECT 1").rows[0][0] == "1")
        let port = FreePort.next()
        #expect { try PostgresConnection("host=127.0.0.1 port=\(port) user=postgres connect_timeout=2") } throws: { e in
            (e as? PostgresError)?.kind == .connection
        }
    }

    /// Events of 600 legs in batches of 50: every leg's events are spread over several
    /// batches, so rows are inserted then merged.
    @Test func writerMergesEventsIntoOneRowPerLeg() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 50), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        let legs = (0..<600).map { SampleLeg($0, direction: $0 % 2 == 0 ? .inbound : .outbound) }
        for e in interleaved(legs) { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        let rows = try fetchLegs(url)
        #expect(rows.count == legs.count)
        for l in legs { expectRow(rows[l.leg], l) }
        #expect(writer.metrics.batches >= UInt64(interleaved(legs).count / 50))
        #expect(writer.metrics.lag == 0)
        #expect(rows[legs[0].leg]?["node"]! == "node-a")
        // calls follow inbound legs
        #expect(try scalar(url, "SELECT count(*) FROM calls") == "300")
        #expect(try scalar(url, "SELECT count(*) FROM calls c JOIN call_legs l ON l.call_id = c.call_id AND l.direction = 'inbound' WHERE c.ended_at = l.ended_at AND c.started_at = l.created_at") == "300")
        // Each leg got one end number (billing finds unrated legs by it), once it ended.
        #expect(try scalar(url, "SELECT count(DISTINCT end_seq) FROM call_legs WHERE ended_at IS NOT NULL") == "600")
        #expect(try scalar(url, "SELECT count(*) FROM call_legs WHERE (end_seq IS NULL) <> (ended_at IS NULL)") == "0")
    }

    /// A batch that would fill nothing in a call (here: legs' events replayed after the
    /// calls are complete) leaves its row alone instead of writing a new row version.
    @Test func unchangedCallsAreNotRewritten() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 50), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        let legs = (0..<100).map { SampleLeg($0, direction: .inbound) }
        for e in interleaved(legs) { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        let versions = "SELECT string_agg(call_id::text || '@' || xmin::text, ',' ORDER BY call_id) FROM calls"
        let before = try scalar(url, versions)
        #expect(try scalar(url, "SELECT count(*) FROM calls WHERE ended_at IS NOT NULL") == "100")
        for e in interleaved(legs) { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        #expect(try scalar(url, versions) == before)
        // while a call that still lacks a value gets it
        let open = SampleLeg(7, direction: .inbound)
        journal.append(open.events[0])
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        #expect(try scalar(url, "SELECT count(*) FROM calls WHERE call_id = '\(open.call)' AND ended_at IS NULL") == "1")
        for e in open.events.dropFirst() { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        #expect(try scalar(url, "SELECT (extract(epoch FROM ended_at) * 1000000)::bigint FROM calls WHERE call_id = '\(open.call)'") == String(open.endedUS))
    }

    /// The merge numbers legs itself (not migration 2's trigger): a leg the old marking
    /// rated (ended, `rated_by_close` set, no number) stays unnumbered when its events are
    /// replayed, so no close rates it again; an open leg ended by a batch gets one number.
    @Test func mergeLeavesOldRatedLegsUnnumbered() throws {
        let url = try PG.database()
        let conn = try PostgresConnection(url)
        let rated = SampleLeg(0), open = SampleLeg(1)
        let ts: (Int64) -> String = { "timestamptz 'epoch' + \($0) * interval '1 microsecond'" }
        try conn.execute("""
        INSERT INTO call_legs (leg_id, call_id, account, created_at, ended_at, rated_by_close)
        VALUES ($1, $2, 'acme', \(ts(rated.createdUS)), \(ts(rated.endedUS)), 7)
        """, [rated.leg.uuidString, rated.call.uuidString])
        let dir = TempDirectory()
        defer { dir.remove() }
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 50), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        journal.append(open.events[0])
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        for e in rated.events + open.events.dropFirst() { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        #expect(try scalar(url, "SELECT count(*) FROM call_legs WHERE leg_id = '\(rated.leg)' AND end_seq IS NULL AND ended_at IS NOT NULL") == "1")
        let numbered = try #require(try scalar(url, "SELECT end_seq FROM call_legs WHERE leg_id = '\(open.leg)'"))
        #expect(try scalar(url, "SELECT last_value FROM call_legs_end_seq").map { Int($0)! >= Int(numbered)! } == true)
        // replaying the open leg's end again keeps its number
        for e in open.events { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        #expect(try scalar(url, "SELECT end_seq FROM call_legs WHERE leg_id = '\(open.leg)'") == numbered)
    }

    /// Stop the writer mid-way, rewind the committed position (as if the daemon died between
    /// COMMIT and recording it), restart the journal and writer: one row per leg, final state.
    @Test func stoppedWriterResumesAndReplaysHarmlessly() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let legs = (0..<1500).map { SampleLeg($0) }
        let events = interleaved(legs)
        do {
            let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 20), logger: quietLogger)
            for e in events { journal.append(e) }
            #expect(journal.flush())
            writer.start()
            var polls = 0
            while writer.metrics.committedEvents < 400, polls < 2_000 { usleep(2_000); polls += 1 }
            writer.stop()
            let committed = writer.metrics.committedEvents
            #expect(committed >= 400)
            #expect(committed < UInt64(events.count), "stopped mid-way")
            journal.close()
        }
        // Rewind: the first segment's start, so the committed batches are replayed too.
        try "\(JournalFiles.segments(in: dir.path)[0]) 0\n".write(toFile: dir.path + "/committed", atomically: true, encoding: .utf8)
        let rowsBefore = try fetchLegs(url).count
        #expect(rowsBefore > 0 && rowsBefore <= legs.count)

        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.backlogAtOpen == events.count)
        let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 20), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        #expect(writer.waitUntilCaughtUp(timeout: 120))
        let rows = try fetchLegs(url)
        #expect(rows.count == legs.count)
        for l in legs { expectRow(rows[l.leg], l) }
        #expect(writer.metrics.interruptedLegsClosed == 0)
        #expect(JournalFiles.segments(in: dir.path).count == 1, "committed segments deleted")
        let ended = try scalar(url, "SELECT count(*) FROM call_legs WHERE ended_at IS NOT NULL")
        #expect(try scalar(url, "SELECT count(DISTINCT end_seq) FROM call_legs WHERE ended_at IS NOT NULL") == ended)
    }

    /// Legs get their end number once: replaying the whole journal after everything was
    /// committed (the committed position lost) renumbers nothing. A renumbered leg would
    /// look new to the billing close and be rated twice.
    @Test func replayKeepsEndNumbers() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let legs = (0..<300).map { SampleLeg($0) }
        let events = interleaved(legs)
        let numbering = "SELECT string_agg(leg_id::text || '=' || end_seq, ',' ORDER BY leg_id) FROM call_legs"
        do {
            let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 50), logger: quietLogger)
            for e in events { journal.append(e) }
            writer.start()
            #expect(writer.waitUntilCaughtUp(timeout: 60))
            writer.stop()
            journal.close()
        }
        let before = try scalar(url, numbering)
        let ended = try scalar(url, "SELECT count(*) FROM call_legs WHERE ended_at IS NOT NULL")
        #expect(ended != "0")
        #expect(try scalar(url, "SELECT count(DISTINCT end_seq) FROM call_legs") == ended)
        try "\(JournalFiles.segments(in: dir.path)[0]) 0\n".write(toFile: dir.path + "/committed", atomically: true, encoding: .utf8)
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.backlogAtOpen == events.count)
        let writer = LegWriter(journal: journal, configuration: writerConfig(url, batch: 50), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        #expect(writer.waitUntilCaughtUp(timeout: 60))
        #expect(writer.metrics.committedEvents == UInt64(events.count))
        #expect(try scalar(url, numbering) == before)
    }

    /// A crash with answered legs open: the next start closes them as `interrupted` at the
    /// last heartbeat, with billable seconds up to it; other nodes' legs are left alone.
    @Test func restartClosesLegsLeftOpenAsInterrupted() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        let answeredUS = now - 125_500_000
        let open = (0..<3).map { _ in (leg: UUID(), call: UUID()) }
        let ringingOnly = (leg: UUID(), call: UUID())
        let finished = SampleLeg(1, startUS: now - 300_000_000)
        let origin = finished.origin
        var heartbeat: Int64 = 0
        do {
            let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            let writer = LegWriter(journal: journal, configuration: writerConfig(url), logger: quietLogger)
            writer.start()
            for o in open {
                journal.append(LegEvent(legID: o.leg, callID: o.call, microseconds: answeredUS - 5_000_000, .created(origin)))
                journal.append(LegEvent(legID: o.leg, callID: o.call, microseconds: answeredUS, .answered))
            }
            journal.append(LegEvent(legID: ringingOnly.leg, callID: ringingOnly.call, microseconds: now - 2_000_000, .created(origin)))
            journal.append(LegEvent(legID: ringingOnly.leg, callID: ringingOnly.call, microseconds: now - 1_000_000, .ringing))
            for e in finished.events { journal.append(e) }
            #expect(writer.waitUntilCaughtUp())
            writer.stop()
            journal.crashForTesting()
            heartbeat = try #require(Int64(JournalFiles.readSmallFile(dir.path + "/heartbeat") ?? ""))
        }
        // Another node's open leg in the same database.
        let otherWriterJournalDir = TempDirectory()
        defer { otherWriterJournalDir.remove() }
        let otherLeg = UUID()
        do {
            let j = try LegJournal(configuration: journalConfig(otherWriterJournalDir), logger: quietLogger)
            let w = LegWriter(journal: j, configuration: writerConfig(url, node: "node-b"), logger: quietLogger)
            w.start()
            j.append(LegEvent(legID: otherLeg, callID: UUID(), microseconds: answeredUS - 1, .created(origin)))
            j.append(LegEvent(legID: otherLeg, callID: UUID(), microseconds: answeredUS, .answered))
            #expect(w.waitUntilCaughtUp())
            w.stop()
            j.close()
        }

        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.previousHeartbeat.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) } == heartbeat)
        let writer = LegWriter(journal: journal, configuration: writerConfig(url), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        #expect(writer.waitUntilCaughtUp())
        #expect(writer.metrics.interruptedLegsClosed == 4)
        let rows = try fetchLegs(url)
        for o in open {
            let row = try #require(rows[o.leg])
            #expect(row["end_reason"]! == "interrupted")
            let ended = try #require(Int64(row["ended_at"]!! ))
            #expect(abs(ended - heartbeat) <= 1)
            #expect(row["billable_seconds"]! == String(SampleLeg.billableSeconds(answeredUS: answeredUS, endedUS: ended)))
            #expect(row["final_status"]! == nil)
        }
        #expect(rows[ringingOnly.leg]?["end_reason"]! == "interrupted")
        #expect(rows[ringingOnly.leg]?["billable_seconds"]! == "0")
        expectRow(rows[finished.leg], finished)
        #expect(rows[otherLeg]?["ended_at"]! == nil, "another node's leg stays open")
    }

    /// Restarts that cannot reach PostgreSQL (so never close the leftovers) write their own
    /// heartbeats; the legs a crash left open are still closed at the crashed run's last
    /// heartbeat, not at a later run's, however many restarts come in between.
    @Test func restartsWithoutPostgresDoNotExtendInterruptedLegs() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let answeredUS = Int64(Date().timeIntervalSince1970 * 1_000_000) - 60_000_000
        let leg = UUID(), call = UUID()
        var heartbeat: Int64 = 0
        do {
            let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            let writer = LegWriter(journal: journal, configuration: writerConfig(url), logger: quietLogger)
            writer.start()
            journal.append(LegEvent(legID: leg, callID: call, microseconds: answeredUS - 5_000_000, .created(SampleLeg(1).origin)))
            journal.append(LegEvent(legID: leg, callID: call, microseconds: answeredUS, .answered))
            #expect(writer.waitUntilCaughtUp())
            writer.stop()
            journal.crashForTesting()
            heartbeat = try #require(Int64(JournalFiles.readSmallFile(dir.path + "/heartbeat") ?? ""))
        }
        // Two runs in a row with PostgreSQL unreachable, each crashing after its heartbeat.
        for _ in 0..<2 {
            Thread.sleep(forTimeInterval: 0.05)  // so a later heartbeat differs
            let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            let writer = LegWriter(journal: journal, configuration: writerConfig("postgresql://127.0.0.1:1/nowhere?connect_timeout=1"),
                                   logger: quietLogger)
            writer.start()
            writer.stop()
            journal.crashForTesting()
            #expect(try #require(Int64(JournalFiles.readSmallFile(dir.path + "/heartbeat") ?? "")) > heartbeat)
        }
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        #expect(journal.previousHeartbeat.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) } == heartbeat)
        let writer = LegWriter(journal: journal, configuration: writerConfig(url), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        #expect(writer.waitUntilCaughtUp())
        #expect(writer.metrics.interruptedLegsClosed == 1)
        let row = try #require(try fetchLegs(url)[leg])
        #expect(row["end_reason"]! == "interrupted")
        let ended = try #require(Int64(row["ended_at"]!!))
        #expect(abs(ended - heartbeat) <= 1)
        #expect(row["billable_seconds"]! == String(SampleLeg.billableSeconds(answeredUS: answeredUS, endedUS: ended)))
        // Closed: the next run closes its own leftovers at its own heartbeat again.
        #expect(JournalFiles.readSmallFile(dir.path + "/alive-before") == nil)
    }

    @Test func exportStreamsCSVAndJSONWithFilters() throws {
        let url = try PG.database()
        let dir = TempDirectory()
        defer { dir.remove() }
        let journal = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { journal.close() }
        let writer = LegWriter(journal: journal, configuration: writerConfig(url), logger: quietLogger)
        writer.start()
        defer { writer.stop() }
        var legs = (0..<1200).map { SampleLeg($0, account: $0 % 4 == 0 ? "globex" : "acme") }
        legs[1].source = "radio, \"morning\" show"
        for e in interleaved(legs) { journal.append(e) }
        #expect(writer.waitUntilCaughtUp(timeout: 60))

        let acme = legs.filter { $0.account == "acme" }
        let conn = try PostgresConnection(url)
        var csv = ""
        var chunks = 0
        let n = try LegExporter.export(conn, query: LegExportQuery(account: "acme"), format: .csv, chunkRows: 100) {
            csv += $0; chunks += 1
        }
        #expect(n == acme.count)
        #expect(chunks >= acme.count / 100)
        let lines = csv.split(separator: "\n")
        #expect(lines.count == acme.count + 1)
        #expect(lines[0] == Substring(LegExporter.columns.joined(separator: ",")))
        #expect(csv.contains("\"radio, \"\"morning\"\" show\""))
        #expect(lines[1].hasPrefix(acme[0].leg.uuidString.lowercased()))

        // Time range: [since, until) on created_at, exact to the microsecond.
        let since = Date(timeIntervalSince1970: Double(legs[100].createdUS) / 1e6)
        let until = Date(timeIntervalSince1970: Double(legs[200].createdUS) / 1e6)
        var json = ""
        let m = try LegExporter.export(conn, query: LegExportQuery(since: since, until: until), format: .json, chunkRows: 7) { json += $0 }
        #expect(m == 100)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(array.count == 100)
        #expect(array.first?["leg_id"] as? String == legs[100].leg.uuidString.lowercased())
        #expect(array.first?["billable_seconds"] as? Int == legs[100].billable)
        #expect(array.first?["end_reason"] as? String == legs[100].reason.name)
        #expect((array.first?["created_at"] as? String)?.hasSuffix("Z") == true)

        var empty = ""
        #expect(try LegExporter.export(conn, query: LegExportQuery(account: "nobody"), format: .json) { empty += $0 } == 0)
        #expect(try JSONSerialization.jsonObject(with: Data(empty.utf8)) as? [Any] != nil)
        #expect(LegExportQuery.parseTime("2026-11-26")?.timeIntervalSince1970 == 1_795_651_200)
        #expect(LegExportQuery.parseTime("2026-11-26T00:00:00.5Z")?.timeIntervalSince1970 == 1_795_651_200.5)
    }

    /// The daemon's path: a fresh (unmigrated) database, LegRecorder migrates on connect,
    /// records, shuts down with everything written.
    @Test func recorderMigratesRecordsAndShutsDownClean() throws {
        let cluster = try #require(PG.cluster)
        let url = try cluster.createDatabase()
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = LegRecorder.Configuration(database: url, journalDirectory: dir.path + "/journal", nodeID: "n1")
        config.writer?.initialBackoff = 0.05
        let recorder = try LegRecorder(configuration: config, logger: quietLogger)
        recorder.start()
        let legs = (0..<200).map { SampleLeg($0) }
        for e in interleaved(legs) { #expect(recorder.record(e)) }
        recorder.shutdown(timeout: 30)
        #expect(recorder.metrics.journal.lag == 0)
        #expect(try scalar(url, "SELECT count(*) FROM schema_migrations") == String(Migrations.all.count))
        let rows = try fetchLegs(url)
        #expect(rows.count == legs.count)
        for l in legs { expectRow(rows[l.leg], l) }
        #expect(!recorder.record(legs[0].events[0]), "closed recorder refuses events")
    }
}
