import CallLegs
import Foundation
import Logging
import Testing
@testable import LegStore
import ProcessTestKit
import Postgres

/// One PostgreSQL cluster for a whole suite (`@Suite(.postgres)`): started before its first
/// test, stopped after its last, in every outcome. Tests reach it through `PG.cluster` and
/// take their own database so they can run in parallel.
struct PostgresSuiteTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try PostgresCluster()
        defer { cluster.destroy() }
        try await PG.$cluster.withValue(cluster) { try await function() }
    }
}

extension Trait where Self == PostgresSuiteTrait {
    static var postgres: Self { Self() }
}

enum PG {
    @TaskLocal static var cluster: PostgresCluster?

    /// A fresh, migrated database in the suite's cluster.
    static func database() throws -> String {
        let cluster = try #require(cluster, "suite needs the .postgres trait")
        let url = try cluster.createDatabase()
        try Migrator.migrate(connectionString: url, logger: quietLogger)
        return url
    }
}

let quietLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

/// A temp directory. Removed by `remove()` (call it in a `defer` right after creating it),
/// not in deinit: ARC may release an object after its last use, which for a directory
/// handed to a journal would be while the journal still writes there.
final class TempDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "legstore-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A leg's life as the call engine would report it, with the row we expect from it.
struct SampleLeg {
    let leg = UUID()
    let call: UUID
    let account: String
    let createdUS: Int64
    let ringingUS: Int64?
    let answeredUS: Int64?
    let endedUS: Int64
    let status: Int
    let reason: LegEvent.EndReason
    let direction: LegEvent.Direction
    var source = "google-ads"

    static let base: Int64 = 1_790_000_000_000_000  // 2026-09-21, µs

    /// Leg `i`: answered ones last 10…(10+i%300) s plus a fraction, every third is not answered.
    init(_ i: Int, account: String = "acme", call: UUID = UUID(), direction: LegEvent.Direction = .outbound, startUS: Int64? = nil) {
        self.call = call
        self.account = account
        self.direction = direction
        createdUS = startUS ?? (Self.base + Int64(i) * 1_000_123)
        ringingUS = createdUS + 250_000
        if i % 3 == 2 {
            answeredUS = nil
            endedUS = createdUS + 30_000_000
            status = 486
            reason = .busy
        } else {
            answeredUS = createdUS + 4_500_001
            endedUS = answeredUS! + Int64(10 + i % 300) * 1_000_000 + Int64(i % 997) * 1_000
            status = 200
            reason = .completed
        }
    }

    var origin: LegEvent.Origin {
        LegEvent.Origin(account: account, trackingNumber: "+18005550100", source: source, direction: direction,
                        target: "sip:alice@pbx.acme.example", sipCallID: "cid-\(leg.uuidString)@sw", callerNumber: "+14155550123")
    }

    var events: [LegEvent] {
        var e = [LegEvent(legID: leg, callID: call, microseconds: createdUS, .created(origin))]
        if let ringingUS { e.append(LegEvent(legID: leg, callID: call, microseconds: ringingUS, .ringing)) }
        if let answeredUS { e.append(LegEvent(legID: leg, callID: call, microseconds: answeredUS, .answered)) }
        e.append(LegEvent(legID: leg, callID: call, microseconds: endedUS, .ended(status: status, reason: reason)))
        return e
    }

    /// Answer → end in whole seconds, a started second counting as one: the close's rule
    /// (docs/billing.md, `Rating.durationSeconds`), so an export and a bill agree. Every
    /// answered sample lasts a fraction over whole seconds, so rounding down would fail.
    var billable: Int { answeredUS.map { Self.billableSeconds(answeredUS: $0, endedUS: endedUS) } ?? 0 }

    static func billableSeconds(answeredUS: Int64, endedUS: Int64) -> Int {
        endedUS > answeredUS ? Int((endedUS - answeredUS + 999_999) / 1_000_000) : 0
    }
}

/// Events of many legs interleaved the way concurrent calls produce them: every leg's
/// events stay in order, but a batch holds pieces of many legs.
func interleaved(_ legs: [SampleLeg]) -> [LegEvent] {
    let lists = legs.map(\.events)
    var out: [LegEvent] = []
    for step in 0..<4 { for l in lists where step < l.count { out.append(l[step]) } }
    return out
}

/// Reads every event between the committed position and the journal's durable end.
func readAll(_ journal: LegJournal, from: JournalPosition? = nil, to limit: JournalPosition? = nil) -> [LegEvent] {
    var reader = JournalReader(directory: journal.configuration.directory, logger: quietLogger)
    defer { reader.close() }
    var pos = from ?? journal.committedPosition
    let end = limit ?? journal.durablePosition
    var all: [LegEvent] = []
    for _ in 0..<100_000 {
        let (events, next, _) = reader.read(from: pos, limit: end, maxEvents: 500)
        all += events
        if next == pos { break }
        pos = next
    }
    return all
}

/// Row of call_legs as text, keyed by leg id, with times as µs.
func fetchLegs(_ url: String) throws -> [UUID: [String: String?]] {
    let conn = try PostgresConnection(url)
    let us: (String) -> String = { "(extract(epoch FROM \($0)) * 1000000)::bigint AS \($0)" }
    let r = try conn.execute("""
    SELECT leg_id, call_id, account, direction, source, target, sip_call_id, \(us("created_at")), \(us("ringing_at")),
           \(us("answered_at")), \(us("ended_at")), final_status, end_reason, billable_seconds, node
    FROM call_legs
    """)
    var out: [UUID: [String: String?]] = [:]
    for row in r.rows {
        var d: [String: String?] = [:]
        for (i, c) in r.columns.enumerated() { d[c] = row[i] }
        out[UUID(uuidString: row[0]!)!] = d
    }
    return out
}

func scalar(_ url: String, _ sql: String) throws -> String? {
    try PostgresConnection(url).execute(sql).rows.first?.first ?? nil
}

/// Expect the stored row of `l` to be exactly its merged final state.
func expectRow(_ row: [String: String?]?, _ l: SampleLeg, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let row else { Issue.record("missing leg \(l.leg)", sourceLocation: sourceLocation); return }
    #expect(row["call_id"]! == l.call.uuidString.lowercased(), sourceLocation: sourceLocation)
    #expect(row["account"]! == l.account, sourceLocation: sourceLocation)
    #expect(row["created_at"]! == String(l.createdUS), sourceLocation: sourceLocation)
    #expect(row["ringing_at"]! == l.ringingUS.map(String.init), sourceLocation: sourceLocation)
    #expect(row["answered_at"]! == l.answeredUS.map(String.init), sourceLocation: sourceLocation)
    #expect(row["ended_at"]! == String(l.endedUS), sourceLocation: sourceLocation)
    #expect(row["final_status"]! == String(l.status), sourceLocation: sourceLocation)
    #expect(row["end_reason"]! == l.reason.name, sourceLocation: sourceLocation)
    #expect(row["billable_seconds"]! == String(l.billable), sourceLocation: sourceLocation)
}

func journalConfig(_ dir: TempDirectory) -> LegJournal.Configuration {
    LegJournal.Configuration(directory: dir.path)
}

func writerConfig(_ url: String, node: String = "node-a", batch: Int = 1000) -> LegWriter.Configuration {
    var c = LegWriter.Configuration(connectionString: url)
    c.nodeID = node
    c.batchSize = batch
    c.initialBackoff = 0.05
    c.maxBackoff = 0.5
    c.runMigrations = false
    return c
}
