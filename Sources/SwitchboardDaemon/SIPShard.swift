import CallEngine
import Dialplan
import Logging
import NIOCore
import SIPTransaction
import SIPTransport
import SwitchboardOperations

/// One SIP event loop and what lives on it (issue 12 item 4): its transport (its own
/// SO_REUSEPORT sockets), transaction layer, call engine and timers. A call, its legs and its
/// transactions live on the shard its Call-ID names (`CallIDSharding`); every message of the
/// call is handed to this loop, so nothing here is locked. Touched only on `eventLoop`.
final class SIPShard: @unchecked Sendable {
    let index: Int
    let eventLoop: any EventLoop
    let transport: SIPTransport
    /// The daemon's logger, with `sip.shard` when there are several.
    let logger: Logger
    var layer: TransactionLayer?
    var handler: B2BUA?
    var engine: CallEngine? { handler?.engine }
    /// The engine's observer for the call-timing histograms (held here: the engine's is weak).
    var callTiming: CallTimingMetrics?
    /// Calls of this shard's Call-IDs that live on the queue home (`SIPService+QueueHome`),
    /// until when to keep forwarding their messages there.
    var forwarded: [String: NIODeadline] = [:]
    /// Whether the table last looked at has a queue plan (cached per table generation).
    var queueTable: (table: DialplanTable, hasQueues: Bool)?

    init(index: Int, eventLoop: any EventLoop, transport: SIPTransport, logger: Logger) {
        self.index = index
        self.logger = logger
        self.eventLoop = eventLoop
        self.transport = transport
    }

    /// What the service sums over shards for `/metrics`, the status line and the drain.
    struct Snapshot: Sendable {
        var calls = 0
        var transactions = 0
        var clientTransactions = 0
        var strayResponses = 0
        var statistics: CallEngine.Statistics?
        var transport = TransportStatistics()
    }

    func snapshot() -> Snapshot {
        Snapshot(calls: engine?.activeCallCount ?? 0, transactions: layer?.activeTransactionCount ?? 0,
                 clientTransactions: layer?.activeClientTransactionCount ?? 0,
                 strayResponses: layer?.strayResponses ?? 0, statistics: engine?.statistics,
                 transport: transport.statistics)
    }
}
