import SIPMessage

/// What a server transport does to the top Via of every request it receives
/// (RFC 3261 §18.2.1 `received`, RFC 3581 §4 `rport`), so responses find their way back
/// through NATs and to senders that named themselves by host name.
public enum ViaStamping {
    public static func stamp(_ request: inout SIPRequest, source: SIPPeer) {
        guard var top = request.vias.first else { return }
        let wantsRPort = top.rport != nil
        // §18.2.1: add `received` when sent-by differs from the packet's source address.
        // RFC 3581 §4: with `rport`, `received` is always added.
        if wantsRPort || normalise(top.host) != normalise(source.host) {
            top.setParameter("received", source.host)
        }
        if wantsRPort {
            top.setParameter("rport", String(source.port))
        }
        request.vias[0] = top
        // Patch the received text once here rather than in every response's serialisation.
        let stamped = request.vias
        request.receivedText?.adopt(stamped)
    }

    private static func normalise(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        return h
    }
}
