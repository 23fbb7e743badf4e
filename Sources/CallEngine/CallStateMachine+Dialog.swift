import Foundation
import SIPMessage

/// Requests inside the caller's dialog or the winner's: BYE, and the session changes we
/// relay (re-INVITE, UPDATE) with their glare rules (anchored calls answer offers themselves:
/// `anchoredInDialog`). Methods answered by us and never relayed
/// (REFER, MESSAGE, …) and the CSeq ordering check are the driver's, before it gets here.
extension CallStateMachine {
    /// Methods that carry an offer: two of them crossing in one dialog are glare (§14.1).
    static let offerMethods: Set<SIPMethod> = [.invite, .update]

    /// A request from `side` in its dialog (matched by Call-ID and both tags, §12.2.2).
    /// `withBody`: the request carries a body (for an INVITE: an offer).
    mutating func inDialogRequest(_ method: SIPMethod, from side: Side, withBody: Bool = true, now: Date) -> [Action] {
        if anchor != nil { return anchoredInDialog(method, from: side, withBody: withBody, now: now) }
        switch method {
        case .bye:
            var actions: [Action] = [.answerRequest(status: 200)]
            if let bridge {
                endBridged(bridge, reason: .completed, now: now, byeCaller: side == .callee, byeCallee: side == .caller,
                           into: &actions)
            } else if isActive, side == .caller {
                // A BYE in the caller's early dialog (§15): it gave up, as with a CANCEL.
                callerGaveUp(now: now, into: &actions)
            } else {
                return [.answerRequest(status: 481)]
            }
            return actions
        case _ where Self.offerMethods.contains(method):
            guard bridge != nil else { return [.answerRequest(status: method == .invite ? 491 : 481)] }
            // §14.2: an INVITE (or UPDATE, RFC 3311 §5.2) arriving while one we relayed into
            // the same dialog is unanswered is glare: 491, and the requester retries after a
            // random wait (§14.1). One overlapping the same side's own earlier request, not yet
            // answered, gets 500 with Retry-After.
            if offerPendingTowards.contains(side) { return [.answerRequest(status: 491)] }
            if offerPendingTowards.contains(side.other) { return [.answerRequest(status: 500)] }
            offerPendingTowards.insert(side.other)
            return [.relayRequest(towards: side.other)]
        default:
            guard bridge != nil else { return [.answerRequest(status: 481)] }
            return [.relayRequest(towards: side.other)]
        }
    }

    /// A final response (or a transaction failure) came for a request we relayed into
    /// `towards`'s dialog; the driver relays the response itself. A 491 from that side goes
    /// back to the requester, which retries per §14.1.
    mutating func relayedRequestCompleted(_ method: SIPMethod, towards side: Side, status: Int) -> [Action] {
        if Self.offerMethods.contains(method), status >= 200 { offerPendingTowards.remove(side) }
        return []
    }
}
