import NIOCore

/// What the transport counts, read by the daemon for `/metrics` and the sd_notify status.
/// Kept on the transport's event loop (plain integers, no atomics): read it there.
public struct TransportStatistics: Equatable, Sendable {
    /// Writes the kernel (or NIO) refused (the write promise failed), and errors a UDP socket
    /// reported later (ICMP port unreachable: ECONNREFUSED). The socket stays open.
    public var sendErrors = 0
    /// Messages never handed to a socket because of where they were going, by reason.
    public var destinationsRefused: [DestinationCheck.Refusal: Int] = [:]
    /// Listening sockets that closed without us stopping and were bound again.
    public var listenerReopens = 0
    /// Listening sockets closed right now (waiting for a rebind).
    public var listenersDown = 0
    /// Stream connections open now: accepted from peers, and opened by us.
    public var inboundConnections = 0
    public var outboundConnections = 0
    /// Inbound connections closed at once: the global inbound cap, or the per-source cap.
    public var refusedInboundLimit = 0
    public var refusedPerSourceLimit = 0
    /// Outbound connections not opened because the outbound cap was reached.
    public var refusedOutboundLimit = 0
    /// Inbound connections closed because no valid message came within the first-request timeout.
    public var firstRequestTimeouts = 0
    /// Outbound TCP connects that failed (each fails the messages waiting for it).
    public var connectFailures = 0
    /// Messages received here and handed to the loop that owns their call (several loops).
    public var handedOff = 0
    /// TLS connections that failed: handshakes refused (a bad client certificate, a server
    /// that fails verification) or broken TLS records.
    public var tlsHandshakeFailures = 0

    public init() {}

    public var totalDestinationsRefused: Int { destinationsRefused.values.reduce(0, +) }

    /// The counters of several loops' transports added up (for metrics and the status line).
    public static func sum(_ all: [TransportStatistics]) -> TransportStatistics {
        var total = TransportStatistics()
        for s in all {
            total.sendErrors += s.sendErrors
            for (reason, count) in s.destinationsRefused { total.destinationsRefused[reason, default: 0] += count }
            total.listenerReopens += s.listenerReopens
            total.listenersDown += s.listenersDown
            total.inboundConnections += s.inboundConnections
            total.outboundConnections += s.outboundConnections
            total.refusedInboundLimit += s.refusedInboundLimit
            total.refusedPerSourceLimit += s.refusedPerSourceLimit
            total.refusedOutboundLimit += s.refusedOutboundLimit
            total.firstRequestTimeouts += s.firstRequestTimeouts
            total.connectFailures += s.connectFailures
            total.handedOff += s.handedOff
            total.tlsHandshakeFailures += s.tlsHandshakeFailures
        }
        return total
    }
}

/// Logs one line per kind of event at most every `interval`, with how many were not logged:
/// a peer that sends a thousand bad packets must not write a thousand log lines.
struct RateLimitedLog {
    let interval: TimeAmount
    private var last: [String: NIODeadline] = [:]
    private var suppressed: [String: Int] = [:]

    init(interval: TimeAmount = .seconds(10)) { self.interval = interval }

    /// Returns nil when this event should not be logged, else how many of its kind were
    /// suppressed since the last logged one.
    mutating func admit(_ kind: String, now: NIODeadline = .now()) -> Int? {
        if let previous = last[kind], now - previous < interval {
            suppressed[kind, default: 0] += 1
            return nil
        }
        last[kind] = now
        return suppressed.removeValue(forKey: kind) ?? 0
    }
}
