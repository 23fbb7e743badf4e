import CallEngine
import Foundation
import LegStore
import Logging
import SwitchboardConfig

/// Connects the call engine's leg events to the durable leg store: each event is appended to
/// the on-disk journal (never blocking the event loop: `append` only queues), and the writer
/// thread copies the journal into PostgreSQL. Without a journal in the configuration, legs
/// are only logged (a development run).
final class JournalLegSink: CallLegEventSink, @unchecked Sendable {
    let journal: LegJournal
    let writer: LegWriter?
    let logger: Logger

    init(configuration: SwitchboardConfiguration, journalDirectory: String, logger: Logger) throws {
        self.logger = logger
        try FileManager.default.createDirectory(atPath: journalDirectory, withIntermediateDirectories: true)
        journal = try LegJournal(configuration: .init(directory: journalDirectory), logger: logger)
        if let database = configuration.database {
            var writerConfiguration = LegWriter.Configuration(connectionString: database)
            if let node = configuration.nodeID { writerConfiguration.nodeID = node }
            writer = LegWriter(journal: journal, configuration: writerConfiguration, logger: logger)
        } else {
            writer = nil
            logger.warning("no database configured: call legs stay in the journal", metadata: ["journal": "\(journalDirectory)"])
        }
    }

    func start() { writer?.start() }

    /// Flushes the journal to disk and stops the writer; what it has not copied yet is
    /// replayed by the next start.
    func stop() {
        if !journal.flush(timeout: 10) { logger.error("leg journal flush did not complete") }
        writer?.stop()
        journal.close()
    }

    func record(_ event: CallLegEvent) {
        guard let mapped = Self.map(event) else { return }
        if journal.append(mapped) == nil {
            logger.critical("leg event not journaled", metadata: ["leg": "\(event.legID)", "kind": "\(event.kind.rawValue)"])
        }
    }

    static func map(_ event: CallLegEvent) -> LegEvent? {
        let detail: LegEvent.Detail
        switch event.kind {
        case .created:
            guard let account = event.account, let number = event.trackingNumber else { return nil }
            detail = .created(.init(account: account, trackingNumber: number, source: event.source ?? "",
                                    direction: event.direction == .inbound ? .inbound : .outbound,
                                    target: event.target ?? "", sipCallID: event.sipCallID ?? "",
                                    callerNumber: event.caller))
        case .ringing:
            detail = .ringing
        case .answered:
            detail = .answered
        case .ended:
            detail = .ended(status: event.finalStatus, reason: map(event.endReason ?? .error))
        }
        return LegEvent(legID: event.legID, callID: event.callID, at: event.time, detail)
    }

    static func map(_ reason: CallLegEvent.EndReason) -> LegEvent.EndReason {
        switch reason {
        case .completed: .completed
        case .answeredElsewhere: .answeredElsewhere
        case .callerCancelled: .callerCancelled
        case .busy: .busy
        case .noAnswer: .noAnswer
        case .timeout: .timeout
        case .error: .error
        case .maxDuration: .maxDuration
        case .rejected, .declined: .rejected
        case .ivrAbandoned: .ivrAbandoned
        case .queueTimeout: .queueTimeout
        case .agentNoAnswer: .agentNoAnswer
        case .mediaTimeout: .mediaTimeout
        }
    }
}

extension JournalLegSink: LegJournalMetricsSource {
    var journalLagEvents: Int { Int(journal.metrics.lag) }
    var journalWriteErrors: Int { Int(journal.metrics.ioErrors + (writer?.metrics.failures ?? 0)) }
    var databaseConnected: Bool { writer?.metrics.connected ?? false }
}
