import SIPMessage

/// What identifies a dialog (RFC 3261 §12): Call-ID, local tag, remote tag. A request
/// belongs to a dialog only when all three match (§12.2.2): our tag alone is not enough,
/// since anyone who saw it (a callee, a log) could aim a request at it.
struct DialogID: Hashable {
    var callID: String
    var localTag: String
    /// nil for a peer that sent no tag (RFC 2543).
    var remoteTag: String?

    /// The dialog a request we received claims: its To tag is ours, its From tag the peer's.
    init(receivedRequest request: SIPRequest) {
        callID = request.callID
        localTag = request.to.tag ?? ""
        remoteTag = request.from.tag
    }

    init(callID: String, localTag: String, remoteTag: String?) {
        self.callID = callID
        self.localTag = localTag
        self.remoteTag = remoteTag
    }
}
