import CallEngine
import Foundation
import LegStore
import Logging
import SwitchboardConfig
import SwitchboardOperations

/// Hands the call engine's leg events to the leg store (`LegRecorder`: journal first, then
/// the writer thread into PostgreSQL). `record` only queues: it never blocks the event loop.
/// What is left here is the translation between the engine's event and the stored one.
public final class JournalLegSink: CallLegEventSink, Sendable {
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

    public func record(_ event: CallLegEvent) {
        guard let mapped = Self.map(event) else { return }
        if !recorder.record(mapped) {
            logger.critical("leg event not journaled", metadata: ["leg": "\(event.legID)", "kind": "\(event.kind.rawValue)"])
        }
    }

    static func map(_ event: CallLegEvent) -> LegEvent? {
        let detail: LegEvent.Detail
        switch event.kind {
        case .created:
            guard let account = event.account, let number = event.trackingNumber else { return nil }
            detail = .created(.init(account: account, trackingNumber: number, source: event.source ?? "",
                                    direction: map(event.direction ?? .outbound),
                                    target: event.target ?? "", sipCallID: event.sipCallID ?? "",
                                    callerNumber: event.caller, agent: event.agent))
        case .ringing:
            detail = .ringing
        case .answered:
            detail = .answered
        case .ended:
            detail = .ended(status: event.finalStatus, reason: map(event.endReason ?? .error))
        }
        return LegEvent(legID: event.legID, callID: event.callID, at: event.time, detail)
    }

    static func map(_ direction: CallLegEvent.Direction) -> LegEvent.Direction {
        switch direction {
        case .inbound: .inbound
        case .outbound: .outbound
        case .agent: .agent
        }
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
        case .shutdown: .shutdown
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
