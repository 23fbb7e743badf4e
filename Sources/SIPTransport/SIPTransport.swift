import Logging
import NIOCore
import NIOPosix
import SIPMessage

/// UDP and TCP listeners, the table of open stream connections, and sending (RFC 3261 §18).
///
/// Threading: every channel the transport opens lives on the one `eventLoop` it is given, and
/// all mutable state (the connection table, the datagram channels) is touched only there;
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

    private var datagramChannels: [(endpoint: SIPTransportConfiguration.Endpoint, channel: any Channel)] = []
    private var servers: [(endpoint: SIPTransportConfiguration.Endpoint, channel: any Channel)] = []
    /// Open stream connections by remote peer; responses reuse them (§18.2.2).
    private var connections: [SIPPeer: any Channel] = [:]
    /// Outbound connections being set up, with the messages waiting for them.
    private var pendingConnects: [SIPPeer: [ByteBuffer]] = [:]

    public init(configuration: SIPTransportConfiguration, eventLoop: any EventLoop, logger: Logger) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// The addresses actually bound (port 0 in the configuration becomes the kernel's choice).
    public private(set) var boundEndpoints: [SIPTransportConfiguration.Endpoint] = []

    public var openConnectionCount: Int { connections.count }

    // MARK: Start and stop

    public func start() async throws {
        for endpoint in configuration.endpoints {
            let address = try SocketAddress(ipAddress: endpoint.host, port: endpoint.port)
            switch endpoint.transport {
            case .udp:
                // No SO_REUSEADDR on UDP: on Linux it would let a second daemon share the port
                // and split the traffic silently.
                let channel = try await DatagramBootstrap(group: eventLoop)
                    .channelOption(ChannelOptions.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                    // One loop thread shares the cores with everything else: a 4 MiB receive
                    // buffer (the kernel caps it at net.core.rmem_max) rides out the moments it is
                    // not scheduled; the 208 KiB default overflowed at 300 calls/s (bench/calls).
                    .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(transport: self))
                        }
                    }
                    .bind(to: address).get()
                let bound = Self.endpoint(.udp, channel.localAddress) ?? endpoint
                try await eventLoop.submit {
                    self.datagramChannels.append((bound, channel))
                    self.boundEndpoints.append(bound)
                }.get()
            case .tcp:
                let channel = try await ServerBootstrap(group: eventLoop)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: 256)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try self.addStreamHandlers(to: channel)
                        }
                    }
                    .bind(to: address).get()
                let bound = Self.endpoint(.tcp, channel.localAddress) ?? endpoint
                try await eventLoop.submit {
                    self.servers.append((bound, channel))
                    self.boundEndpoints.append(bound)
                }.get()
            default:
                throw SIPTransportError.unsupportedTransport(endpoint.transport)
            }
            logger.info("listening", metadata: ["sip.listen": "\(boundEndpoints.last.map { "\($0)" } ?? "\(endpoint)")"])
        }
    }

    public func stop() async {
        let channels: [any Channel] = (try? await eventLoop.submit {
            self.servers.map(\.channel) + self.datagramChannels.map(\.channel) + Array(self.connections.values)
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

    func addStreamHandlers(to channel: any Channel) throws {
        let idle = configuration.idleTimeout
        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
        try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(transport: self))
    }

    // MARK: Inbound (called by the channel handlers, on the event loop)

    /// Parses one framed message and hands it up, or answers a malformed request statelessly.
    func receive(_ buffer: ByteBuffer, framing: SIPFraming, from peer: SIPPeer, replyOn channel: any Channel) {
        guard acceptsSource(peer) else { return }
        let bytes = Array(buffer.readableBytesView)
        switch SIPMessageParser.parse(bytes, limits: configuration.limits, framing: framing) {
        case .success(.request(var request)):
            ViaStamping.stamp(&request, source: peer)
            onMessage(.request(request), peer)
        case .success(.response(let response)):
            onMessage(.response(response), peer)
        case .failure(let error):
            onMalformed(error, peer)
            logger.debug("malformed SIP message", metadata: [
                "sip.peer": "\(peer)", "sip.status": "\(error.status)", "reason": "\(error.reason)",
            ])
            // A malformed response cannot be answered (RFC 4475 §3.1.2.19); a request gets its
            // error status back to where it came from when we found a Via to copy.
            guard !error.isResponse, answersMalformed(peer), let reply = error.responseBytes(toTag: Self.makeTag()) else { return }
            write(ByteBuffer(bytes: reply), to: peer, on: channel)
        }
    }

    func registerConnection(_ channel: any Channel, peer: SIPPeer) -> Bool {
        if connections.count >= configuration.maxConnections {
            logger.warning("refusing stream connection: limit reached", metadata: ["sip.peer": "\(peer)"])
            return false
        }
        connections[peer] = channel
        return true
    }

    func unregisterConnection(_ channel: any Channel, peer: SIPPeer) {
        if let existing = connections[peer], existing === channel { connections[peer] = nil }
    }

    // MARK: Outbound (call on the event loop)

    /// Sends a request (or an ACK/CANCEL) to `peer`, opening a stream connection if needed.
    public func send(_ message: SIPMessage, to peer: SIPPeer) {
        eventLoop.preconditionInEventLoop()
        let bytes = ByteBuffer(bytes: message.serialize())
        send(bytes, to: peer)
    }

    /// Sends a response where RFC 3261 §18.2.2 says: over the request's connection for stream
    /// transports, else to the top Via's `received`/`rport` or sent-by.
    public func sendResponse(_ response: SIPResponse, requestSource: SIPPeer?) {
        eventLoop.preconditionInEventLoop()
        let bytes = ByteBuffer(bytes: SIPMessage.response(response).serialize())
        switch ResponseRouting.destination(for: response, requestSource: requestSource) {
        case .connection(let peer):
            if let channel = connections[peer] {
                channel.writeAndFlush(bytes, promise: nil)
            } else if let fallback = fallbackAddress(for: response) {
                send(bytes, to: fallback)
            }
        case .address(let peer):
            send(bytes, to: peer)
        case .none:
            logger.debug("response has no usable Via; dropped", metadata: ["sip.call_id": "\(response.callID)"])
        }
    }

    private func fallbackAddress(for response: SIPResponse) -> SIPPeer? {
        if case .address(let p) = ResponseRouting.destination(for: response, requestSource: nil) { return p }
        return nil
    }

    func send(_ bytes: ByteBuffer, to peer: SIPPeer) {
        switch peer.transport {
        case .udp:
            guard let channel = datagramChannel(for: peer.host) else {
                logger.warning("no UDP socket for address family", metadata: ["sip.peer": "\(peer)"])
                return
            }
            write(bytes, to: peer, on: channel)
        case .tcp:
            if let channel = connections[peer] {
                channel.writeAndFlush(bytes, promise: nil)
            } else {
                connect(to: peer, first: bytes)
            }
        default:
            logger.warning("transport not supported yet", metadata: ["sip.peer": "\(peer)"])
        }
    }

    private func write(_ bytes: ByteBuffer, to peer: SIPPeer, on channel: any Channel) {
        if peer.transport == .udp {
            guard let address = try? SocketAddress(ipAddress: peer.host, port: peer.port) else { return }
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: bytes), promise: nil)
        } else {
            channel.writeAndFlush(bytes, promise: nil)
        }
    }

    private func datagramChannel(for host: String) -> (any Channel)? {
        let wantV6 = host.contains(":")
        return datagramChannels.first { ($0.endpoint.host.contains(":")) == wantV6 }?.channel ?? datagramChannels.first?.channel
    }

    private func connect(to peer: SIPPeer, first bytes: ByteBuffer) {
        if pendingConnects[peer] != nil {
            pendingConnects[peer]?.append(bytes)
            return
        }
        guard let address = try? SocketAddress(ipAddress: peer.host, port: peer.port) else {
            logger.warning("cannot connect: not an IP address", metadata: ["sip.peer": "\(peer)"])
            return
        }
        pendingConnects[peer] = [bytes]
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try self.addStreamHandlers(to: channel) }
            }
            .connect(to: address)
            .whenComplete { result in
                let queued = self.pendingConnects.removeValue(forKey: peer) ?? []
                switch result {
                case .success(let channel):
                    for b in queued { channel.write(b, promise: nil) }
                    channel.flush()
                case .failure(let error):
                    self.logger.warning("connect failed", metadata: ["sip.peer": "\(peer)", "error": "\(error)"])
                }
            }
    }

    static func makeTag() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }
}

public enum SIPTransportError: Error, Sendable {
    case unsupportedTransport(SIPTransportProtocol)
}
