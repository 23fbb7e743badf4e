import Logging
import SIPMessage
import SIPTransaction
import SwitchboardConfig

/// The daemon's UAS core: what it answers to each request that reaches the transaction user.
///
/// Policy order matters and follows a carrier's expectations: untrusted sources are refused
/// before anything about the request is looked at (one identical 403 for every number, so
/// the answer leaks nothing about which numbers exist), then RFC 3261 §8.2 checks, then the
/// method.
final class RequestHandler: TransactionUser {
    /// Methods we implement as a UAS. REGISTER and friends are known but not served here.
    static let allow = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, PRACK"
    static let knownNotAllowed: Set<SIPMethod> = [.register, .subscribe, .notify, .refer, .message, .publish]
    static let inDialogOnly: Set<SIPMethod> = [.bye, .update, .info, .prack]

    let layer: TransactionLayer
    /// An OPTIONS addressed to this server (no user part: a carrier's hop-by-hop keep-alive,
    /// often sent with Max-Forwards 0) is answered here as a UAS (RFC 3261 §16.3 item 3);
    /// one addressed to a user would be forwarded, so Max-Forwards 0 gets 483 (RFC 4475 zeromf).
    let serverChecks = RequestChecks(configuration: .init(locallyAnsweredMethods: [.options]))
    let forwardedChecks = RequestChecks()
    let configuration: SwitchboardConfiguration
    var logger: Logger
    /// Set when SIGTERM starts the drain: new INVITEs get 503 + Retry-After.
    var isDraining = false
    private(set) var counters = Counters()

    struct Counters {
        var requests = 0
        var forbidden = 0
    }

    init(layer: TransactionLayer, configuration: SwitchboardConfiguration, logger: Logger) {
        self.layer = layer
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: TransactionUser

    func didReceiveRequest(_ request: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) {
        counters.requests += 1
        var log = logger
        log[metadataKey: "sip.call_id"] = "\(request.callID)"
        log[metadataKey: "sip.method"] = "\(request.method)"
        log[metadataKey: "sip.peer"] = "\(peer)"

        guard configuration.isTrusted(peer.host) else {
            counters.forbidden += 1
            log.notice("request from untrusted source refused")
            respond(request, transaction, 403)
            return
        }
        let checks = request.uri.user == nil ? serverChecks : forwardedChecks
        if let refusal = checks.check(request) {
            log.info("request refused", metadata: ["sip.status": "\(refusal.status)", "reason": "\(refusal.reason)"])
            send(refusal.response(to: request, toTag: Self.tag()), transaction)
            return
        }
        switch request.method {
        case .options:
            var response = SIPResponse(to: request, statusCode: 200, toTag: Self.tag())
            response.headers.add("Allow", Self.allow)
            response.headers.add("Accept", "application/sdp")
            response.headers.add("Supported", "")
            send(response, transaction)
        case .invite:
            handleInvite(request, transaction: transaction, log: log)
        case let m where Self.inDialogOnly.contains(m):
            // No dialogs exist yet outside the call engine: RFC 3261 §12.2.2.
            respond(request, transaction, 481)
        case let m where Self.knownNotAllowed.contains(m):
            var response = SIPResponse(to: request, statusCode: 405, toTag: Self.tag())
            response.headers.add("Allow", Self.allow)
            send(response, transaction)
        default:
            // RFC 3261 §8.2.1: a method we do not recognise.
            var response = SIPResponse(to: request, statusCode: 501, toTag: Self.tag())
            response.headers.add("Allow", Self.allow)
            send(response, transaction)
        }
    }

    func handleInvite(_ request: SIPRequest, transaction: ServerTransactionID, log: Logger) {
        try? layer.sendTrying(on: transaction)
        if isDraining {
            var response = SIPResponse(to: request, statusCode: 503, toTag: Self.tag())
            response.headers.add("Retry-After", "30")
            send(response, transaction)
            return
        }
        // Routing arrives with the dialplan and the call engine; until then no number exists.
        log.info("no route for dialled number", metadata: ["number": "\(request.uri.user ?? "")"])
        respond(request, transaction, 404)
    }

    func didReceiveResponse(_ response: SIPResponse, transaction: ClientTransactionID) {}

    func didReceiveCancel(_ cancel: SIPRequest, for transaction: ServerTransactionID) {
        guard let invite = layer.request(of: transaction) else { return }
        respond(invite, transaction, 487)
    }

    func didReceiveAckFor2xx(_ ack: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID?) {}

    func clientTransactionDidFail(_ transaction: ClientTransactionID, reason: TransactionFailure) {}

    func serverTransactionDidFail(_ transaction: ServerTransactionID, reason: TransactionFailure) {
        logger.debug("server transaction failed", metadata: ["reason": "\(reason)"])
    }

    // MARK: Helpers

    private func respond(_ request: SIPRequest, _ transaction: ServerTransactionID, _ status: Int) {
        send(SIPResponse(to: request, statusCode: status, toTag: Self.tag()), transaction)
    }

    private func send(_ response: SIPResponse, _ transaction: ServerTransactionID) {
        var response = response
        if let server = configuration.serverHeader { response.headers.add("Server", server) }
        do {
            try layer.respond(response, on: transaction)
        } catch {
            logger.debug("response not sent", metadata: ["error": "\(error)", "sip.status": "\(response.statusCode)"])
        }
    }

    static func tag() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }
}
