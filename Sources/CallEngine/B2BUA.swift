import Logging
import SIPMessage
import SIPTransaction

/// The transaction user of the daemon: what it answers to each request, and the dispatch of
/// calls to the `CallEngine`.
///
/// Policy order follows a carrier's expectations: untrusted sources are refused before
/// anything about the request is looked at (one identical 403 for every number, so the
/// answer leaks nothing about which numbers exist), then RFC 3261 §8.2 checks, then the method.
public final class B2BUA: TransactionUser {
    /// Methods we implement as a UAS. REGISTER and friends are known but not served here.
    public static let allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK"
    static let knownNotAllowed: Set<SIPMethod> = [.register, .subscribe, .notify, .refer, .message, .publish]
    static let inDialogOnly: Set<SIPMethod> = [.bye, .update, .info, .prack]

    let layer: TransactionLayer
    public let engine: CallEngine
    let isTrusted: (String) -> Bool
    let serverHeader: String?
    var logger: Logger
    /// An OPTIONS addressed to this server (no user part: a carrier's hop-by-hop keep-alive,
    /// often sent with Max-Forwards 0) is answered here as a UAS (RFC 3261 §16.3 item 3);
    /// one addressed to a user would be forwarded, so Max-Forwards 0 gets 483 (RFC 4475 zeromf).
    let serverChecks = RequestChecks(configuration: .init(locallyAnsweredMethods: [.options]))
    let forwardedChecks = RequestChecks()

    /// Answers REGISTER (the daemon's registrar, issue 15); nil: REGISTER gets 405.
    /// Agents register from anywhere, so this is asked before the trusted-source check.
    public var registrar: ((_ request: SIPRequest, _ source: SIPPeer) -> SIPResponse)?
    /// Whether a new INVITE is an agent's own call (`CallEngine.receiveAgentInvite`) rather
    /// than a carrier's; nil: agents place no calls.
    public var claimsAgentInvite: ((_ request: SIPRequest, _ source: SIPPeer) -> Bool)?

    /// Counters the daemon exports as metrics.
    public private(set) var requestsReceived = 0
    public private(set) var requestsForbidden = 0

    public init(layer: TransactionLayer, engine: CallEngine, isTrusted: @escaping (String) -> Bool,
                serverHeader: String?, logger: Logger) {
        self.layer = layer
        self.engine = engine
        self.isTrusted = isTrusted
        self.serverHeader = serverHeader
        self.logger = logger
    }

    // MARK: TransactionUser

    public func didReceiveRequest(_ request: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) {
        requestsReceived += 1
        var log = logger
        log[metadataKey: "sip.call_id"] = "\(request.callID)"
        log[metadataKey: "sip.method"] = "\(request.method)"
        log[metadataKey: "sip.peer"] = "\(peer)"

        // In-dialog requests belong to calls whose legs may be anywhere (the callee's phone
        // is not a trusted carrier): the dialog, not the address, authorises them.
        if request.to.tag != nil, engine.receiveInDialog(request, from: peer, transaction: transaction) { return }

        if request.method == .register, request.to.tag == nil, let registrar {
            if let refusal = serverChecks.check(request) {
                send(refusal.response(to: request, toTag: CallEngine.makeTag()), transaction)
            } else {
                send(registrar(request, peer), transaction)
            }
            return
        }

        // An agent placing a call (issue 15 item 4): from anywhere, proved by digest.
        if request.method == .invite, request.to.tag == nil, engine.authenticateAgentInvite != nil,
           let claims = claimsAgentInvite, claims(request, peer) {
            if let refusal = forwardedChecks.check(request) {
                send(refusal.response(to: request, toTag: CallEngine.makeTag()), transaction)
            } else {
                engine.receiveAgentInvite(request, from: peer, transaction: transaction)
            }
            return
        }

        guard isTrusted(peer.host) else {
            requestsForbidden += 1
            log.notice("request from untrusted source refused")
            respond(request, transaction, 403)
            return
        }
        let checks = request.uri.user == nil ? serverChecks : forwardedChecks
        if let refusal = checks.check(request) {
            log.info("request refused", metadata: ["sip.status": "\(refusal.status)", "reason": "\(refusal.reason)"])
            send(refusal.response(to: request, toTag: CallEngine.makeTag()), transaction)
            return
        }
        switch request.method {
        case .options:
            var response = SIPResponse(to: request, statusCode: 200, toTag: CallEngine.makeTag())
            response.headers.add("Allow", Self.allow)
            response.headers.add("Accept", "application/sdp")
            send(response, transaction)
        case .invite where request.to.tag == nil:
            engine.receiveInvite(request, from: peer, transaction: transaction)
        case .invite:
            respond(request, transaction, 481)  // a re-INVITE for a dialog we do not have
        case let m where Self.inDialogOnly.contains(m):
            respond(request, transaction, 481)  // RFC 3261 §12.2.2: no such dialog
        case let m where Self.knownNotAllowed.contains(m):
            var response = SIPResponse(to: request, statusCode: 405, toTag: CallEngine.makeTag())
            response.headers.add("Allow", Self.allow)
            send(response, transaction)
        default:
            // RFC 3261 §8.2.1: a method we do not recognise.
            var response = SIPResponse(to: request, statusCode: 501, toTag: CallEngine.makeTag())
            response.headers.add("Allow", Self.allow)
            send(response, transaction)
        }
    }

    public func didReceiveResponse(_ response: SIPResponse, transaction: ClientTransactionID) {
        engine.receiveResponse(response, transaction: transaction)
    }

    public func didReceiveCancel(_ cancel: SIPRequest, for transaction: ServerTransactionID) {
        engine.receiveCancel(for: transaction)
    }

    public func didReceiveAckFor2xx(_ ack: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID?) {
        engine.receiveAck(ack)
    }

    public func clientTransactionDidFail(_ transaction: ClientTransactionID, reason: TransactionFailure) {
        engine.clientTransactionFailed(transaction, reason: reason)
    }

    public func serverTransactionDidFail(_ transaction: ServerTransactionID, reason: TransactionFailure) {
        logger.debug("server transaction failed", metadata: ["reason": "\(reason)"])
    }

    // MARK: Helpers

    private func respond(_ request: SIPRequest, _ transaction: ServerTransactionID, _ status: Int) {
        send(SIPResponse(to: request, statusCode: status, toTag: CallEngine.makeTag()), transaction)
    }

    private func send(_ response: SIPResponse, _ transaction: ServerTransactionID) {
        var response = response
        if let serverHeader { response.headers.add("Server", serverHeader) }
        do {
            try layer.respond(response, on: transaction)
        } catch {
            logger.debug("response not sent", metadata: ["error": "\(error)", "sip.status": "\(response.statusCode)"])
        }
    }
}
