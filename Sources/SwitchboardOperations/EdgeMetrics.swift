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
        func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
        }
        refused = counter("switchboard_edge_requests_total", [("verdict", "refused")])
        dropped = counter("switchboard_edge_requests_total", [("verdict", "dropped")])
        banned = counter("switchboard_edge_requests_total", [("verdict", "banned")])
        trustedCap = counter("switchboard_edge_requests_total", [("verdict", "trusted_cap")])
        bansIssued = counter("switchboard_edge_bans_total")
        bansActive = CoreMetrics.Gauge(label: "switchboard_edge_bans_active", factory: factory)
        sourcesTracked = CoreMetrics.Gauge(label: "switchboard_edge_sources_tracked", factory: factory)
        strayResponses = counter("switchboard_sip_stray_responses_total")
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
