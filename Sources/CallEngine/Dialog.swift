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
    /// The peer's Contact (RFC 3261 §12.1.1, §12.1.2), replaced by target refreshes (§12.2).
    var remoteTarget: SIPURI
    var routeSet: RouteSet
    /// Where requests go when the next hop is a host name we do not resolve here: the
    /// address the dialog's first request came from (UAS) or went to (UAC).
    var fallbackPeer: SIPPeer

    var id: DialogID { DialogID(callID: callID, localTag: localTag, remoteTag: remoteTag) }

    /// Where requests inside the dialog are sent: the first Route, else the remote target
    /// (§12.2.1.1, §8.1.2).
    var peer: SIPPeer { RouteSet.peer(for: routeSet.target(remoteTarget: remoteTarget).nextHop, fallback: fallbackPeer) }

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
        let target = routeSet.target(remoteTarget: remoteTarget)
        return SIPRequest(method: method, uri: target.requestURI, vias: [via], from: from, to: to, callID: callID,
                          cSeq: CSeq(sequence: cseq, method: method), maxForwards: 70,
                          contacts: method == .bye ? [] : [contact], routes: target.routes,
                          contentType: body.isEmpty ? nil : contentType, body: body)
    }

    /// Whether `request` (from the peer) belongs here: Call-ID and both tags (§12.2.2).
    func matches(_ request: SIPRequest) -> Bool { DialogID(receivedRequest: request) == id }

    /// §12.2.2 / §12.2.1.2: a target refresh request accepted, or a 2xx to ours, with a
    /// Contact: the peer's new remote target. Returns whether it changed.
    @discardableResult
    mutating func refreshTarget(from contacts: [NameAddress]) -> Bool {
        guard let uri = contacts.first?.uri, uri != remoteTarget else { return false }
        remoteTarget = uri
        return true
    }
}
