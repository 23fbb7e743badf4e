/// The leg journal as the shutdown path sees it. The leg-record work (LegStore's journal and
/// writer thread) conforms its journal to this and hands it to `SIPService`; until then the
/// daemon has no journal and nothing to flush.
protocol LegJournalFlushing: Sendable {
    /// Called once at the end of a drain, after the last call ended: fsync every event
    /// appended so far and let the writer copy what it can to PostgreSQL. Must return within
    /// `deadline`; what is not in PostgreSQL by then is replayed on the next start.
    func flushBeforeExit(deadline: Duration) async
}

/// Where the journal's own figures plug into `/metrics` once it exists (journal lag in
/// events and seconds, write errors, database connectivity). Only what a source reports is
/// exported: nothing is exported as a constant 0.
protocol LegJournalMetricsSource: Sendable {
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
