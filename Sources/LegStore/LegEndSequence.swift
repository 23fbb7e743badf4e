import Postgres

/// The order in which legs were stored as ended: `call_legs.end_seq` (migration 2).
///
/// A trigger numbers a leg from a sequence when it is first stored with an `ended_at`, so a
/// leg replayed late from the journal (after an outage, with an old end time) still gets a
/// number above everything a reader has seen. That lets the billing close find the legs it
/// has not rated by range ("above what I covered last time") without touching call_legs.
///
/// Sequence numbers are handed out before their transaction commits, and transactions
/// commit in any order: a reader that saw number 105 committed may later find 100 appear.
/// The trigger therefore holds a shared advisory lock for the rest of the writing
/// transaction; `committedHighWater` takes it exclusively for an instant, which waits for
/// every writer in flight, and reads the highest number then. Every number up to that
/// value belongs to a committed leg (or to a rolled-back one that will never appear), and
/// every later one is larger.
public enum LegEndSequence {
    /// Must match the key in migration 2's trigger function.
    public static let lockKey: Int64 = 6_075_687_767

    /// The highest `end_seq` below which no leg can still appear. Runs its own short
    /// transaction, so call it outside any other (writers wait only for this instant).
    public static func committedHighWater(_ connection: PostgresConnection) throws -> Int64 {
        try connection.execute("BEGIN")
        do {
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [String(lockKey)])
            // A new statement, so a snapshot taken after the lock: every writer that held
            // the shared lock has committed or rolled back.
            let high = try connection.execute("SELECT coalesce(max(end_seq), 0) FROM call_legs").rows[0][0] ?? "0"
            try connection.execute("COMMIT")
            return Int64(high) ?? 0
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
