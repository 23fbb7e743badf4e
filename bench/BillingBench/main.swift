import Billing
import Foundation
import LegStore
import Logging
import ProcessTestKit
import Postgres

// BillingBench: the business-day close over N legs across M accounts in a throwaway
// PostgreSQL cluster (fsync on). Legs are generated with set-based SQL (generate_series,
// in bounded chunks). Usage: BillingBench [--legs N] [--accounts M]
//
// Also `BillingBench close-and-hang URL AT`: runs one close that stops inside its
// transaction after rating (used by the kill -9 test).

func arg(_ name: String, _ def: Int) -> Int {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: name), i + 1 < a.count, let v = Int(a[i + 1]) { return v }
    return def
}

func now() -> Double { Date().timeIntervalSince1970 }

func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
    let s = now()
    let v = try body()
    print(label.padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%8.2f s", now() - s))
    return v
}

if CommandLine.arguments.count >= 4, CommandLine.arguments[1] == "close-and-hang" {
    let url = CommandLine.arguments[2]
    let at = ISO8601DateFormatter().date(from: CommandLine.arguments[3])!
    var cfg = Billing.Configuration()
    cfg.beforeCommit = { conn in
        FileHandle.standardOutput.write(Data("RATED\n".utf8))
        Thread.sleep(forTimeInterval: 120)  // killed here
    }
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let b = try Billing(connectionString: url, configuration: cfg, logger: logger)
    _ = try b.close(at: at)
    exit(0)
}

let legs = min(arg("--legs", 10_000_000), 50_000_000)
let accounts = min(max(arg("--accounts", 10_000), 1), 1_000_000)
var logger = Logger(label: "bench")
logger.logLevel = .warning

print("BillingBench: \(legs) legs across \(accounts) accounts")
// --database URL: an existing, empty database (for experiments); default a new cluster.
let given: String? = CommandLine.arguments.firstIndex(of: "--database").flatMap { i in i + 1 < CommandLine.arguments.count ? CommandLine.arguments[i + 1] : nil }
let cluster: PostgresCluster? = given == nil ? try PostgresCluster(fsync: true) : nil
defer { cluster?.kill() }
if let cluster {
    let c = try PostgresConnection(cluster.connectionString)
    for s in ["shared_buffers = '2GB'", "work_mem = '256MB'", "maintenance_work_mem = '1GB'", "max_wal_size = '16GB'",
              "checkpoint_timeout = '30min'", "synchronous_commit = on", "wal_compression = on"] {
        try c.execute("ALTER SYSTEM SET \(s)")
    }
    c.close()
    cluster.stop()
    try cluster.start()
}
let url = try given ?? cluster!.createDatabase("bench")
try Billing.migrate(connectionString: url, logger: logger)
let c = try PostgresConnection(url)

try timed("create \(accounts) accounts (set-based)") {
    try c.execute("BEGIN")
    try c.execute("""
    INSERT INTO accounts (name, timezone, currency, processor_customer, created_at)
    SELECT 'acct' || g, (ARRAY['America/New_York', 'Europe/London', 'America/Los_Angeles', 'Asia/Tokyo'])[g % 4 + 1],
           'USD', 'cus_' || g, '2026-11-09T00:00:00Z'
    FROM generate_series(1, $1::int) g
    """, [String(accounts)])
    try c.execute("""
    INSERT INTO subscriptions (account, plan_id, cycle, anchor, term_start, term_end)
    SELECT name, (ARRAY['small-teams', 'large-teams', 'pay-as-you-go'])[substr(name, 5)::int % 3 + 1], 'monthly',
           created_at, created_at, created_at + interval '1 month'
    FROM accounts
    """)
    try c.execute("INSERT INTO subscription_terms SELECT account, 0, term_start, term_end, plan_id, cycle FROM subscriptions")
    try c.execute("INSERT INTO payment_methods (account, processor_token, brand, last4, exp_month, exp_year) SELECT name, 'pm_' || translate(md5(name), '0123456789', 'ghijklmnop'), 'visa', '4242', 12, 2030 FROM accounts")
    try c.execute("COMMIT")
}

