import CallLegs
import Foundation
import LegStore
import Logging
import ProcessTestKit
import Postgres

// LegStoreBench: the leg journal's append cost and fsync batching, and how many legs per
// second the writer sustains into a local PostgreSQL 15.
//
//   swift run -c release LegStoreBench [--database URL] [--legs N] [--appends N] [--batch N]
//
// Without --database it starts a throwaway cluster (fsync on, like production) and stops it.

let args = CommandLine.arguments.dropFirst()
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), args.index(after: i) < args.endIndex else { return nil }
    return args[args.index(after: i)]
}
let legCount = Int(option("--legs") ?? "") ?? 50_000
let appendCount = Int(option("--appends") ?? "") ?? 1_000_000
let batchSizes = (option("--batch").map { [Int($0) ?? 1000] }) ?? [1000, 5000]
let logger: Logger = { var l = Logger(label: "bench"); l.logLevel = .error; return l }()

func tempDir() -> String {
    let p = NSTemporaryDirectory() + "legbench-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
}
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// CPU seconds (user + system) this process has used, all threads.
func ownCPU() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// CPU seconds the bench's own PostgreSQL has used: the postmaster, its live children and
/// the children it has reaped (backends of closed connections). On a shared machine the
/// wall clock measures the other processes as much as us; CPU per leg does not.
func clusterCPU(_ cluster: PostgresCluster?) -> Double? {
    guard let cluster,
          let pidText = try? String(contentsOfFile: cluster.dataDirectory + "/postmaster.pid", encoding: .utf8),
          let postmaster = pidText.split(separator: "\n").first.map(String.init) else { return nil }
    let tick = Double(sysconf(Int32(_SC_CLK_TCK)))
    // /proc/PID/stat after the ")" of the command: state ppid … utime(14) stime(15) cutime(16) cstime(17)
    func fields(_ pid: String) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
    guard let pm = fields(postmaster), pm.count > 15 else { return nil }
    var ticks = pm[11...14].compactMap { Double($0) }.reduce(0, +)
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where entry.allSatisfy(\.isNumber) {
        if let f = fields(entry), f.count > 13, f[1] == postmaster {
            ticks += (Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)
        }
    }
    return ticks / tick
}
func fmt(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }

/// A day of traffic: legs of ~4 events each (created, ringing, answered, ended), interleaved.
func events(legs: Int) -> [LegEvent] {
    let base = Date().addingTimeInterval(-86_400)
    var created: [LegEvent] = [], later: [LegEvent] = []
    for i in 0..<legs {
        let leg = UUID(), call = UUID()
        let t = base.addingTimeInterval(Double(i) * 0.5)
        created.append(.created(leg: leg, call: call, at: t, LegEvent.Origin(
            account: "acct-\(i % 200)", trackingNumber: "+1800555\(String(format: "%04d", i % 10_000))", source: "google-ads",
            direction: i % 3 == 0 ? .inbound : .outbound, target: "sip:agent\(i % 50)@pbx.example.com",
            sipCallID: "\(leg.uuidString)@sw1.example.com", callerNumber: "+14155550123")))
        later.append(.ringing(leg: leg, call: call, at: t.addingTimeInterval(0.3)))
        later.append(.answered(leg: leg, call: call, at: t.addingTimeInterval(4.2)))
        later.append(.ended(leg: leg, call: call, at: t.addingTimeInterval(4.2 + Double(i % 600)), status: 200, reason: .completed))
    }
    return created + later
}

// MARK: 1. Journal append cost and group commit

do {
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let sample = events(legs: 2_500)
    let journal = try LegJournal(configuration: LegJournal.Configuration(directory: dir), logger: logger)
    for e in sample.prefix(1000) { journal.append(e) }  // warm up
    journal.flush()
    let before = journal.metrics
    let start = now()
    for i in 0..<appendCount { journal.append(sample[i % sample.count]) }
    let appended = now()
    journal.flush(timeout: 60)
    let durable = now()
    let m = journal.metrics
    let fsyncs = m.fsyncs - before.fsyncs
    let fsyncNanos = m.fsyncNanosTotal - before.fsyncNanosTotal
    print("## journal (\(appendCount) appends from one thread, default config: group commit, no fixed wait)")
    print("append cost:           \(fmt(Double(appended - start) / Double(appendCount))) ns/event (caller thread)")
    print("appended→all durable:  \(fmt(Double(durable - start) / 1e6)) ms  (\(fmt(Double(appendCount) / (Double(durable - start) / 1e9))) events/s through fsync)")
    print("fsync batches:         \(fsyncs), \(fmt(Double(m.fsyncedEvents - before.fsyncedEvents) / Double(max(fsyncs, 1)), 1)) events/batch, write+fdatasync \(fmt(Double(fsyncNanos) / Double(max(fsyncs, 1)) / 1e3)) µs avg, \(fmt(Double(m.fsyncNanosMax) / 1e3)) µs max")
    print("bytes per event:       \(fmt(Double(m.bytesWritten - before.bytesWritten) / Double(appendCount), 1))")
    journal.close()

    // Low rate: 2,000 events/s arriving spread out, as calls do: latency to durable.
    let j2 = try LegJournal(configuration: LegJournal.Configuration(directory: dir + "-slow"), logger: logger)
    defer { try? FileManager.default.removeItem(atPath: dir + "-slow") }
    var waits: [Double] = []
    for i in 0..<200 {
        let t = now()
        if let seq = j2.append(sample[i]) { j2.waitUntilDurable(seq) }
        waits.append(Double(now() - t) / 1e6)
        usleep(500)
    }
    waits.sort()
    print("append→durable at low rate: p50 \(fmt(waits[waits.count / 2], 1)) ms, p99 \(fmt(waits[waits.count * 99 / 100], 1)) ms (group commit: fsync as soon as the previous one is done)")
    j2.close()
}

