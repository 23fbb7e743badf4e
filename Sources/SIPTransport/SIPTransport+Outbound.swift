import Logging
import NIOCore
import NIOPosix
import SIPMessage

/// Sending (RFC 3261 §18.1.1, §18.2.2): every datagram passes `DestinationCheck` first, every
/// write carries a promise whose failure is counted (never fatal to a listening socket), and
/// a TCP connect that fails reports the requests waiting for it to the transaction layer.
extension SIPTransport {
    // MARK: Outbound (call on the event loop)

    /// Sends a request (or an ACK/CANCEL) to `peer`, opening a stream connection if needed.
    public func send(_ message: SIPMessage, to peer: SIPPeer) {
        eventLoop.preconditionInEventLoop()
        let bytes = ByteBuffer(bytes: message.serialize())
        send(bytes, to: peer, message: message)
    }

    /// Sends a response where RFC 3261 §18.2.2 says: over the request's connection for stream
    /// transports, else to the top Via's `received`/`rport` or sent-by.
    public func sendResponse(_ response: SIPResponse, requestSource: SIPPeer?) {
        eventLoop.preconditionInEventLoop()
        let bytes = ByteBuffer(bytes: SIPMessage.response(response).serialize())
        switch ResponseRouting.destination(for: response, requestSource: requestSource) {
        case .connection(let peer):
            if let channel = connection(to: peer) {
                write(bytes, on: channel, to: peer)
            } else if let fallback = fallbackAddress(for: response) {
                send(bytes, to: fallback, message: nil)
            }
        case .address(let peer):
            send(bytes, to: peer, message: nil)
        case .none:
            refused(.notAnAddress, peer: nil)
        }
    }

    private func fallbackAddress(for response: SIPResponse) -> SIPPeer? {
        if case .address(let p) = ResponseRouting.destination(for: response, requestSource: nil) { return p }
        return nil
    }

    func send(_ bytes: ByteBuffer, to peer: SIPPeer, message: SIPMessage?) {
        switch peer.transport {
        case .udp:
            sendDatagram(bytes, to: peer, message: message)
        case .tcp, .tls:
            if let channel = connection(to: peer) {
                write(bytes, on: channel, to: peer, message: message)
            } else {
                connect(to: peer, first: bytes, message: message)
            }
        case .ws, .wss:
            // We never open WebSocket connections (RFC 7118 §5: the browser does): a WS
            // peer is reached over its flow or not at all.
            if let channel = connection(to: peer) {
                write(bytes, on: channel, to: peer, message: message)
            } else {
                refusedNoFlow(peer, message: message)
            }
        }
    }

    /// The one place a datagram is handed to a UDP socket: the destination is checked first
    /// (`DestinationCheck`, or its remembered verdict), and a failed write is counted, never
    /// fatal to the socket.
    func sendDatagram(_ bytes: ByteBuffer, to peer: SIPPeer, message: SIPMessage? = nil) {
        if let known = acceptedDestinations[peer], let listener = datagramListener(ipv6: known.isIPv6),
           listener.endpoint == known.listener {
            write(bytes, to: known.address, on: listener.channel, peer: peer, message: message)
            return
        }
        let check = DestinationCheck.check(
            host: peer.host, port: peer.port, broadcasts: broadcasts,
            haveIPv4: datagramListener(ipv6: false) != nil, haveIPv6: datagramListener(ipv6: true) != nil,
            loopbackOnly: { ipv6 in self.datagramListener(ipv6: ipv6).map { DestinationCheck.isLoopback($0.endpoint.host) } ?? false })
        switch check {
        case .failure(let refusal):
            refused(refusal, peer: peer)
            reportSendFailure(message, peer)
        case .success(let accepted):
            guard let listener = datagramListener(ipv6: accepted.isIPv6),
                  let address = try? SocketAddress(ipAddress: accepted.host, port: accepted.port) else {
                refused(.wrongFamily, peer: peer)
                reportSendFailure(message, peer)
                return
            }
            // The verdict of a success depends only on the host, the port, the broadcast
            // addresses and the listener of the accepted family (whether it exists, and
            // whether it is bound to loopback): remembered with that listener's endpoint.
            if acceptedDestinations.count >= Self.maxAcceptedDestinations { acceptedDestinations.removeAll(keepingCapacity: true) }
            acceptedDestinations[peer] = AcceptedDestination(address: address, isIPv6: accepted.isIPv6, listener: listener.endpoint)
            write(bytes, to: address, on: listener.channel, peer: peer, message: message)
        }
    }

    private func write(_ bytes: ByteBuffer, to address: SocketAddress, on channel: any Channel, peer: SIPPeer, message: SIPMessage?) {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { self.sendFailed($0, peer: peer, message: message) }
        channel.write(AddressedEnvelope(remoteAddress: address, data: bytes), promise: promise)
        flushLater(channel)
    }

    /// Flushes `channel` at the end of this loop turn, with every other datagram written to it
    /// in the turn: NIO hands several pending datagrams to one `sendmmsg`, where a flush per
    /// message cost a `sendmsg` and a pass through the pipeline each (a read burst of 16
    /// requests answers with 16 or more datagrams). The delay is the rest of the turn.
    private func flushLater(_ channel: any Channel) {
        if unflushedDatagramChannels.isEmpty { eventLoop.execute { self.flushDatagrams() } }
        if !unflushedDatagramChannels.contains(where: { $0 === channel }) { unflushedDatagramChannels.append(channel) }
    }

    /// Flushes the datagram sockets written to since the last flush (event loop).
    func flushDatagrams() {
        guard !unflushedDatagramChannels.isEmpty else { return }
        let channels = unflushedDatagramChannels
        unflushedDatagramChannels.removeAll(keepingCapacity: true)
        for channel in channels { channel.flush() }
    }

