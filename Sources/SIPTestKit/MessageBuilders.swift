import SIPMessage

/// Message builders for tests. (Being named like the module, refer to the test kit's other
/// types unqualified: `FakeClock`, not `SIPTestKit.FakeClock`.)
public enum SIPTestKit {
    /// A request as a UA at `viaHost:viaPort` would send it: one Via with `branch`, From with
    /// a tag, To without (unless `toTag`), Max-Forwards 70, a Contact.
    public static func request(
        _ method: SIPMethod,
        uri: String = "sip:+18005550100@switchboard.example",
        branch: String = "z9hG4bK-test-1",
        transport: SIPTransportProtocol = .udp,
        viaHost: String = "192.0.2.10",
        viaPort: Int? = 5060,
        rport: Bool = false,
        callID: String = "call-1@192.0.2.10",
        cSeq: UInt32 = 1,
        fromTag: String = "from-tag-1",
        toTag: String? = nil,
        routes: [NameAddress] = []
    ) -> SIPRequest {
        var params: [(name: String, value: String?)] = []
        if rport { params.append(("rport", nil)) }
        let via = Via(transport: transport.rawValue, host: viaHost, port: viaPort, branch: branch, parameters: params)
        var to = NameAddress(uri: sipURI(uri))
        to.tag = toTag
        var from = NameAddress(displayName: "Caller", uri: SIPURI(user: "+14155550123", host: viaHost))
        from.tag = fromTag
        return SIPRequest(method: method, uri: sipURI(uri), vias: [via], from: from, to: to, callID: callID,
                          cSeq: CSeq(sequence: cSeq, method: method), maxForwards: 70,
                          contacts: [NameAddress(uri: SIPURI(user: "caller", host: viaHost, port: viaPort))],
                          routes: routes)
    }

    /// An INVITE (see `request`).
    public static func invite(
        uri: String = "sip:+18005550100@switchboard.example",
        branch: String = "z9hG4bK-test-1",
        transport: SIPTransportProtocol = .udp,
        viaHost: String = "192.0.2.10",
        viaPort: Int? = 5060,
        callID: String = "call-1@192.0.2.10",
        cSeq: UInt32 = 1,
        fromTag: String = "from-tag-1",
        toTag: String? = nil,
        routes: [NameAddress] = []
    ) -> SIPRequest {
        request(.invite, uri: uri, branch: branch, transport: transport, viaHost: viaHost, viaPort: viaPort,
                callID: callID, cSeq: cSeq, fromTag: fromTag, toTag: toTag, routes: routes)
    }

    /// A response to `request` (RFC 3261 §8.2.6.2); `toTag` is added unless the status is 100.
    public static func response(_ statusCode: Int, to request: SIPRequest, toTag: String? = "to-tag-1") -> SIPResponse {
        SIPResponse(to: request, statusCode: statusCode, toTag: toTag)
    }

    /// The ACK a UAC sends for a non-2xx final response: same branch as the INVITE (§17.1.1.3).
    public static func ack(for invite: SIPRequest, response: SIPResponse) -> SIPRequest {
        var ack = invite
        ack.method = .ack
        ack.vias = Array(invite.vias.prefix(1))
        ack.to = response.to
        ack.cSeq = CSeq(sequence: invite.cSeq.sequence, method: .ack)
        ack.contacts = []
        return ack
    }

    /// The ACK for a 2xx: a new transaction, so a new branch (§13.2.2.4).
    public static func ackFor2xx(for invite: SIPRequest, response: SIPResponse, branch: String = "z9hG4bK-ack-2xx") -> SIPRequest {
        var ack = self.ack(for: invite, response: response)
        ack.vias[0].branch = branch
        return ack
    }

    /// A CANCEL for `invite` as a UAC builds it (§9.1).
    public static func cancel(for invite: SIPRequest) -> SIPRequest {
        var cancel = invite
        cancel.method = .cancel
        cancel.vias = Array(invite.vias.prefix(1))
        cancel.cSeq = CSeq(sequence: invite.cSeq.sequence, method: .cancel)
        cancel.contacts = []
        return cancel
    }

    /// A peer on `transport` (UDP by default) at the default test address.
    public static func peer(_ transport: SIPTransportProtocol = .udp, host: String = "192.0.2.10", port: Int = 5060) -> SIPPeer {
        SIPPeer(transport: transport, host: host, port: port)
    }

    /// `sip:user@host[:port]` parsed naively: enough for tests.
    public static func sipURI(_ string: String) -> SIPURI {
        var rest = Substring(string)
        var scheme = "sip"
        if let colon = rest.firstIndex(of: ":") {
            scheme = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        var user: String?
        if let at = rest.firstIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
        }
        var port: Int?
        if let colon = rest.lastIndex(of: ":"), let p = Int(rest[rest.index(after: colon)...]) {
            port = p
            rest = rest[..<colon]
        }
        return SIPURI(scheme: scheme, user: user, host: String(rest), port: port)
    }
}
