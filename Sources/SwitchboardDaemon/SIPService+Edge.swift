import AdminAPI
import Foundation
import Logging
import NIOCore
import SIPEdge
import SIPMessage
import SIPTransaction
import SwitchboardConfig
import SwitchboardOperations

extension SIPService {
    /// The `security:` section as the edge's configuration.
    static func edgeConfiguration(_ security: SwitchboardConfiguration.Security) -> EdgeConfiguration {
        var edge = EdgeConfiguration()
        edge.untrusted = security.untrusted == "drop" ? .drop : .reject
        edge.flood = .init(requests: security.floodRequests, window: .milliseconds(Int64(security.floodWindowSeconds * 1000)))
        edge.floodNewCalls = security.floodNewCalls
        edge.ban = .milliseconds(Int64(security.banSeconds * 1000))
        edge.trustedFlood = .init(requests: security.trustedFloodRequests,
                                  window: .milliseconds(Int64(security.trustedFloodWindowSeconds * 1000)))
        edge.maxSources = security.maxSources
        return edge
    }

    /// Every message a shard's transport parsed (on the shard's loop): a call living on the
    /// queue home goes there, everything else meets the edge here.
    func receive(_ message: SIPMessage, from peer: SIPPeer, on shard: SIPShard) {
        if shards.count > 1, shard.index != 0,
           let home = registrarHome(for: message) ?? agentCallHome(for: message, from: peer, on: shard)
               ?? queueHome(for: message, from: peer, on: shard) {
            let connection = peer.transport.isReliable ? shard.transport.streamConnection(to: peer) : nil
            home.eventLoop.execute {
                if let connection { home.transport.adopt(connection, for: peer) }
                self.receiveAtEdge(message, from: peer, on: home)
            }
            return
        }
        receiveAtEdge(message, from: peer, on: shard)
    }

    /// REGISTERs (and their retransmissions, same Call-ID: no state to remember) go to the
    /// first shard, where the registrar lives; none of our client transactions sends one.
    func registrarHome(for message: SIPMessage) -> SIPShard? {
        guard agents != nil, case .request(let request) = message else { return nil }
        return request.method == .register ? shards[0] : nil
    }

    /// An agent's new INVITE (from an untrusted source, or one naming an agent or carrying
    /// credentials) goes to the first shard too: the registrar proves it there and the call
    /// lives there. Once it carries credentials, its Call-ID is remembered (as for queue
    /// calls) so its ACK, CANCEL and BYE follow; an INVITE without any is only challenged.
    func agentCallHome(for message: SIPMessage, from peer: SIPPeer, on shard: SIPShard) -> SIPShard? {
        guard let agents, case .request(let request) = message, request.method == .invite, request.to.tag == nil else {
            return nil
        }
        let credentials = !request.headers.values("Proxy-Authorization").isEmpty
        guard credentials || !configuration.isTrusted(peer.host) || agents.names(request) else { return nil }
        if credentials {
            let now = NIODeadline.now()
            let keep = Self.timeAmount(Duration.milliseconds(Int64(configuration.calls.maxDurationSeconds * 1000))) + Self.queueHomeGrace
            if shard.forwarded.count >= 4096, shard.forwarded.count.isMultiple(of: 4096) {
                shard.forwarded = shard.forwarded.filter { $0.value > now }
            }
            shard.forwarded[request.callID] = now + keep
        }
        return shards[0]
    }

    /// Before an agent's INVITE gets a transaction (on the first shard): the registrar's
    /// stateless 407 (or 403 for a blocked source) when it carries no credentials worth one.
    func agentInviteStatelessAnswer(_ request: SIPRequest, from peer: SIPPeer) -> SIPResponse? {
        guard let registrar, request.method == .invite, request.to.tag == nil else { return nil }
        guard !configuration.isTrusted(peer.host) || registrar.claimsInvite(request) else { return nil }
        return registrar.statelessAnswer(toInvite: request, from: peer)
    }

    /// What every received request meets first (the owner shard's loop). A stranger's request
    /// is answered here without any transaction: one 403 sent once (no Timer G, so no
    /// reflection), or nothing.
    func receiveAtEdge(_ message: SIPMessage, from peer: SIPPeer, on shard: SIPShard) {
        guard let layer = shard.layer else { return }
        guard case .request(let request) = message else {
            layer.receive(message, from: peer)  // responses: matched or dropped and counted there
            return
        }
        operations.metrics?.requestReceived(request.method)
        switch edge.admit(request, from: peer) {
        case .pass:
            if let answer = agentInviteStatelessAnswer(request, from: peer) {
                operations.metrics?.responseSent(status: answer.statusCode)
                shard.transport.sendResponse(answer, requestSource: TransactionLayer.responseDestination(for: request, receivedFrom: peer))
                return
            }
            layer.receive(message, from: peer)
        case .reject:
            operations.metrics?.responseSent(status: 403)
            shard.transport.sendResponse(StatelessResponse.forbidden(to: request),
                                         requestSource: TransactionLayer.responseDestination(for: request, receivedFrom: peer))
        case .drop:
            break
        }
    }

    /// One log line a minute about strangers, never one per packet.
    func startEdgeSummary() {
        let every = TimeAmount.seconds(60)
        repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { [self] _ in
            guard let s = edge.takeSummary() else { return }
            logger.notice("edge: strangers and floods in the last minute", metadata: [
                "edge.refused": "\(s.refused)", "edge.dropped": "\(s.dropped)", "edge.banned_drops": "\(s.droppedBanned)",
                "edge.new_bans": "\(s.bans)", "edge.trusted_cap_drops": "\(s.droppedTrustedCap)",
                "edge.bans_active": "\(edge.bans().count)",
            ])
        })
    }

    // MARK: admin endpoint (`GET /bans`, `DELETE /bans/ADDRESS`)

    /// `{"bans": [{"address", "remaining_seconds", "dropped_requests"}]}`.
    public func banDocument() -> EventLoopFuture<[UInt8]> {
        eventLoop.submit { [self] in
            let bans = edge.bans().map {
                BanDocument.Ban(address: $0.address, remainingSeconds: Int(ceil(TokenSeconds.of($0.remaining))),
                                droppedRequests: $0.droppedRequests)
            }
            return AdminDocumentCoding.encode(BanDocument(bans: bans))
        }
    }

    /// Lifts a ban (on every shard: the edge is shared); true when there was one.
    public func liftBan(_ address: String) -> EventLoopFuture<Bool> {
        eventLoop.submit { [self] in
            let lifted = edge.lift(address)
            if lifted { logger.notice("ban lifted by the admin endpoint", metadata: ["sip.peer.address": "\(address)"]) }
            return lifted
        }
    }
}

enum TokenSeconds {
    static func of(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) / 1e18
    }
}
