import SIPMessage

extension SIPRequest {
    /// RFC 3261 §9.1: the CANCEL for this INVITE: same Request-URI, Call-ID, To, From and
    /// CSeq number (method CANCEL), a single Via equal to the INVITE's top Via (so it gets
    /// the same branch), the INVITE's Route header fields, and optionally a Reason header
    /// (RFC 3326), e.g. `SIP;cause=200;text="Call completed elsewhere"`.
    public func makeCancel(reason: String? = nil) -> SIPRequest {
        var headers = SIPHeaders()
        if let reason { headers.add("Reason", reason) }
        return SIPRequest(method: .cancel, uri: uri, vias: topVia.map { [$0] } ?? [], from: from, to: to,
                          callID: callID, cSeq: CSeq(sequence: cSeq.sequence, method: .cancel),
                          maxForwards: 70, routes: routes, headers: headers)
    }
}
