import Dialplan
import Foundation
import SIPMessage

extension CallStateMachine {
    /// A leg event for the journal, by leg: the driver fills in the UUIDs.
    struct Record: Equatable, Sendable {
        enum Leg: Equatable, Sendable {
            case inbound
            case outbound(LegRef)
        }

        var leg: Leg
        var kind: CallLegEvent.Kind
        var time: Date
        var finalStatus: Int?
        var endReason: CallLegEvent.EndReason?
    }

    /// What the driver does, in order. Messages are built by the driver from its dialogs;
    /// actions carry only what the machine decided.
    enum Action: Equatable, Sendable {
        /// Send the INVITE of a new leg (its `created` is recorded by the driver, which knows
        /// its SIP Call-ID). If it cannot be sent, the driver reports `legNotPlaced`, or
        /// `legTransportFailed` once the leg was recorded. With a `binding` (a registered
        /// agent) the INVITE goes to that registration: its Contact as Request-URI, sent over
        /// the flow it registered from, its Path as Route set (RFC 3327).
        case placeLeg(LegRef, RouteDecision.Leg, binding: AgentContact?)
        /// The leg's 2xx wins: the driver makes the callee's dialog from it (§12.1.2) and maps
        /// our tag in it to the call.
        case bridgeLeg(LegRef, SIPResponse)
        /// CANCEL the leg's INVITE (§9.1; the layer holds it until a provisional came).
        case cancelLeg(LegRef, CancelCause)
        /// ACK the leg's 2xx (§13.2.2.4), carrying the caller's ACK body when it has one.
        case ackLeg(LegRef, relaying: SIPRequest?)
        /// Send the leg's ACK again: its 2xx was retransmitted (§13.2.2.4).
        case resendAck(LegRef)
        /// A 2xx on a leg that is not bridged (after our CANCEL, or a fork of the winner with
        /// another To tag): ACK it and BYE it in the dialog that 2xx made, with
        /// `Reason: SIP;cause=200;text="Call completed elsewhere"`.
        case ackAndBye(LegRef, SIPResponse)
        /// Send the ACK made for that dismissed 2xx (To tag) again.
        case resendDismissedAck(LegRef, toTag: String?)
        /// A response on the caller's INVITE transaction, relaying `relaying`'s body (SDP).
        /// A 2xx is retransmitted by the driver until the ACK (§13.3.1.4).
        case respondToCaller(status: Int, relaying: SIPResponse?)
        /// Responses to the caller go out in a new early dialog (a new To tag): the leg
        /// whose early media the caller had is gone, and RFC 3960 §3 has the caller render the
        /// most recent early dialog's media, so it stops hearing the cancelled leg.
        case newCallerEarlyDialog
        case byeCaller
        /// BYE the winner (its ACK was sent before, §15.1.1).
        case byeLeg(LegRef)
        case startTimer(TimerID, after: Duration)
        case cancelTimer(TimerID)
        case record(Record)
        /// No final response 64·T1 after our CANCEL: drop the leg's client transaction (§9.1).
        case abandonLeg(LegRef)
        /// Stop mapping the leg's transaction: nothing more can come for it.
        case forgetLeg(LegRef)
        /// The call is over for both parties: drop it from the live tables, release its
        /// admission slot. `status` is the caller's final answer (200 once bridged).
        case callOver(status: Int, reason: CallLegEvent.EndReason)
        /// Answer the in-dialog request being handled with `status` (with `Retry-After` on a
        /// 500 for a re-INVITE that overlaps another, §14.2).
        case answerRequest(status: Int)
        /// Relay the in-dialog request being handled into the other side's dialog.
        case relayRequest(towards: Side)
    }
}
