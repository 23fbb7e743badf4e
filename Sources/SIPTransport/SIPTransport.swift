import Logging
import NIOCore
import NIOPosix
import SIPMessage

/// UDP and TCP listeners, the table of open stream connections, and sending (RFC 3261 §18).
///
/// Threading: every channel the transport opens lives on the one `eventLoop` it is given, and
/// all mutable state (listeners, the connection table, the counters) is touched only there;
/// `onMessage` is called on that loop too. That is why the class is `@unchecked Sendable`:
/// the event loop, not a lock, serialises access (as NIO advises for protocol state).
public final class SIPTransport: @unchecked Sendable {
    public typealias MessageHandler = (SIPMessage, SIPPeer) -> Void

    public let configuration: SIPTransportConfiguration
    public let eventLoop: any EventLoop
    let logger: Logger
    /// Called on `eventLoop` for every well-formed message, after Via stamping.
    public var onMessage: MessageHandler = { _, _ in }
    /// Called on `eventLoop` for each message refused by the parser (for metrics).
    public var onMalformed: (SIPParseError, SIPPeer) -> Void = { _, _ in }
    /// Whether a malformed request from `peer` gets its stateless error response (400 …). The
    /// daemon's edge says no for banned sources and under `untrusted: drop`. Default: always.
    public var answersMalformed: (SIPPeer) -> Bool = { _ in true }
    /// Whether anything from `peer` is looked at, asked before parsing: the daemon's edge says
    /// no for banned sources, so their floods cost no parse. Default: always.
    public var acceptsSource: (SIPPeer) -> Bool = { _ in true }

    /// Called on `eventLoop` for a message that could not be sent at all (the TCP connect it
    /// waited for failed), so the transaction layer ends its transaction at once (RFC 3261
    /// §17.1.4) instead of waiting for Timer B/F.
    public var onSendFailure: (SIPMessage, SIPPeer) -> Void = { _, _ in }
    /// Called on `eventLoop` when a listening socket closed under us or was bound again
    /// (the daemon updates its sd_notify status at once).
    public var onListenerChange: () -> Void = {}
    /// Counters for metrics (event loop only).
    public internal(set) var statistics = TransportStatistics()
    /// With SIP on several loops (issue 12 item 4): the transport of the loop that owns a
    /// message, from its raw bytes (`CallIDSharding`); nil or `self` keeps it here. Set
    /// before `start()`, read on the receiving loop.
    public var owner: (@Sendable ([UInt8]) -> SIPTransport?)?
    /// Stream connections of other loops' transports that carried a message to this loop:
    /// the calls here answer over them (RFC 3261 §18.2.2), writing through the channel (NIO
    /// hops to the channel's loop). Dropped when found closed.
    var borrowed: [SIPPeer: any Channel] = [:]
    private var borrowedPruneAt = 1024
    /// Messages for other loops, per target, until `flushHandOffs` (event loop).
    var handOffs: [(target: SIPTransport, items: [HandOff])] = []

    var listeners: [Listener] = []
    var stopping = false
    var sendLog = RateLimitedLog()
    /// Local interfaces' broadcast addresses, read at start.
    var broadcasts: Set<String> = [] { didSet { acceptedDestinations.removeAll() } }
    /// Datagram destinations that passed `DestinationCheck`, by peer (event loop). The check
    /// parses the host text (inet_pton and back) and builds a `SocketAddress` on every send,
    /// about 5 % of the daemon's CPU under call load (bench/README.md, perf); a call sends its
    /// dozen datagrams to the same two or three peers. An entry holds only while the listener
    /// the check was made against is still the one of that family; bounded, since response
    /// destinations come from the peers' Vias.
    var acceptedDestinations: [SIPPeer: AcceptedDestination] = [:]
    static let maxAcceptedDestinations = 1024
    /// UDP sockets written to in this loop turn, flushed together at its end (`flushLater`).
    var unflushedDatagramChannels: [any Channel] = []
    /// Open stream connections by remote peer; responses reuse them (§18.2.2).
    var connections: [SIPPeer: any Channel] = [:]
    /// Inbound connections per source address, for the per-source cap.
    private var inboundPerHost: [String: Int] = [:]
    /// Outbound connections being set up, with the messages waiting for them.
    var pendingConnects: [SIPPeer: [(bytes: ByteBuffer, message: SIPMessage?)]] = [:]
    /// TLS contexts for `tls:`/`wss:` listeners and outbound TLS (SIPTransport+TLS).
    var tls = TLSContexts()

