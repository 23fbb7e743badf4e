import CallLegs
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
        var kind: LegEvent.Kind
        var time: Date
        var finalStatus: Int?
        var endReason: LegEvent.EndReason?
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
        case callOver(status: Int, reason: LegEvent.EndReason)
        /// Answer the in-dialog request being handled with `status` (with `Retry-After` on a
        /// 500 for a re-INVITE that overlaps another, §14.2).
        case answerRequest(status: Int)
        /// Relay the in-dialog request being handled into the other side's dialog.
        case relayRequest(towards: Side)

        // MARK: Anchored media (IVR, queue: `CallStateMachine+Anchored`)

        /// Open the caller's RTP session with the answer to its offer (or our offer for a
        /// late-offer INVITE); the driver reports `callerMediaOpened` or `callerMediaFailed`.
        case openCallerMedia
        /// Send the caller our 200 with that session's SDP (retransmitted until the ACK).
        case answerCaller
        /// A final response to the caller with a `Warning` (its offer cannot be answered).
        case refuseCaller(status: Int, warning: String?)
        /// Open the session that offers our SDP to outbound legs (`legMediaOpened`).
        case openLegMedia
        case play(Playback)
        case stopPlayback
        /// The leg's 2xx answered our offer: point the leg session at it, stop what the caller
        /// hears and relay RTP between the two sessions.
        case connectLegMedia(LegRef, SIPResponse)
        /// The late-offer caller's ACK carries the answer to the offer in our 200.
        case acceptCallerAnswer(SIPRequest)
        /// Answer the re-INVITE or UPDATE being handled ourselves (our session, same port:
        /// hold and unhold), from `side`.
        case answerOfferLocally(Side)
        /// Close both RTP sessions and the relay.
        case closeMedia
        /// The chosen IVR menu (the `menu`-th of `attempt`) is decided: resume the routing walk
        /// there with `entries` (`RouteContinuation`); the driver reports `routeContinued`.
        case continueRoute(attempt: Int, menu: Int, entries: [String])

        // MARK: Queues (the shared line and the agents' states are the driver's)

        /// The caller joins queue `plan`'s line, served by `agents`.
        case joinQueue(plan: String, agents: [RouteDecision.Leg])
        /// Offer the queue's waiting callers to its free agents (`queueOffer` back per caller).
        case dispatchQueue(plan: String)
        /// Agents that rang for this caller and have no live leg left are free again.
        case releaseQueueAgents
        /// The agent on this leg took the call: busy until it ends (then wrap-up).
        case queueAnswered(LegRef)
        case announcePosition(plan: String)
        /// The caller leaves the line.
        case leaveQueue(plan: String, QueueExit)
    }

    /// What the caller hears on an anchored call.
    enum Playback: Equatable, Sendable {
        /// A prompt of IVR menu `plan`; its end comes back as `promptFinished`.
        case menuPrompt(plan: String, IVRMenuMachine.Prompt, generation: Int)
        /// Queue `plan`'s hold music (ringback without one), looped.
        case hold(plan: String)
        /// Ringback while an ordinary plan's legs ring, looped.
        case ringback
    }

    enum QueueExit: Equatable, Sendable {
        /// Max-wait: the caller goes on to `then:`.
        case timedOut
        /// The call ended (abandoned while waiting, or after an agent's answer: its wrap-up).
        case ended
    }
}
