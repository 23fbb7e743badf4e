import Dialplan
import Foundation
import SIPMessage

extension CallEngine {
    /// The INVITE of one outbound leg: its own dialog (Call-ID, tags, CSeq), the caller ID the
    /// router chose, the caller's body (or, anchored, our own offer), how the call was
    /// forwarded, and the carrier's signed identity.
    func makeInvite(_ call: Call, leg: RouteDecision.Leg, resolution: TargetResolution) -> SIPRequest {
        let original = call.inbound.invite
        // The receiving phone sees the caller's number or the tracking number (dialplan
        // `caller-id:`); the router already chose it for this leg.
        let callerID = leg.callerID
        let fromUser = callerID.isEmpty || callerID == "anonymous" ? "anonymous" : callerID
        let fromHost = fromUser == "anonymous" ? "anonymous.invalid" : configuration.advertisedHost
        let from = NameAddress(displayName: original.from.displayName, uri: SIPURI(user: fromUser, host: fromHost),
                               parameters: [("tag", Self.makeTag())])
        let to = NameAddress(uri: resolution.uri)
        var invite = SIPRequest(method: .invite, uri: resolution.uri, vias: [via(for: resolution.peer)], from: from, to: to,
                                callID: configuration.callIDPrefix + UUID().uuidString.lowercased() + "@" + configuration.advertisedHost,
                                cSeq: CSeq(sequence: 1, method: .invite),
                                maxForwards: max(0, min(70, (original.maxForwards ?? 70) - 1)), contacts: [contact(for: resolution.peer.transport)],
                                contentType: original.body.isEmpty ? nil : original.contentType, body: original.body)
        if let offer = call.anchor?.legOfferBody {  // anchored: our own offer, not the caller's
            invite.body = offer
            invite.contentType = "application/sdp"
        }
        invite.headers.add("Allow", B2BUA.allow)
        let forwarding = resolution.trunk?.forwarding ?? configuration.directForwarding
        let tracking = SIPURI(user: call.trackingNumber, host: configuration.advertisedHost, parameters: [("user", "phone")])
        switch forwarding {
        case .diversion:
            // RFC 5806: who forwarded the call, so the callee's PBX can show "via tracking number".
            invite.headers.add("Diversion", "<\(tracking)>;reason=unconditional;counter=1")
        case .historyInfo:
            // RFC 7044: the original target, then the forwarded one.
            invite.headers.add("History-Info", "<\(tracking)>;index=1,<\(resolution.uri);cause=302>;index=1.1")
        case .none:
            break
        }
        if fromUser == "anonymous" { invite.headers.add("Privacy", "id") }
        // RFC 8224 (STIR): an intermediate provider passes the carrier's signed caller
        // identity on unchanged, with the Date it signs (US rules, 47 CFR 64.6302).
        for name in ["Identity", "Date"] {
            for value in original.headers.values(name) { invite.headers.add(name, value) }
        }
        if let entry = agentCalls[call.id] { presentAgent(entry.agent, on: &invite, original: original, trunk: resolution.trunk) }
        return invite
    }
}
