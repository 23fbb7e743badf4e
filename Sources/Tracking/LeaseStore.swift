import Foundation
import Logging
import Postgres

/// Sessions and leases in PostgreSQL, on one blocking connection (the caller's thread).
/// Every time comes from the database clock (`clock_timestamp()` under the row lock), so nodes with skewed clocks
/// still agree on who held a number when.
///
/// Choosing a number is one transaction that locks the chosen `dni_numbers` row with
/// `FOR UPDATE SKIP LOCKED`: two sessions created at once on any nodes lock different rows,
/// so no number is ever leased twice, and nobody waits on anybody.
public final class LeaseStore {
    public let connection: PostgresConnection
    let logger: Logger

    /// How many times a creation retries when every candidate row was locked by others.
    static let lockedRetries = 10

    public init(connection: PostgresConnection, logger: Logger = Logger(label: "switchboard.web.leases")) {
        self.connection = connection
        self.logger = logger
    }

    /// Makes the `dni_numbers` rows match the dialplans: new numbers join with
    /// `last_leased_at = -infinity` (chosen first); numbers no longer in any pool stop being
    /// leased, but their rows and lease history stay for attribution.
    public func sync(_ directory: PoolDirectory) throws {
        try transaction {
            var numbers: [String] = []
            for pool in directory.all {
                for number in pool.numbers {
                    numbers.append(number)
                    try connection.execute("""
                    INSERT INTO dni_numbers (number, account, pool) VALUES ($1, $2, $3)
                    ON CONFLICT (number) DO UPDATE SET account = EXCLUDED.account, pool = EXCLUDED.pool, in_dialplan = true
                    """, [number, pool.account, pool.name])
                }
            }
            try connection.execute("UPDATE dni_numbers SET in_dialplan = false WHERE NOT (number = ANY($1::text[]))",
                                   [Self.arrayLiteral(numbers)])
        }
    }

    /// Creates a session with the least recently used free number of the pool, or, when
    /// every number is leased, takes over the longest-idle lease (and marks its session).
    public func createSession(account: String, request: SessionRequest, policy: SessionPolicy) throws -> SessionLease {
        for attempt in 0...Self.lockedRetries {
            if let lease = try attemptCreate(account: account, request: request, policy: policy) { return lease }
            // Every number is locked by a concurrent creation (a full pool under a burst):
            // those commit within milliseconds, so wait a little, jittered, and look again.
            usleep(UInt32.random(in: 1_000...5_000) * UInt32(attempt + 1))
        }
        throw LeaseError.poolBusy(account: account, pool: request.pool)
    }

    private func attemptCreate(account: String, request: SessionRequest, policy: SessionPolicy) throws -> SessionLease? {
        try transaction {
            var tookOver = false
            // Free: no lease, or its lease expired. Least recently leased first.
            var row = try connection.execute("""
            SELECT number, current_lease FROM dni_numbers
            WHERE account = $1 AND pool = $2 AND in_dialplan AND (current_lease IS NULL OR lease_expires_at <= now())
            ORDER BY last_leased_at, number LIMIT 1 FOR UPDATE SKIP LOCKED
            """, [account, request.pool]).rows.first
            if row == nil {
                // Full: the longest-idle lease (oldest heartbeat) gives its number up.
                row = try connection.execute("""
                SELECT number, current_lease FROM dni_numbers
                WHERE account = $1 AND pool = $2 AND in_dialplan
                ORDER BY lease_seen_at NULLS FIRST, number LIMIT 1 FOR UPDATE SKIP LOCKED
                """, [account, request.pool]).rows.first
                guard let row else {
                    let any = try connection.execute("SELECT 1 FROM dni_numbers WHERE account = $1 AND pool = $2 AND in_dialplan LIMIT 1",
                                                     [account, request.pool])
                    if any.rows.isEmpty { throw LeaseError.poolEmpty(account: account, pool: request.pool) }
                    return nil  // all locked right now: retry
                }
                if let previous = row[1] {
                    let now = try lockedNow()
                    let ended = try connection.execute("""
                    UPDATE dni_leases SET ended_at = $2, end_reason = 'taken-over'
                    WHERE lease_id = $1 AND ended_at IS NULL AND expires_at > $2 RETURNING session_id
                    """, [previous, now])
                    if let session = ended.rows.first?[0] {
                        try connection.execute("UPDATE dni_sessions SET taken_over_at = $2 WHERE session_id = $1", [session, now])
                        tookOver = true
                    }
                }
            }
            guard let number = row?[0] else { return nil }
            let sessionID = UUID()
            let now = try lockedNow()
            let r = request
            try connection.execute("""
            INSERT INTO dni_sessions (session_id, account, pool, visitor_id, landing_url, referrer, utm_source, utm_medium,
                                      utm_campaign, utm_term, utm_content, gclid, gbraid, wbraid, msclkid)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            """, [sessionID.uuidString.lowercased(), account, r.pool, r.normalized(r.visitorID), r.normalized(r.landingURL),
                  r.normalized(r.referrer), r.normalized(r.utmSource), r.normalized(r.utmMedium), r.normalized(r.utmCampaign),
                  r.normalized(r.utmTerm), r.normalized(r.utmContent), r.normalized(r.gclid), r.normalized(r.gbraid),
                  r.normalized(r.wbraid), r.normalized(r.msclkid)])
            let lease = try connection.execute("""
            INSERT INTO dni_leases (session_id, account, pool, number, started_at, last_heartbeat_at, expires_at, grace)
            VALUES ($1, $2, $3, $4, $7, $7, $7::timestamptz + make_interval(secs => $5), make_interval(secs => $6))
            RETURNING lease_id, expires_at, \(Self.iso("expires_at"))
            """, [sessionID.uuidString.lowercased(), account, r.pool, number, String(policy.idleTimeout), String(policy.attributionGrace), now])
            let leaseID = lease.rows[0][0]!, expires = lease.rows[0][1]!
            try connection.execute("""
            UPDATE dni_numbers SET current_lease = $2, last_leased_at = $4, lease_expires_at = $3, lease_seen_at = $4
            WHERE number = $1
            """, [number, leaseID, expires, now])
            return SessionLease(sessionID: sessionID, account: account, pool: r.pool, number: number,
                                expiresAt: lease.rows[0][2]!, tookOver: tookOver)
        }
    }

