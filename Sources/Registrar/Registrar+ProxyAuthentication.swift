import SIPMessage

/// An agent's own calls (issue 15 item 4): an INVITE from an agent is challenged with 407
/// and `Proxy-Authenticate` (RFC 3261 §22.3) and proved by `Proxy-Authorization`, with the
/// REGISTER's digest code — the same nonces (bound to time and address, `stale=true`, nonce
/// counts), the same algorithms in the same order, the same failure limiter (a source
/// blocked for failed REGISTERs is blocked for INVITEs too, and the reverse), and the same
/// refusal for a wrong password and an unknown user.
extension Registrar {
    public enum InviteAuthentication: Sendable {
        case authenticated(AgentCredentials)
        /// The response to send: 407 (challenge, or stale) or 403 (failed, or blocked).
        case refused(SIPResponse)
    }

    /// The answer an INVITE gets before any transaction is made for it, nil when it carries
    /// credentials worth a transaction. A blocked source gets 403; an INVITE without
    /// `Proxy-Authorization` for our realm, or whose nonce we did not give to this address
    /// (forged, or from a spoofed source: it never saw our challenge), gets the 407 — sent
    /// statelessly by the daemon, so a stranger's INVITE costs no transaction and its 407
    /// is never retransmitted toward an address that may not have sent it (no reflection).
    /// The ACK for that 407 finds nothing to match and is dropped (RFC 3261 §17.2.1 would
    /// absorb it in the transaction; there is none, and nothing is owed to it).
    public func statelessAnswer(toInvite request: SIPRequest, from source: SIPPeer) -> SIPResponse? {
        if limiter.isBlocked(source.host) {
            statistics.blockedRequests += 1
            return reply(request, 403)
        }
        let ours = request.headers.values("Proxy-Authorization").compactMap(DigestCredentials.init(header:))
            .filter { $0.realm == configuration.realm }
        guard ours.contains(where: { nonces.isIssued($0.nonce, to: source.host) }) else {
            return challenge(request, source: source.host, stale: false, proxy: true)
        }
        return nil
    }

    /// Checks an INVITE's `Proxy-Authorization` (inside its server transaction). The agent is
    /// the credentials' username (the From of the call we place is ours to set, so what the
    /// phone wrote there proves and decides nothing).
    public func authenticateInvite(_ request: SIPRequest, from source: SIPPeer) -> InviteAuthentication {
        let host = source.host
        if limiter.isBlocked(host) {
            statistics.blockedRequests += 1
            return .refused(reply(request, 403))
        }
        switch verify(request, source: host, user: nil, header: "Proxy-Authorization") {
        case .challenge(let stale): return .refused(challenge(request, source: host, stale: stale, proxy: true))
        case .failed(let user): return .refused(fail(request, source: host, user: user))
        case .authenticated(let agent):
            statistics.authenticationsOK += 1
            return .authenticated(agent)
        }
    }

    /// Whether an INVITE from a trusted source is an agent's call rather than a carrier's:
    /// it carries credentials, or its From names one of our agents. (From an untrusted
    /// source every new INVITE is treated as an agent's: carriers are trusted networks.)
    public func claimsInvite(_ request: SIPRequest) -> Bool {
        if !request.headers.values("Proxy-Authorization").isEmpty { return true }
        guard let user = request.from.uri.user, !user.isEmpty else { return false }
        return directory.agent(named: user.removingPercentEncoding ?? user) != nil
    }
}
