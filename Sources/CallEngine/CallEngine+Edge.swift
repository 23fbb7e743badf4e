import SIPMessage

extension CallEngine {
    /// For the daemon's edge policy: whether `request`, from an untrusted `host`, belongs to one
    /// of our dialogs — its To tag is one we issued, its Call-ID is that dialog's, and `host` is
    /// an address the dialog talks to (where we sent the leg, the dialog's next hop, or a hop of
    /// its route set). A stranger who guessed or sniffed a tag, from elsewhere, is not let in.
    /// A dictionary lookup and a few comparisons: it runs for every untrusted request with a To tag.
    public func isOwnDialog(_ request: SIPRequest, from host: String) -> Bool {
        guard let tag = request.to.tag, let call = callsByLocalTag[tag] else { return false }
        if call.inbound.localTag == tag {
            let dialog = call.inbound.dialog
            return request.callID == dialog.callID
                && (host == call.inbound.source.host || host == dialog.peer.host
                    || dialog.routeSet.routes.contains { $0.uri.host == host })
        }
        guard let winner = call.winner, let dialog = winner.dialog, dialog.localTag == tag,
              request.callID == dialog.callID else { return false }
        return host == winner.peer.host || host == dialog.peer.host
            || dialog.routeSet.routes.contains { $0.uri.host == host }
    }
}
