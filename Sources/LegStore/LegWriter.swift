import CallLegs
import Foundation
import Logging
import Postgres

/// Copies journaled leg events into PostgreSQL on its own thread with its own connection.
///
/// It reads the journal from the committed position up to the durable end, writes one
/// batch per transaction (`LegBatchSQL`), and only after COMMIT moves the committed
/// position. A crash between the two replays that batch, which the upsert makes harmless.
/// A database that is down, slow or restarting only delays it: it reconnects with
/// exponential backoff and resumes from the committed position, while `LegJournal.append`
/// keeps accepting events (they wait on disk).
///
/// At start it first replays what earlier runs left (up to `journal.startPosition`), then
/// closes the legs this node left open with reason `interrupted` at the previous run's
/// heartbeat, then follows new events.
public final class LegWriter: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// libpq conninfo or URL. Config key `legs.database` (shared with `database`).
        public var connectionString: String
        /// Identifies this daemon among nodes sharing the database; it closes only its own
        /// interrupted legs. Config key `legs.node-id`, default the host name.
        public var nodeID: String = ProcessInfo.processInfo.hostName
        /// Most events per transaction (a writer that keeps up writes what is there).
        /// Default 5000: with the batch folded per leg, 5000 gave 1.2–2× the legs/s of 1000
        /// (bench/README.md, "Leg records"), and the sustained lag halved.
        public var batchSize: Int = 5000
        /// Reconnect delays double from `initialBackoff` up to `maxBackoff` (seconds).
        public var initialBackoff: Double = 0.1
        public var maxBackoff: Double = 4
        /// Run `Migrator` on every (re)connect (cheap when up to date). Default true.
        public var runMigrations: Bool = true
        /// Close legs the previous run left open (answered or not) as `interrupted`.
        public var closeInterruptedLegs: Bool = true

        public init(connectionString: String) { self.connectionString = connectionString }
    }

    public let configuration: Configuration
    let journal: LegJournal
    let logger: Logger

    private let lock = NSCondition()
    private var stopping = false
    private var running = false
    private var counters = LegWriterMetrics()
    private var thread: Thread?

    public init(journal: LegJournal, configuration: Configuration, logger: Logger = Logger(label: "switchboard.legs.writer")) {
        self.journal = journal
        self.configuration = configuration
        self.logger = logger
    }

    public func start() {
        lock.lock()
        defer { lock.unlock() }
        guard thread == nil else { return }
        stopping = false
        running = true
        let t = Thread { [self] in run() }
        t.name = "leg-writer"
        thread = t
        t.start()
    }

    /// Stops after the batch in flight (if any) and waits for the thread to end. Events not
    /// yet written stay in the journal for the next start.
    public func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while running { _ = lock.wait(until: Date().addingTimeInterval(0.1)) }
        thread = nil
        lock.unlock()
    }

    public var metrics: LegWriterMetrics {
        lock.lock(); defer { lock.unlock() }
        var m = counters
        m.lag = journal.metrics.lag
        return m
    }

    /// Waits until everything appended before the call is fsync'd and committed to
    /// PostgreSQL, and the start-up replay and interrupted-leg closing are done.
    @discardableResult
    public func waitUntilCaughtUp(timeout: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        guard journal.flush(timeout: timeout) else { return false }
        let target = journal.durablePosition
        while Date() < deadline {
            if metrics.replayDone, journal.committedPosition >= max(target, journal.durablePosition) {
                // interrupted-leg events appended during replay must be in too
                if journal.metrics.lag == 0 { return true }
                _ = journal.flush(timeout: max(0, deadline.timeIntervalSinceNow))
            }
            usleep(5_000)
        }
        return false
    }

    // MARK: - Thread

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// Sleeps up to `seconds`, waking at once on `stop()`.
    private func pause(_ seconds: Double) {
        lock.lock()
        let deadline = Date().addingTimeInterval(seconds)
        while !stopping, lock.wait(until: deadline) {}
        lock.unlock()
    }

    private func update(_ body: (inout LegWriterMetrics) -> Void) {
        lock.lock(); body(&counters); lock.unlock()
    }

    private func run() {
        var reader = JournalReader(directory: journal.configuration.directory, logger: logger)
        var connection: PostgresConnection?
        var position = journal.committedPosition
        var backoff = configuration.initialBackoff
        var replayDone = false
        defer {
            reader.close()
            connection?.close()
            lock.lock(); running = false; lock.broadcast(); lock.unlock()
        }
        // Bounded by `stop()`: every pass either makes progress, waits, or backs off.
        while !isStopping {
            do {
                if connection == nil {
                    connection = try connect()
                    update { $0.connected = true; $0.connects += 1 }
                    if backoff > configuration.initialBackoff { logger.notice("leg writer reconnected to PostgreSQL") }
                }
                let conn = connection!
                let limit = replayDone ? journal.durablePosition : journal.startPosition
                if position >= limit {
                    if !replayDone {
                        if configuration.closeInterruptedLegs { try closeInterruptedLegs(conn) }
                        replayDone = true
                        update { $0.replayDone = true }
                    } else {
                        _ = journal.waitForDurable(beyond: position, timeout: 0.2)
                    }
                    continue
                }
                let (events, end, records) = reader.read(from: position, limit: limit, maxEvents: configuration.batchSize)
                if !events.isEmpty {
                    let started = DispatchTime.now().uptimeNanoseconds
                    try write(events, conn)
                    let took = DispatchTime.now().uptimeNanoseconds - started
                    update { $0.committedEvents += UInt64(events.count); $0.batches += 1; $0.batchNanosTotal += took }
                }
                if end > position {
                    journal.commit(end, events: records)
                    position = end
                } else {
                    pause(0.05)  // nothing readable yet below the limit (should not happen)
                }
                backoff = configuration.initialBackoff
            } catch {
                // Any error: drop the connection (its transaction state is unknown), retry the
                // same events later. Nothing is lost: they are still in the journal.
                update { $0.failures += 1; $0.connected = false; $0.lastError = "\(error)" }
                logger.error("leg writer: PostgreSQL failed; retrying", metadata: [
                    "error": "\(error)", "retryIn": "\(backoff)s", "lag": "\(journal.metrics.lag)",
                ])
                connection?.close()
                connection = nil
                pause(backoff)
                backoff = min(backoff * 2, configuration.maxBackoff)
            }
        }
    }

    private func connect() throws -> PostgresConnection {
        let conn = try PostgresConnection(configuration.connectionString)
        if configuration.runMigrations { try Migrator.migrate(conn, logger: logger) }
        try conn.execute(LegBatchSQL.createStage)
        try conn.prepare("legs_merge", LegBatchSQL.merge)
        return conn
    }

    /// One transaction: the events folded into one row per leg and staged, then one merge
    /// statement. ON COMMIT DELETE ROWS empties the stage.
    private func write(_ events: [LegEvent], _ conn: PostgresConnection) throws {
        let data = LegBatchSQL.copyData(LegBatchRow.fold(events))
        try conn.execute(LegBatchSQL.begin)
        do {
            try conn.copyIn(LegBatchSQL.copyStage, data: data)
            try conn.executePrepared("legs_merge", [configuration.nodeID])
            try conn.execute("COMMIT")
        } catch {
            _ = try? conn.execute("ROLLBACK")
            throw error
        }
    }

    /// Appends `ended(interrupted)` for every leg this node left open. Runs once the
    /// earlier runs' events are all in the database and before any of this run's are, so
    /// the open rows can only be leftovers. The events go through the journal like any other.
    private func closeInterruptedLegs(_ conn: PostgresConnection) throws {
        let heartbeat = journal.previousHeartbeat.map { String(Int64($0.timeIntervalSince1970 * 1_000_000)) }
        let rows = try conn.execute(LegBatchSQL.openLegs, [configuration.nodeID, heartbeat]).rows
        var last: UInt64?, dropped = false
        for row in rows {
            guard let leg = row[0].flatMap(UUID.init(uuidString:)), let call = row[1].flatMap(UUID.init(uuidString:)),
                  let us = row[2].flatMap({ Int64($0) }) else { continue }
            if let seq = journal.append(LegEvent(legID: leg, callID: call, microseconds: us, .ended(status: nil, reason: .interrupted))) {
                last = seq
            } else {
                dropped = true
            }
        }
        // Once those ends are durable the previous run's last-alive time is no longer needed.
        if !dropped, last.map({ journal.waitUntilDurable($0) }) ?? true { journal.openLegsClosed() }
        if !rows.isEmpty {
            logger.warning("closed legs left open by the previous run", metadata: [
                "legs": "\(rows.count)", "lastAlive": "\(journal.previousHeartbeat.map { "\($0)" } ?? "unknown")",
            ])
        }
        update { $0.interruptedLegsClosed += UInt64(rows.count) }
    }
}

/// Writer counters for the metrics endpoint.
public struct LegWriterMetrics: Sendable, Equatable {
    public var committedEvents: UInt64 = 0
    public var batches: UInt64 = 0
    public var batchNanosTotal: UInt64 = 0
    public var failures: UInt64 = 0
    public var connects: UInt64 = 0
    public var interruptedLegsClosed: UInt64 = 0
    public var connected = false
    public var replayDone = false
    public var lastError: String?
    /// Events journaled but not yet committed to PostgreSQL.
    public var lag: UInt64 = 0
}
