import CallLegs
import Foundation
import Logging

/// The daemon's one handle on leg records: opens the journal (recovering it), runs the
/// writer, and shuts both down in order. The call engine calls `record(_:)` from its event
/// loop: it never blocks on disk or database.
public final class LegRecorder: Sendable {
    public struct Configuration: Sendable {
        public var journal: LegJournal.Configuration
        /// nil without a database: the journal keeps the legs until one is configured.
        public var writer: LegWriter.Configuration?

        /// - Parameters:
        ///   - database: config key `database` (libpq URL or conninfo); nil: journal only.
        ///   - journalDirectory: config key `journal`.
        ///   - nodeID: config key `node-id` (default: host name).
        public init(database: String?, journalDirectory: String, nodeID: String = ProcessInfo.processInfo.hostName) {
            journal = LegJournal.Configuration(directory: journalDirectory)
            writer = database.map { LegWriter.Configuration(connectionString: $0) }
            writer?.nodeID = nodeID
        }
    }

    public let journal: LegJournal
    public let writer: LegWriter?

    /// Opens (and, after a crash, repairs) the journal. Does not touch the database: the
    /// daemon starts even while PostgreSQL is down.
    public init(configuration: Configuration, logger: Logger = Logger(label: "switchboard.legs")) throws {
        try FileManager.default.createDirectory(atPath: configuration.journal.directory, withIntermediateDirectories: true)
        let journal = try LegJournal(configuration: configuration.journal, logger: logger)
        self.journal = journal
        writer = configuration.writer.map { LegWriter(journal: journal, configuration: $0, logger: logger) }
    }

    /// Starts the writer thread (migrations, replay, interrupted legs, then live events).
    public func start() { writer?.start() }

    /// Records one leg event. False only if it had to be dropped (disk failing long enough
    /// to fill the queue; counted in `metrics.journal.dropped`).
    @discardableResult
    public func record(_ event: LegEvent) -> Bool { journal.append(event) != nil }

    public var metrics: (journal: LegJournalMetrics, writer: LegWriterMetrics?) { (journal.metrics, writer?.metrics) }

    /// SIGTERM path: fsync everything, give the writer up to `timeout` to reach PostgreSQL
    /// (what it does not write is replayed at the next start), then stop both threads.
    public func shutdown(timeout: Double = 5) {
        if !journal.flush(timeout: timeout) { journal.logger.error("leg journal flush did not complete") }
        if let writer {
            _ = writer.waitUntilCaughtUp(timeout: timeout)
            writer.stop()
        }
        journal.close()
    }
}
