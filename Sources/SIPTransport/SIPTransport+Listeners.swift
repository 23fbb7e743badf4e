#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import SIPMessage

extension NIOBSDSocket.Option {
    /// SO_REUSEPORT (NIO names no constant for it): several sockets on one address, one per
    /// SIP loop; the kernel spreads peers over them by address hash.
    static let soReusePort = NIOBSDSocket.Option(rawValue: SO_REUSEPORT)
}

/// Listening sockets: binding them, and binding them again when one closes while we are not
/// stopping. A UDP listener can close under us (NIO closes a datagram channel on any send
/// errno but EMSGSIZE/EHOSTUNREACH); without this the process would stay up deaf on UDP and
/// systemd would see nothing (issue 13, item 0).
extension SIPTransport {
    struct Listener {
        /// The address actually bound: a rebind reuses its port, never the configured 0.
        var endpoint: SIPTransportConfiguration.Endpoint
        var channel: (any Channel)?
        /// Failed rebind attempts in a row (for the backoff).
        var failures = 0
    }

    /// Shortest and longest wait between rebind attempts (the first one is immediate).
    static let rebindBackoff: (first: TimeAmount, limit: TimeAmount) = (.milliseconds(50), .seconds(5))

    func bind(_ endpoint: SIPTransportConfiguration.Endpoint) -> EventLoopFuture<any Channel> {
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: endpoint.host, port: endpoint.port)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
        switch endpoint.transport {
        case .udp:
            // No SO_REUSEADDR on UDP: on Linux it would let a second daemon share the port
            // and split the traffic silently.
            return DatagramBootstrap(group: eventLoop)
                // Several SIP loops: one socket each on the same address (configuration).
                .channelOption(.socketOption(.soReusePort), value: configuration.reusePort ? 1 : 0)
                // Up to 16 datagrams per readable event (NIO's default is 4): with several SIP
                // loops one socket may carry most of the traffic and hand it on.
                .channelOption(ChannelOptions.maxMessagesPerRead, value: 16)
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
                .bind(to: address)
        case .tcp:
            return bindStream(address) { channel in
                try self.addStreamHandlers(to: channel, outbound: false)
            }
        case .tls:
            return bindTLS(address)
        case .ws, .wss:
            return bindWebSocket(address, secure: endpoint.transport == .wss)
        }
    }

    /// A listening socket for a stream transport (TCP, TLS, WS, WSS), accepted on this loop so
    /// the connection caps hold; `setUp` builds each accepted connection's pipeline.
    func bindStream(_ address: SocketAddress,
                    setUp: @escaping @Sendable (any Channel) throws -> Void) -> EventLoopFuture<any Channel> {
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try setUp(channel) }
            }
            .bind(to: address)
            .map { $0 as any Channel }
    }

    /// Starts watching listener `index` (event loop).
    func watch(_ index: Int, _ channel: any Channel) {
        channel.closeFuture.whenComplete { _ in
            self.eventLoop.execute { self.listenerClosed(index, channel) }
        }
    }

    private func listenerClosed(_ index: Int, _ channel: any Channel) {
        guard !stopping, listeners.indices.contains(index), listeners[index].channel === channel else { return }
        listeners[index].channel = nil
        statistics.listenersDown += 1
        logger.error("listening socket closed; binding it again", metadata: ["sip.listen": "\(listeners[index].endpoint)"])
        onListenerChange()
        rebind(index)
    }

    private func rebind(_ index: Int) {
        guard !stopping else { return }
        let endpoint = listeners[index].endpoint
        bind(endpoint).whenComplete { result in
            self.eventLoop.execute {
                switch result {
                case .success(let channel):
                    if self.stopping {
                        channel.close(promise: nil)
                        return
                    }
                    self.listeners[index].channel = channel
                    self.listeners[index].failures = 0
                    self.statistics.listenersDown -= 1
                    self.statistics.listenerReopens += 1
                    self.logger.notice("listening socket reopened", metadata: [
                        "sip.listen": "\(endpoint)", "reopens": "\(self.statistics.listenerReopens)"])
                    self.watch(index, channel)
                    self.onListenerChange()
                case .failure(let error):
                    self.listeners[index].failures += 1
                    let failures = self.listeners[index].failures
                    if let suppressed = self.sendLog.admit("rebind \(endpoint)") {
                        self.logger.error("cannot bind the listening socket again; retrying", metadata: [
                            "sip.listen": "\(endpoint)", "error": "\(error)", "attempts": "\(failures)",
                            "suppressed": "\(suppressed)"])
                    }
                    let delay = min(Self.rebindBackoff.first * Int64(1 << min(failures - 1, 10)), Self.rebindBackoff.limit)
                    self.eventLoop.scheduleTask(in: delay) { self.rebind(index) }
                }
            }
        }
    }

    /// The open UDP listener of one address family, with the address it is bound to.
    func datagramListener(ipv6: Bool) -> (endpoint: SIPTransportConfiguration.Endpoint, channel: any Channel)? {
        for listener in listeners where listener.endpoint.transport == .udp && listener.endpoint.host.contains(":") == ipv6 {
            if let channel = listener.channel { return (listener.endpoint, channel) }
        }
        return nil
    }

    /// The open listening channel bound to `endpoint` (tests close it to exercise the rebind).
    func listeningChannel(_ endpoint: SIPTransportConfiguration.Endpoint) -> (any Channel)? {
        listeners.first { $0.endpoint == endpoint }?.channel
    }

    /// Broadcast addresses of the local interfaces (EACCES if we sent to one without SO_BROADCAST).
    static func localBroadcastAddresses() -> Set<String> {
        let devices = (try? System.enumerateDevices()) ?? []
        return Set(devices.compactMap { $0.broadcastAddress?.ipAddress })
    }
}