    public init(configuration: SIPTransportConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// The addresses actually bound (port 0 in the configuration becomes the kernel's choice).
    public private(set) var boundEndpoints: [SIPTransportConfiguration.Endpoint] = []

    public var openConnectionCount: Int { connections.count }

    // MARK: Start and stop

    /// Binds the configured endpoints, or `endpoints` when given: the SIP loops after the
    /// first bind the addresses it actually got (a configured port 0 is the kernel's choice).
    public func start(binding endpoints: [SIPTransportConfiguration.Endpoint]? = nil) async throws {
        let broadcasts = Self.localBroadcastAddresses()
        try await eventLoop.submit { self.broadcasts = broadcasts }.get()
        try await loadTLSAtStart(endpoints ?? configuration.endpoints)
        for endpoint in endpoints ?? configuration.endpoints {
            let channel = try await bind(endpoint).get()
            let bound = Self.endpoint(endpoint.transport, channel.localAddress) ?? endpoint
            try await eventLoop.submit {
                self.listeners.append(Listener(endpoint: bound, channel: channel))
                self.boundEndpoints.append(bound)
                self.watch(self.listeners.count - 1, channel)
            }.get()
            logger.info("listening", metadata: ["sip.listen": "\(bound)"])
        }
    }

    public func stop() async {
        let channels: [any Channel] = (try? await eventLoop.submit {
            self.stopping = true
            return self.listeners.compactMap(\.channel) + Array(self.connections.values)
        }.get()) ?? []
        for channel in channels { try? await channel.close() }
    }

    static func endpoint(_ transport: SIPTransportProtocol, _ address: SocketAddress?) -> SIPTransportConfiguration.Endpoint? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        return .init(transport: transport, host: ip, port: port)
    }

    static func peer(_ transport: SIPTransportProtocol, _ address: SocketAddress?) -> SIPPeer? {
        guard let address, let ip = address.ipAddress, let port = address.port else { return nil }
        return SIPPeer(transport: transport, host: ip, port: port)
    }

