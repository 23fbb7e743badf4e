import SIPMessage

/// One side of a B2BUA call as a dialog (RFC 3261 §12): the state needed to send requests
/// inside it and to recognise the peer's requests. Each leg has its own Call-ID, tags and
/// CSeq space; the engine maps between them, it never copies them across.
struct Dialog {
    var callID: String
    var localTag: String
    var remoteTag: String?
    /// Our From (UAC side) or To (UAS side) value, without the tag.
    var localURI: NameAddress
    var remoteURI: NameAddress
    var localCSeq: UInt32
    var remoteCSeq: UInt32?
    /// The peer's Contact (RFC 3261 §12.1.1, §12.1.2).
    var remoteTarget: SIPURI
    /// Route set in the order requests carry it.
    var routeSet: [NameAddress]
    /// Where requests inside the dialog are sent.
    var peer: SIPPeer

    /// §12.2.1.1: a request within the dialog, with the next local CSeq.
    mutating func makeRequest(_ method: SIPMethod, via: Via, contact: NameAddress, body: [UInt8] = [],
                              contentType: String? = nil) -> SIPRequest {
        if method != .ack && method != .cancel { localCSeq += 1 }
        return makeRequest(method, cseq: localCSeq, via: via, contact: contact, body: body, contentType: contentType)
    }

    func makeRequest(_ method: SIPMethod, cseq: UInt32, via: Via, contact: NameAddress, body: [UInt8] = [],
                     contentType: String? = nil) -> SIPRequest {
        var from = localURI
        from.tag = localTag
        var to = remoteURI
        to.tag = remoteTag
        return SIPRequest(method: method, uri: remoteTarget, vias: [via], from: from, to: to, callID: callID,
                          cSeq: CSeq(sequence: cseq, method: method), maxForwards: 70,
                          contacts: method == .bye ? [] : [contact], routes: routeSet,
                          contentType: body.isEmpty ? nil : contentType, body: body)
    }

    /// Whether `request` (from the peer) belongs here: Call-ID and both tags (§12.2.2).
    func matches(_ request: SIPRequest) -> Bool {
        request.callID == callID && request.to.tag == localTag && request.from.tag == remoteTag
    }
}