    /// A datagram destination `DestinationCheck` accepted, and against which listener.
    struct AcceptedDestination {
        let address: SocketAddress
        let isIPv6: Bool
        let listener: SIPTransportConfiguration.Endpoint
    }

    func write(_ bytes: ByteBuffer, on channel: any Channel, to peer: SIPPeer, message: SIPMessage? = nil) {
        if channel.eventLoop === eventLoop {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenFailure { self.sendFailed($0, peer: peer, message: message) }
            channel.writeAndFlush(bytes, promise: promise)
        } else {
            // A connection of another loop (borrowed): NIO hops to its loop; a failure comes
            // back here, where our counters live.
            let promise = channel.eventLoop.makePromise(of: Void.self)
            promise.futureResult.whenFailure { error in self.eventLoop.execute { self.sendFailed(error, peer: peer, message: message) } }
            channel.writeAndFlush(bytes, promise: promise)
        }
    }

    func sendFailed(_ error: any Error, peer: SIPPeer, message: SIPMessage?) {
        statistics.sendErrors += 1
        if let suppressed = sendLog.admit("send error") {
            logger.warning("send failed; message dropped", metadata: [
                "sip.peer": "\(peer)", "error": "\(error)", "suppressed": "\(suppressed)"])
        }
        reportSendFailure(message, peer)
    }

    /// A message for a WebSocket peer whose connection is gone (event loop).
    func refusedNoFlow(_ peer: SIPPeer, message: SIPMessage?) {
        statistics.sendErrors += 1
        logRateLimited("message not sent: the WebSocket flow is closed", kind: "no flow", peer: peer)
        reportSendFailure(message, peer)
    }

    /// Tells the layer a request never left. Always from a fresh loop turn: the layer may be
    /// in the middle of the very send that failed.
    private func reportSendFailure(_ message: SIPMessage?, _ peer: SIPPeer) {
        guard let message, case .request = message else { return }
        eventLoop.execute { self.onSendFailure(message, peer) }
    }

    /// An error the UDP socket reported on its own (ICMP errors of earlier sends).
    func socketErrorCaught(_ error: any Error) {
        statistics.sendErrors += 1
        if let suppressed = sendLog.admit("socket error") {
            logger.notice("UDP socket error (an earlier send failed)", metadata: [
                "error": "\(error)", "suppressed": "\(suppressed)"])
        }
    }

    func refused(_ refusal: DestinationCheck.Refusal, peer: SIPPeer?) {
        statistics.destinationsRefused[refusal, default: 0] += 1
        if let suppressed = sendLog.admit("refused \(refusal.rawValue)") {
            logger.notice("message not sent: unusable destination", metadata: [
                "sip.peer": "\(peer.map { "\($0)" } ?? "none")", "reason": "\(refusal.rawValue)",
                "suppressed": "\(suppressed)"])
        }
    }

    func logRateLimited(_ message: Logger.Message, kind: String, peer: SIPPeer) {
        if let suppressed = sendLog.admit(kind) {
            logger.warning(message, metadata: ["sip.peer": "\(peer)", "suppressed": "\(suppressed)"])
        }
    }

    private func connect(to peer: SIPPeer, first bytes: ByteBuffer, message: SIPMessage?) {
        if pendingConnects[peer] != nil {
            pendingConnects[peer]?.append((bytes, message))
            return
        }
        // The shape checks of a datagram destination hold for a connect too (port 0,
        // broadcast, multicast…); the kernel picks the source address, so no loopback rule.
        let check = DestinationCheck.check(host: peer.host, port: peer.port, broadcasts: broadcasts,
                                           haveIPv4: true, haveIPv6: true)
        guard case .success(let accepted) = check, let address = try? SocketAddress(ipAddress: accepted.host, port: accepted.port) else {
            if case .failure(let refusal) = check { refused(refusal, peer: peer) }
            reportSendFailure(message, peer)
            return
        }
        if statistics.outboundConnections + pendingConnects.count >= configuration.maxOutboundConnections {
            statistics.refusedOutboundLimit += 1
            logRateLimited("not connecting: outbound connection limit reached", kind: "outbound limit", peer: peer)
            reportSendFailure(message, peer)
            return
        }
        if peer.transport == .tls, tls.client == nil {
            logRateLimited("not connecting: TLS is not configured", kind: "no tls", peer: peer)
            reportSendFailure(message, peer)
            return
        }
        pendingConnects[peer] = [(bytes, message)]
        let serverName = configuration.tlsServerNames[peer] ?? Self.tlsServerName(for: message)
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if peer.transport == .tls { try self.addTLSClientHandler(to: channel, serverName: serverName) }
                    try self.addStreamHandlers(to: channel, transport: peer.transport, outbound: true)
                }
            }
            .connect(to: address)
            .whenComplete { result in
                let queued = self.pendingConnects.removeValue(forKey: peer) ?? []
                switch result {
                case .success(let channel):
                    for item in queued { self.write(item.bytes, on: channel, to: peer, message: item.message) }
                case .failure(let error):
                    // RFC 3261 §17.1.4 / §8.1.3.1: the requests that waited for this connection
                    // failed to send; their transactions end now (the TU sees a 503).
                    self.statistics.connectFailures += 1
                    if let suppressed = self.sendLog.admit("connect failed") {
                        self.logger.warning("connect failed", metadata: [
                            "sip.peer": "\(peer)", "error": "\(error)", "suppressed": "\(suppressed)"])
                    }
                    for item in queued { self.reportSendFailure(item.message, peer) }
                }
            }
    }
}
