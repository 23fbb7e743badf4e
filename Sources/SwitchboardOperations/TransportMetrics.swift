import CoreMetrics
import Prometheus
import SIPTransport

/// The transport's counters (`TransportStatistics`) in Prometheus, mirrored at scrape time.
/// Labels are fixed sets (refusal reasons, limit names), never per-peer values.
///
/// `record` runs on the SIP event loop only (the mirrors' state lives there), hence
/// `@unchecked Sendable`; the metrics themselves are atomics.
public final class TransportMetrics: @unchecked Sendable {
    private var sendErrors: CounterMirror
    private var refused: [DestinationCheck.Refusal: CounterMirror]
    private var reopens: CounterMirror
    private let listenersDown: CoreMetrics.Gauge
    private let inbound: CoreMetrics.Gauge
    private let outbound: CoreMetrics.Gauge
    private var refusedInbound, refusedPerSource, refusedOutbound: CounterMirror
    private var firstRequestTimeouts: CounterMirror
    private var connectFailures: CounterMirror
    private var tlsFailures: CounterMirror

    public init(factory: PrometheusMetricsFactory) {
        func counter(_ name: String, _ labels: [(String, String)] = []) -> CounterMirror {
            CounterMirror(factory.counter(name, labels))
        }
        sendErrors = counter("switchboard_sip_send_errors_total")
        var byReason: [DestinationCheck.Refusal: CounterMirror] = [:]
        for reason in DestinationCheck.Refusal.allCases {
            byReason[reason] = counter("switchboard_sip_destinations_refused_total", [("reason", reason.rawValue)])
        }
        refused = byReason
        reopens = counter("switchboard_sip_listener_reopens_total")
        listenersDown = factory.gauge("switchboard_sip_listeners_down")
        inbound = factory.gauge("switchboard_tcp_connections", [("direction", "inbound")])
        outbound = factory.gauge("switchboard_tcp_connections", [("direction", "outbound")])
        refusedInbound = counter("switchboard_tcp_connections_refused_total", [("limit", "inbound")])
        refusedPerSource = counter("switchboard_tcp_connections_refused_total", [("limit", "per_source")])
        refusedOutbound = counter("switchboard_tcp_connections_refused_total", [("limit", "outbound")])
        firstRequestTimeouts = counter("switchboard_tcp_first_request_timeouts_total")
        connectFailures = counter("switchboard_tcp_connect_failures_total")
        tlsFailures = counter("switchboard_tls_handshake_failures_total")
        listenersDown.record(0)
        inbound.record(0)
        outbound.record(0)
    }

    public func record(_ s: TransportStatistics) {
        sendErrors.update(to: s.sendErrors)
        for (reason, count) in s.destinationsRefused { refused[reason]?.update(to: count) }
        reopens.update(to: s.listenerReopens)
        listenersDown.record(s.listenersDown)
        inbound.record(s.inboundConnections)
        outbound.record(s.outboundConnections)
        refusedInbound.update(to: s.refusedInboundLimit)
        refusedPerSource.update(to: s.refusedPerSourceLimit)
        refusedOutbound.update(to: s.refusedOutboundLimit)
        firstRequestTimeouts.update(to: s.firstRequestTimeouts)
        connectFailures.update(to: s.connectFailures)
        tlsFailures.update(to: s.tlsHandshakeFailures)
    }
}