// Legs end between 2026-11-10 12:00Z and 20:00Z; a quarter unanswered; destinations mixed.
// Leg and call ids are derived from g (not random): legs of one account ending in the same
// second are ordered by leg_id for the included minutes, so with random ids the per-leg
// ratings (and a line's rounding) would differ from run to run and the checksums below
// could not be compared between runs or builds.
let chunk = 1_000_000
try timed("generate \(legs) legs (generate_series, \(chunk) per chunk)") {
    var done = 0
    while done < legs {
        let n = min(chunk, legs - done)
        try c.execute("""
        INSERT INTO call_legs (leg_id, call_id, account, tracking_number, direction, target, created_at, answered_at, ended_at, final_status)
        SELECT md5('leg' || g)::uuid, md5('call' || g)::uuid, 'acct' || (g % $3::int + 1), '+1800555' || lpad((g % 10000)::text, 4, '0'),
               CASE WHEN g % 2 = 0 THEN 'inbound' ELSE 'outbound' END,
               CASE g % 5 WHEN 0 THEN 'sip:agent@pbx.example' WHEN 1 THEN 'tel:+442071234567' ELSE 'tel:+14155550123' END,
               e - interval '10 minutes',
               CASE WHEN g % 4 = 3 THEN NULL ELSE e - (g % 1800 + 1) * interval '1 second' - (g % 1000) * interval '1 millisecond' END,
               e, CASE WHEN g % 4 = 3 THEN 486 ELSE 200 END
        FROM generate_series($1::bigint, $2::bigint) g,
             LATERAL (SELECT '2026-11-10T12:00:00Z'::timestamptz + (g % 28800) * interval '1 second' AS e) x
        """, [String(done + 1), String(done + n), String(accounts)])
        done += n
    }
}
try timed("VACUUM ANALYZE") { try c.execute("VACUUM ANALYZE") }
let size = try c.execute("SELECT pg_size_pretty(pg_total_relation_size('call_legs'))").rows[0][0] ?? "?"
print("call_legs size: \(size)")

let b = Billing(connection: try PostgresConnection(url), logger: logger)
let at = ISO8601DateFormatter().date(from: "2026-11-12T12:00:00Z")!
if CommandLine.arguments.contains("--explain") { print(try b.explainClose(at: at)) }
let start = now()
let r = try b.close(at: at)
let elapsed = now() - start
print("close (renewals, rating, lines, charges)".padding(toLength: 52, withPad: " ", startingAt: 0) + String(format: "%8.2f s", elapsed))
print("  legs rated: \(r.legsRated), account-days: \(r.daysClosed), usage charges: \(r.usageCharges), "
      + "total \(r.usageAmount.map { Money.format($0.value, currency: $0.key) }.joined(separator: ", "))")
print(String(format: "  %.0f legs/s", Double(r.legsRated) / elapsed))
let again = try timed("second close (idempotent, nothing to do)") { try b.close(at: at) }
let unrated = try c.execute("SELECT count(*) FROM call_legs l WHERE NOT EXISTS (SELECT 1 FROM leg_ratings r WHERE r.end_seq = l.end_seq)").rows[0][0] ?? "?"
let check = try c.execute("SELECT count(*), sum(legs) FROM usage_days").rows[0]
print("  second close rated \(again.legsRated); unrated left: \(unrated); usage lines: \(check[0] ?? "?"), legs on lines: \(check[1] ?? "?")")
// Checksums of every rating and every line, to compare runs of different builds (the same
// arguments generate the same legs): equal checksums, the same money to the micro-cent.
// A sum of row hashes, not one string of all rows (10M rows would approach text's 1 GB).
let ratings = try c.execute("""
SELECT count(*), sum(micros), sum(rated_seconds), sum(free_seconds),
       sum(hashtextextended(end_seq || ':' || micros || ':' || business_day || ':' || rated_seconds || ':' || free_seconds || ':' || account, 0)::numeric)
FROM leg_ratings
""").rows[0].map { $0 ?? "" }
let lines = try c.execute("""
SELECT count(*), sum(amount), sum(hashtextextended(account || ':' || business_day || ':' || legs || ':' || billed_seconds || ':' || included_seconds || ':'
       || included_used_seconds || ':' || amount_micros || ':' || amount || ':' || coalesce(charge_id::text, ''), 0)::numeric)
FROM usage_days
""").rows[0].map { $0 ?? "" }
print("  leg_ratings: \(ratings[0]) rows, micros \(ratings[1]), rated s \(ratings[2]), free s \(ratings[3]), checksum \(ratings[4])")
print("  usage_days: \(lines[0]) rows, amount \(lines[1]), checksum \(lines[2])")
let ok = again.legsRated == 0 && unrated == "0" && Int(check[1] ?? "") == legs
if !ok { print("FAILED: totals do not match") }
// Globals are never deinitialised: stop the cluster and delete its directory here.
if let cluster {
    cluster.kill()
    try? FileManager.default.removeItem(at: cluster.directory)
}
exit(ok ? 0 : 1)
