/// Where the leg journal's own figures plug into `/metrics` (journal lag in events, write
/// errors, database connectivity, what a full queue did); `JournalLegSink` is the one source. Only what a source reports is
/// exported: nothing is exported as a constant 0.
public protocol LegJournalMetricsSource: Sendable {
    /// Events appended to the journal but not yet committed to PostgreSQL.
    var journalLagEvents: Int { get }
    /// Journal append/fsync or COPY failures since start.
    var journalWriteErrors: Int { get }
    /// Whether the writer's PostgreSQL connection is up.
    var databaseConnected: Bool { get }
    /// What a full queue did since start (the disk failing or too slow): events dropped,
    /// `ended` among them (legs left open until a restart), ends kept in the reserve, ends
    /// kept owed beyond it, and owed ends still waiting now.
    var journalQueue: (dropped: Int, droppedEnds: Int, endsInReserve: Int, endsOwed: Int, owedNow: Int) { get }
}