    /// Extends the session's lease to now + the idle timeout, if it still holds its number.
    public func heartbeat(sessionID: UUID, account: String, policy: SessionPolicy) throws -> HeartbeatOutcome {
        try transaction {
            let id = sessionID.uuidString.lowercased()
            // The number row is locked first, in the same order as a creation, so a heartbeat
            // and a takeover of the same number never deadlock.
            let lease = try connection.execute("""
            SELECT l.lease_id, l.number, l.ended_at IS NOT NULL, l.expires_at <= now()
            FROM dni_leases l WHERE l.session_id = $1 AND l.account = $2 ORDER BY l.lease_id DESC LIMIT 1
            """, [id, account]).rows.first
            guard let lease, let leaseID = lease[0], let number = lease[1] else { return .unknownSession }
            _ = try connection.execute("SELECT 1 FROM dni_numbers WHERE number = $1 FOR UPDATE", [number])
            let now = try lockedNow()
            let updated = try connection.execute("""
            UPDATE dni_leases SET last_heartbeat_at = $3, expires_at = $3::timestamptz + make_interval(secs => $2)
            WHERE lease_id = $1 AND ended_at IS NULL AND expires_at > $3
            RETURNING expires_at, \(Self.iso("expires_at"))
            """, [leaseID, String(policy.idleTimeout), now])
            guard let row = updated.rows.first else {
                // Re-read under the lock: a takeover may have committed since the first read.
                let state = try connection.execute("SELECT ended_at IS NOT NULL FROM dni_leases WHERE lease_id = $1", [leaseID])
                return state.rows.first?[0] == "t" ? .takenOver : .expired
            }
            try connection.execute("""
            UPDATE dni_numbers SET lease_expires_at = $3, lease_seen_at = $4 WHERE number = $1 AND current_lease = $2
            """, [number, leaseID, row[0], now])
            return .extended(number: number, expiresAt: row[1]!)
        }
    }

    /// Leased and free numbers, and takeovers, per pool (numbers still in the dialplans).
    public func poolStatus() throws -> [PoolStatus] {
        try connection.execute("""
        SELECT n.account, n.pool, count(*),
               count(*) FILTER (WHERE n.current_lease IS NOT NULL AND n.lease_expires_at > now()),
               (SELECT count(*) FROM dni_leases l WHERE l.account = n.account AND l.pool = n.pool AND l.end_reason = 'taken-over')
        FROM dni_numbers n WHERE n.in_dialplan GROUP BY n.account, n.pool ORDER BY n.account, n.pool
        """).rows.map { row in
            let total = Int(row[2] ?? "0") ?? 0, leased = Int(row[3] ?? "0") ?? 0
            return PoolStatus(account: row[0] ?? "", pool: row[1] ?? "", numbers: total, leased: leased,
                              free: total - leased, takeovers: Int(row[4] ?? "0") ?? 0)
        }
    }

    // MARK: - Helpers

    /// The database's clock read after the number's row is locked. Not `now()`, which is the
    /// transaction's start: a transaction that began before another's commit could otherwise
    /// end that lease before it started. Read under the row lock, the times of one number's
    /// leases are in commit order, which is what attribution by time relies on.
    private func lockedNow() throws -> String {
        try connection.execute("SELECT clock_timestamp()").rows[0][0]!
    }

    private func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN")
        do {
            let value = try body()
            try connection.execute("COMMIT")
            return value
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    static func iso(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// A PostgreSQL text[] literal of E.164 numbers (digits and '+' only, so no escaping).
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"\($0)\"" }.joined(separator: ",") + "}"
    }
}
