import SIPMessage

/// RFC 3261 §17.1.3: a response matches a client transaction by the branch of its top Via
/// and the method of its CSeq (a CANCEL and its INVITE share the branch).
struct ClientTransactionKey: Hashable {
    var branch: String
    var method: SIPMethod

    init?(response: SIPResponse) {
        guard let branch = response.topVia?.branch else { return nil }
        self.branch = branch
        self.method = response.cSeq.method
    }

    init(branch: String, method: SIPMethod) {
        self.branch = branch
        self.method = method
    }
}

/// RFC 3261 §17.2.3: a request matches a server transaction by the branch and sent-by of its
/// top Via and its method, ACK counting as INVITE. Only for branches with the magic cookie.
struct ServerTransactionKey: Hashable {
    var branch: String
    var sentBy: String
    var method: SIPMethod

    /// nil when the request has no RFC 3261 branch (use `LegacyMatch`).
    init?(request: SIPRequest, methodOverride: SIPMethod? = nil) {
        guard let via = request.topVia, via.hasRFC3261Branch, let branch = via.branch else { return nil }
        self.branch = branch
        self.sentBy = ServerTransactionKey.sentBy(of: via)
        let method = methodOverride ?? request.method
        self.method = method == .ack ? .invite : method
    }

    static func sentBy(of via: Via) -> String {
        let port = via.port ?? (via.transport == "TLS" || via.transport == "WSS" ? 5061 : 5060)
        return via.host.lowercased() + ":" + String(port)
    }
}

/// RFC 3261 §17.2.3 backward compatibility with RFC 2543 (no magic cookie in the branch).
enum LegacyMatch {
    /// A request (not ACK) matches the transaction created by `original` when Request-URI,
    /// To tag, From tag, Call-ID, CSeq and top Via are equal. `asMethod` lets a CANCEL be
    /// matched against its INVITE (§9.2: "except that the method is considered INVITE").
    static func request(_ request: SIPRequest, matches original: SIPRequest, asMethod: SIPMethod? = nil) -> Bool {
        request.uri == original.uri
            && request.to.tag == original.to.tag
            && request.from.tag == original.from.tag
            && request.callID == original.callID
            && request.cSeq.sequence == original.cSeq.sequence
            && (asMethod ?? request.cSeq.method) == original.cSeq.method
            && request.topVia == original.topVia
    }

    /// An ACK matches the INVITE transaction when Request-URI, From tag, Call-ID, CSeq number
    /// and top Via are equal and its To tag is the To tag of the response we sent.
    static func ack(_ ack: SIPRequest, matches invite: SIPRequest, responseToTag: String?) -> Bool {
        ack.uri == invite.uri
            && ack.from.tag == invite.from.tag
            && ack.callID == invite.callID
            && ack.cSeq.sequence == invite.cSeq.sequence
            && ack.topVia == invite.topVia
            && ack.to.tag == responseToTag
    }
}

/// RFC 3261 §8.2.2.2: requests without a To tag are checked for merges against ongoing
/// server transactions by From tag, Call-ID and CSeq.
struct MergeKey: Hashable {
    var fromTag: String
    var callID: String
    var cSeq: UInt32
    var method: SIPMethod

    init?(request: SIPRequest) {
        guard request.to.tag == nil, let fromTag = request.from.tag else { return nil }
        self.fromTag = fromTag
        self.callID = request.callID
        self.cSeq = request.cSeq.sequence
        self.method = request.cSeq.method
    }
}

/// The index of RFC 2543 server transactions (§17.2.3 backward compatibility): a hash of the
/// fields `LegacyMatch` compares, except the To tag (an ACK carries the tag of our response,
/// not of its INVITE) and with ACK and CANCEL looked up as INVITE. A bucket holds the few
/// transactions sharing those fields; `LegacyMatch` decides among them, so matching costs the
/// same with ten or a hundred thousand legacy transactions alive.
struct LegacyServerKey: Hashable {
    var uri: SIPURI
    var callID: String
    var fromTag: String?
    var cSeq: UInt32
    var method: SIPMethod
    var viaHost: String
    var viaPort: Int?
    var viaBranch: String?

    /// nil without a top Via (such requests are dropped before matching).
    init?(request: SIPRequest, asMethod: SIPMethod? = nil) {
        guard let via = request.topVia else { return nil }
        uri = request.uri
        callID = request.callID
        fromTag = request.from.tag
        cSeq = request.cSeq.sequence
        let method = asMethod ?? request.method
        self.method = method == .ack ? .invite : method
        viaHost = via.host.lowercased()
        viaPort = via.port
        viaBranch = via.branch
    }
}
