import CallLegs
import Foundation
import LegStore
import Logging
import SwitchboardConfig
import SwitchboardOperations

/// Hands the call engine's leg events to the leg store (`LegRecorder`: journal first, then
/// the writer thread into PostgreSQL). `record` only queues: it never blocks the event loop.
/// The engine's event is the stored one (`CallLegs.LegEvent`): nothing to translate.
public final class JournalLegSink: LegEventSink, Sendable {
    let recorder: LegRecorder
    let logger: Logger

    public init(configuration: SwitchboardConfiguration, journalDirectory: String, logger: Logger) throws {
        self.logger = logger
        var settings = LegRecorder.Configuration(database: configuration.database, journalDirectory: journalDirectory)
        if let node = configuration.nodeID { settings.writer?.nodeID = node }
        recorder = try LegRecorder(configuration: settings, logger: logger)
        if configuration.database == nil {
            logger.warning("no database configured: call legs stay in the journal", metadata: ["journal": "\(journalDirectory)"])
        }
    }

    public func start() { recorder.start() }

    /// Fsyncs the journal, lets the writer catch up (bounded), stops both; what is not in
    /// PostgreSQL yet is replayed by the next start.
    public func stop() { recorder.shutdown(timeout: 10) }

    public func record(_ event: LegEvent) {
        if !recorder.record(event) {
            logger.critical("leg event not journaled", metadata: ["leg": "\(event.legID)", "kind": "\(event.kind.name)"])
        }
    }
}

extension JournalLegSink: LegJournalMetricsSource {
    public var journalLagEvents: Int { Int(recorder.metrics.journal.lag) }
    public var journalWriteErrors: Int { Int(recorder.metrics.journal.ioErrors + (recorder.metrics.writer?.failures ?? 0)) }
    public var databaseConnected: Bool { recorder.metrics.writer?.connected ?? false }
    public var journalQueue: (dropped: Int, droppedEnds: Int, endsInReserve: Int, endsOwed: Int, owedNow: Int) {
        let j = recorder.metrics.journal
        return (Int(j.dropped), Int(j.droppedEnds), Int(j.endsInReserve), Int(j.endsOwed), j.owedEnds)
    }
}
