import CoreMetrics
import Prometheus
import SIPEdge

/// The edge's Prometheus series: what strangers and floods cost us (nothing, ideally). Fixed
/// labels only: the per-address view is `GET /bans`, never a label.
public final class EdgeMetrics: Sendable {
    /// Requests the edge did not pass on, by what it did: refused (stateless 403), dropped
    /// (untrusted: drop, strangers' ACK/CANCEL), banned (source banned), trusted_cap.
    public let refused, dropped, banned, trustedCap: CoreMetrics.Counter
    public let bansIssued: CoreMetrics.Counter
    public let bansActive: CoreMetrics.Gauge
    public let sourcesTracked: CoreMetrics.Gauge
    /// Responses that matched no client transaction (dropped, never state).
    public let strayResponses: CoreMetrics.Counter

    public init(factory: PrometheusMetricsFactory) {
        refused = factory.counter("switchboard_edge_requests_total", [("verdict", "refused")])
        dropped = factory.counter("switchboard_edge_requests_total", [("verdict", "dropped")])
        banned = factory.counter("switchboard_edge_requests_total", [("verdict", "banned")])
        trustedCap = factory.counter("switchboard_edge_requests_total", [("verdict", "trusted_cap")])
        bansIssued = factory.counter("switchboard_edge_bans_total")
        bansActive = factory.gauge("switchboard_edge_bans_active")
        sourcesTracked = factory.gauge("switchboard_edge_sources_tracked")
        strayResponses = factory.counter("switchboard_sip_stray_responses_total")
    }
}

/// The edge's and the layers' counters mirrored into `EdgeMetrics` at each scrape (the first SIP loop only).
public struct EdgeCounterMirrors {
    public var refused, dropped, banned, trustedCap, bans, stray: CounterMirror

    public init(_ metrics: EdgeMetrics) {
        refused = CounterMirror(metrics.refused)
        dropped = CounterMirror(metrics.dropped)
        banned = CounterMirror(metrics.banned)
        trustedCap = CounterMirror(metrics.trustedCap)
        bans = CounterMirror(metrics.bansIssued)
        stray = CounterMirror(metrics.strayResponses)
    }

    public mutating func update(_ sample: (counters: EdgePolicy.Counters, bans: Int, sources: Int), strayResponses: Int, metrics: EdgeMetrics) {
        let c = sample.counters
        refused.update(to: c.refused)
        dropped.update(to: c.dropped)
        banned.update(to: c.droppedBanned)
        trustedCap.update(to: c.droppedTrustedCap)
        bans.update(to: c.bans)
        stray.update(to: strayResponses)
        metrics.bansActive.record(sample.bans)
        metrics.sourcesTracked.record(sample.sources)
    }
}