    func addStreamHandlers(to channel: any Channel, transport: SIPTransportProtocol = .tcp, outbound: Bool) throws {
        let idle = configuration.idleTimeout
        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
        try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(transport: self, protocol: transport, outbound: outbound))
    }

    // MARK: Inbound (called by the channel handlers, on the event loop)

    /// Parses one framed message and hands it up, or answers a malformed request statelessly.
    /// Returns whether the message was well-formed (a stream connection's first one ends its
    /// first-request timeout; a banned source's never does).
    @discardableResult
    func receive(_ buffer: ByteBuffer, framing: SIPFraming, from peer: SIPPeer, replyOn channel: any Channel) -> Bool {
        guard acceptsSource(peer) else { return false }
        let bytes = Array(buffer.readableBytesView)
        if let owner, let target = owner(bytes), target !== self {
            // Another loop owns this call: it parses. (A stream's first message counts as
            // well-formed here; the owner answers it if it is not.) Queued here and sent at
            // the end of the read burst (`flushHandOffs`): one task per target loop per
            // burst, not one per message.
            statistics.handedOff += 1
            let item = HandOff(bytes: bytes, framing: framing, peer: peer, channel: channel)
            if let index = handOffs.firstIndex(where: { $0.target === target }) {
                handOffs[index].items.append(item)
            } else {
                handOffs.append((target, [item]))
            }
            return true
        }
        return parse(bytes, framing: framing, from: peer, replyOn: channel)
    }

    /// A message received here for another loop, waiting for the end of the read burst.
    struct HandOff {
        let bytes: [UInt8]
        let framing: SIPFraming
        let peer: SIPPeer
        let channel: any Channel
    }

    /// Hands the messages queued by `receive` to their loops, one task per loop (event loop;
    /// the channel handlers call it when a read burst ends).
    func flushHandOffs() {
        guard !handOffs.isEmpty else { return }
        let batches = handOffs
        handOffs.removeAll(keepingCapacity: true)
        for (target, items) in batches {
            target.eventLoop.execute {
                for item in items { target.receiveHandedOff(item.bytes, framing: item.framing, from: item.peer, replyOn: item.channel) }
            }
        }
    }

    /// A message another loop's transport received for a call of this loop (event loop).
    func receiveHandedOff(_ bytes: [UInt8], framing: SIPFraming, from peer: SIPPeer, replyOn channel: any Channel) {
        if peer.transport.isReliable { adopt(channel, for: peer) }
        parse(bytes, framing: framing, from: peer, replyOn: channel)
    }

    /// The stream connection to `peer` this transport answers over, if any (event loop): the
    /// daemon lends it to the loop it forwards a parsed message to.
    public func streamConnection(to peer: SIPPeer) -> (any Channel)? { connection(to: peer) }

    /// Answers `peer` over `channel` (another loop's connection) from now on (event loop).
    public func adopt(_ channel: any Channel, for peer: SIPPeer) {
        guard connections[peer] == nil, borrowed[peer] !== channel else { return }
        borrowed[peer] = channel
        // Closed connections leave with their next lookup, or here, amortised.
        if borrowed.count > borrowedPruneAt {
            borrowed = borrowed.filter { $0.value.isActive }
            borrowedPruneAt = max(1024, borrowed.count * 2)
        }
    }

    /// The connection to `peer` to write on: ours, else one borrowed from another loop.
    func connection(to peer: SIPPeer) -> (any Channel)? {
        if let channel = connections[peer] { return channel }
        guard let channel = borrowed[peer] else { return nil }
        if channel.isActive { return channel }
        borrowed[peer] = nil
        return nil
    }

    @discardableResult
    private func parse(_ bytes: [UInt8], framing: SIPFraming, from peer: SIPPeer, replyOn channel: any Channel) -> Bool {
        switch SIPMessageParser.parse(bytes, limits: configuration.limits, framing: framing) {
        case .success(.request(var request)):
            ViaStamping.stamp(&request, source: peer)
            onMessage(.request(request), peer)
            return true
        case .success(.response(let response)):
            onMessage(.response(response), peer)
            return true
        case .failure(let error):
            onMalformed(error, peer)
            logger.debug("malformed SIP message", metadata: [
                "sip.peer": "\(peer)", "sip.status": "\(error.status)", "reason": "\(error.reason)",
            ])
            // A malformed response cannot be answered (RFC 4475 §3.1.2.19); a request gets its
            // error status back to where it came from when we found a Via to copy.
            guard !error.isResponse, answersMalformed(peer), let reply = error.responseBytes(toTag: Self.makeTag()) else { return false }
            if peer.transport.isReliable {
                write(ByteBuffer(bytes: reply), on: channel, to: peer)
            } else {
                sendDatagram(ByteBuffer(bytes: reply), to: peer)
            }
            return false
        }
    }

    /// Admits a stream connection into the table. Inbound ones are held to the global inbound
    /// cap and the per-source cap; outbound ones were admitted by `connect(to:first:)`.
    func registerConnection(_ channel: any Channel, peer: SIPPeer, outbound: Bool) -> Bool {
        if outbound {
            statistics.outboundConnections += 1
        } else {
            if statistics.inboundConnections >= configuration.maxConnections {
                statistics.refusedInboundLimit += 1
                logRateLimited("refusing stream connection: inbound limit reached", kind: "inbound limit", peer: peer)
                return false
            }
            if inboundPerHost[peer.host, default: 0] >= configuration.maxConnectionsPerSource {
                statistics.refusedPerSourceLimit += 1
                logRateLimited("refusing stream connection: per-source limit reached", kind: "per-source limit", peer: peer)
                return false
            }
            statistics.inboundConnections += 1
            inboundPerHost[peer.host, default: 0] += 1
        }
        connections[peer] = channel
        return true
    }

    /// Undoes one successful `registerConnection`.
    func unregisterConnection(_ channel: any Channel, peer: SIPPeer, outbound: Bool) {
        if let existing = connections[peer], existing === channel { connections[peer] = nil }
        if outbound {
            statistics.outboundConnections -= 1
        } else {
            statistics.inboundConnections -= 1
            let left = inboundPerHost[peer.host, default: 1] - 1
            inboundPerHost[peer.host] = left > 0 ? left : nil
        }
    }

    func firstRequestTimedOut(_ peer: SIPPeer) {
        statistics.firstRequestTimeouts += 1
        logRateLimited("closing connection: no valid SIP message within the first-request timeout",
                       kind: "first-request timeout", peer: peer)
    }

    static func makeTag() -> String { SIPToken.tag() }
}

public enum SIPTransportError: Error, Sendable {
    case unsupportedTransport(SIPTransportProtocol)
}
