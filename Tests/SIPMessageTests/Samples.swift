@testable import SIPMessage

/// Typical messages, shared by the serialisation tests (and mirrored in bench/ParseBench).
enum Samples {
    static let sdp = """
        v=0\r
        o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r
        s=-\r
        c=IN IP4 198.51.100.7\r
        t=0 0\r
        m=audio 49170 RTP/AVP 0 8 101\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:8 PCMA/8000\r
        a=rtpmap:101 telephone-event/8000\r
        a=fmtp:101 0-15\r
        a=sendrecv\r

        """

    static var invite: SIPRequest {
        var h = SIPHeaders()
        h.add("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE")
        h.add("Supported", "timer, 100rel")
        h.add("User-Agent", "CarrierSBC/4.2")
        h.add("X-Carrier-Trace", "a8f3-22")
        return SIPRequest(
            method: .invite,
            uri: SIPURI(user: "+18005550100", host: "switchboard.example.com", parameters: [("user", "phone")]),
            vias: [Via(transport: "UDP", host: "198.51.100.7", port: 5060, branch: "z9hG4bK776asdhds",
                       parameters: [("rport", nil)])],
            from: NameAddress(displayName: "Alice Caller", uri: SIPURI(user: "+14155550123", host: "carrier.example.net"),
                              parameters: [("tag", "1928301774")]),
            to: NameAddress(uri: SIPURI(user: "+18005550100", host: "switchboard.example.com")),
            callID: "a84b4c76e66710@carrier.example.net", cSeq: CSeq(sequence: 314159, method: .invite),
            maxForwards: 70,
            contacts: [NameAddress(uri: SIPURI(user: "alice", host: "198.51.100.7", port: 5060))],
            recordRoutes: [NameAddress(uri: SIPURI(host: "sbc.carrier.example.net", parameters: [("lr", nil)]))],
            contentType: "application/sdp", headers: h, body: Array(sdp.utf8))
    }

    static var ok: SIPResponse {
        var r = SIPResponse(to: invite, statusCode: 200, toTag: "as83kd9")
        r.contacts = [NameAddress(uri: SIPURI(user: "b2bua", host: "203.0.113.5", port: 5060))]
        r.headers.add("Server", "Switchboard")
        return r
    }
}