// MARK: 2. Writer throughput into PostgreSQL

var cluster: PostgresCluster?
let url: String
if let given = option("--database") {
    url = given
} else {
    cluster = try PostgresCluster(fsync: true)
    url = try cluster!.createDatabase("legbench")
}
defer { cluster?.destroy() }
try Migrator.migrate(connectionString: url, logger: logger)
let all = events(legs: legCount)
for batch in batchSizes {
    let conn = try PostgresConnection(url)
    try conn.execute("TRUNCATE call_legs, calls")
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let journal = try LegJournal(configuration: LegJournal.Configuration(directory: dir), logger: logger)
    for e in all { journal.append(e) }
    journal.flush(timeout: 60)
    var config = LegWriter.Configuration(connectionString: url)
    config.batchSize = batch
    config.runMigrations = false
    let writer = LegWriter(journal: journal, configuration: config, logger: logger)
    let (cpu0, db0) = (ownCPU(), clusterCPU(cluster))
    let start = now()
    writer.start()
    let ok = writer.waitUntilCaughtUp(timeout: 600)
    let seconds = Double(now() - start) / 1e9
    let (cpu1, db1) = (ownCPU(), clusterCPU(cluster))
    writer.stop()
    let m = writer.metrics
    let rows = try conn.execute("SELECT count(*) FROM call_legs").rows[0][0] ?? "?"
    print("## writer, batch \(batch): \(all.count) events of \(legCount) legs from the journal into PostgreSQL\(ok ? "" : " (TIMED OUT)")")
    print("  \(fmt(Double(all.count) / seconds)) events/s, \(fmt(Double(legCount) / seconds)) legs/s; \(m.batches) transactions, \(fmt(Double(m.batchNanosTotal) / Double(max(m.batches, 1)) / 1e6, 2)) ms each; rows \(rows)")
    if let db0, let db1 {
        let dbUs = (db1 - db0) / Double(legCount) * 1e6, ownUs = (cpu1 - cpu0) / Double(legCount) * 1e6
        print("  CPU per leg: PostgreSQL \(fmt(dbUs, 1)) µs + writer \(fmt(ownUs, 1)) µs = \(fmt(1e6 / (dbUs + ownUs))) legs per CPU-second")
    }
    journal.close()
}

// Sustained: appends at a steady rate while the writer runs; lag stays bounded.
do {
    let conn = try PostgresConnection(url)
    try conn.execute("TRUNCATE call_legs, calls")
    let dir = tempDir()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let journal = try LegJournal(configuration: LegJournal.Configuration(directory: dir), logger: logger)
    var config = LegWriter.Configuration(connectionString: url)
    config.runMigrations = false
    let writer = LegWriter(journal: journal, configuration: config, logger: logger)
    writer.start()
    let rate = 20_000  // events/s ≈ 5,000 legs/s, far above one node's call rate
    let total = min(all.count, rate * 5)
    var maxLag: UInt64 = 0
    let start = now()
    for i in 0..<total {
        journal.append(all[i])
        if i % 1000 == 999 {
            maxLag = max(maxLag, writer.metrics.lag)
            let due = start + UInt64(Double(i + 1) / Double(rate) * 1e9)
            let t = now()
            if due > t { usleep(UInt32((due - t) / 1000)) }
        }
    }
    let ok = writer.waitUntilCaughtUp(timeout: 120)
    print("## sustained \(rate) events/s for \(fmt(Double(total) / Double(rate), 0)) s: max lag \(maxLag) events, caught up \(fmt(Double(now() - start) / 1e9 - Double(total) / Double(rate), 2)) s after the last append\(ok ? "" : " (TIMED OUT)")")
    writer.stop()
    journal.close()
}
