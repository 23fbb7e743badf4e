import CallEngine
import CoreMetrics
import Foundation

import Prometheus
import SIPMessage
import SwitchboardConfig

/// Every metric the daemon exports, created once at start-up with fixed labels (design.md
/// "Operations": labels never carry per-call values). Counters that the SIP stack already
/// keeps (`CallEngine.statistics`) are mirrored at scrape time by `CounterMirror`; gauges are
/// read at scrape time from the event loop (see `MetricsSampler`).
///
/// Thread-safe: swift-prometheus' metrics are atomics.
public final class DaemonMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory
    /// Per-queue gauges (account and plan labels), recorded at scrape time.
    public let queueStatus: QueueStatus
    /// Strangers, floods and bans (issue 13).
    public let edge: EdgeMetrics
    /// Send errors, refused destinations, listener reopens, TCP connections (SIP loop only).
    public let transport: TransportMetrics
    /// Registrations, authentications and blocks (issue 15).
    public let registrar: RegistrarMetrics

    /// Methods with their own label value; anything else counts as `other`.
    public static let methods = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "UPDATE", "INFO", "PRACK",
                          "REGISTER", "SUBSCRIBE", "NOTIFY", "REFER", "MESSAGE", "PUBLISH"]
    public let requestsReceived: [String: CoreMetrics.Counter]
    public let requestsReceivedOther: CoreMetrics.Counter
    /// Responses sent, by class (1xx … 6xx).
    public let responsesSent: [CoreMetrics.Counter]

    public let transactionsInProgress: CoreMetrics.Gauge
    public let callsInProgress: CoreMetrics.Gauge
    public let callsStarted: CoreMetrics.Counter
    public let callsByOutcome: [String: CoreMetrics.Counter]
    /// Agents' own calls by outcome (issue 15 item 4): `switchboard_agent_calls_total`.
    public let agentCallsByOutcome: [AgentCallOutcome: CoreMetrics.Counter]
    public let legsPlaced: CoreMetrics.Counter

    public let reloads: [Bool: CoreMetrics.Counter]
    public let lastReloadTimestamp: CoreMetrics.Gauge
    public let lastReloadSucceeded: CoreMetrics.Gauge
    public let draining: CoreMetrics.Gauge
    /// Only when a journal exists (see `LegJournalMetricsSource`).
    public let journal: (source: any LegJournalMetricsSource, lagEvents: CoreMetrics.Gauge, writeErrors: CoreMetrics.Gauge, database: CoreMetrics.Gauge,
                  queue: [CoreMetrics.Gauge])?

    public init(journal source: (any LegJournalMetricsSource)? = nil) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let factory = PrometheusMetricsFactory(registry: registry)
        self.factory = factory
        self.queueStatus = QueueStatus(factory: factory)
        self.edge = EdgeMetrics(factory: factory)
        self.transport = TransportMetrics(factory: factory)
        self.registrar = RegistrarMetrics(factory: factory)
        var byMethod: [String: CoreMetrics.Counter] = [:]
        for method in Self.methods { byMethod[method] = factory.counter("switchboard_sip_requests_received_total", [("method", method)]) }
        requestsReceived = byMethod
        requestsReceivedOther = factory.counter("switchboard_sip_requests_received_total", [("method", "other")])
        responsesSent = (1...6).map { factory.counter("switchboard_sip_responses_sent_total", [("class", "\($0)xx")]) }

        transactionsInProgress = factory.gauge("switchboard_sip_transactions_in_progress")
        callsInProgress = factory.gauge("switchboard_calls_in_progress")
        callsStarted = factory.counter("switchboard_calls_started_total")
        var outcomes: [String: CoreMetrics.Counter] = [:]
        for outcome in ["answered", "failed", "cancelled", "refused"] {
            outcomes[outcome] = factory.counter("switchboard_calls_total", [("outcome", outcome)])
        }
        callsByOutcome = outcomes
        agentCallsByOutcome = Dictionary(uniqueKeysWithValues: AgentCallOutcome.allCases.map {
            ($0, factory.counter("switchboard_agent_calls_total", [("outcome", $0.rawValue)]))
        })
        legsPlaced = factory.counter("switchboard_legs_placed_total")

        reloads = [true: factory.counter("switchboard_dialplan_reloads_total", [("result", "success")]),
                   false: factory.counter("switchboard_dialplan_reloads_total", [("result", "failure")])]
        lastReloadTimestamp = factory.gauge("switchboard_dialplan_last_reload_timestamp_seconds")
        lastReloadSucceeded = factory.gauge("switchboard_dialplan_last_reload_success")
        draining = factory.gauge("switchboard_draining")
        factory.gauge("switchboard_build_info", [("version", SwitchboardVersion.number), ("commit", SwitchboardVersion.commit)]).record(1)
        journal = source.map {
            ($0, factory.gauge("switchboard_journal_lag_events"),
             factory.gauge("switchboard_journal_write_errors"), factory.gauge("switchboard_database_up"),
             // Since start; gauges because the journal keeps the counts (sampled, not added).
             ["dropped_events", "dropped_ends", "reserve_ends", "owed_ends_kept", "owed_ends"].map {
                 factory.gauge("switchboard_journal_queue_\($0)")
             })
        }
        lastReloadSucceeded.record(1)
        lastReloadTimestamp.record(Date().timeIntervalSince1970)
    }

    // MARK: Events (any thread)

    public func requestReceived(_ method: SIPMethod) {
        (requestsReceived[method.rawValue] ?? requestsReceivedOther).increment()
    }

    public func responseSent(status: Int) {
        let index = status / 100 - 1
        if responsesSent.indices.contains(index) { responsesSent[index].increment() }
    }

    /// Calls started on one SIP loop (`sip.threads`): shows how the Call-ID hash spreads
    /// calls over the loops. The label is the loop's index, a fixed set.
    public func shardCallsStarted(shard: Int) -> CoreMetrics.Counter {
        factory.counter("switchboard_sip_shard_calls_started_total", [("shard", "\(shard)")])
    }

    public func reloaded(_ outcome: DialplanReloader.Outcome) {
        reloads[outcome.succeeded]!.increment()
        lastReloadSucceeded.record(outcome.succeeded ? 1 : 0)
        lastReloadTimestamp.record(outcome.time.timeIntervalSince1970)
    }

    /// Reads the journal's figures (any thread; the source is Sendable).
    public func sampleJournal() {
        guard let journal else { return }
        journal.lagEvents.record(journal.source.journalLagEvents)
        journal.writeErrors.record(journal.source.journalWriteErrors)
        journal.database.record(journal.source.databaseConnected ? 1 : 0)
        let q = journal.source.journalQueue
        for (gauge, value) in zip(journal.queue, [q.dropped, q.droppedEnds, q.endsInReserve, q.endsOwed, q.owedNow]) {
            gauge.record(value)
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        registry.emit(into: &buffer)
        return buffer
    }
}
