import CallLegs
import Dialplan
import Foundation
import SIPMessage

/// One call's B2BUA logic as a value (issue 12 item 1), in the style of `SIPTransaction`'s
/// FSMs and postgres-nio's `ConnectionStateMachine`: a state enum with per-state data, events
/// in (the methods in `CallStateMachine+Events` and `+Dialog`), a list of `Action`s out.
/// No sockets, no clock (time comes in with each event as `now`), no ids made here (legs are
/// numbered; the driver maps numbers to UUIDs, transactions and dialogs), no logging.
///
/// The driver (`CallEngine`) keeps the tables (by transaction, by tag), builds the SIP
/// messages and performs the actions in order. Every call runs on it: ring-all, sequential,
/// geographic and schedule plans (media end to end), their `then:` fallbacks, registered
/// agents (one leg per binding), and IVR menus and queues, where the daemon answers the
/// caller with its own media (`CallStateMachine+Anchored`): each menu's `IVRMenuMachine` and
/// each queued caller's `QueueWaitMachine` are per-state data of those states.
///
/// Coverage of states and events by `CallStateMachine*Tests`: see `docs/call-state-machine.md`.
struct CallStateMachine {
    /// An outbound leg, numbered in the order the machine created it (1, 2, …).
    struct LegRef: Hashable, Comparable, Sendable, CustomStringConvertible {
        let number: Int
        static func < (a: LegRef, b: LegRef) -> Bool { a.number < b.number }
        var description: String { "leg\(number)" }
    }

    /// The two dialogs of a bridged call: the caller's (we are its UAS) and the winner's.
    enum Side: Hashable, Sendable {
        case caller, callee
        var other: Side { self == .caller ? .callee : .caller }
    }

    struct Configuration: Sendable {
        /// RFC 3261 T1: 64·T1 bounds the wait for an ACK (§13.3.1.4) and for a cancelled
        /// INVITE's final response (§9.1, §16.8).
        var t1: Duration = .milliseconds(500)
        /// Guards against lost BYEs (design.md "Call engine rules").
        var maxCallDuration: Duration = .seconds(4 * 3600)
        /// Whether the driver can anchor media (RTP configured). Without it an attempt with
        /// an IVR or a queue fails over to the next one (as a 480).
        var mediaAvailable = true
    }

    /// Where in the plan the call is: `attempt` indexes `RouteDecision.attempts` (the first
    /// plan, then each `then:`), `group` that attempt's ring groups (-1 before the first).
    struct Position: Equatable, Sendable {
        var attempt: Int
        var group: Int
    }

    /// Legs of one group ringing.
    struct Ringing: Equatable, Sendable {
        var position: Position
        /// Bumped for every group rung: a group timer of an earlier group is stale.
        var generation: Int
        var legs: [LegRef]
    }

    /// A leg answered and was bridged to the caller.
    struct Bridge: Equatable, Sendable {
        var winner: LegRef
        /// The moment the winning 2xx arrived: both legs' answer instant (issue 14 item 3).
        var answeredAt: Date
    }

    enum State: Equatable, Sendable {
        /// Created, the plan not started yet (`inviteReceived` starts it).
        case routing(Position)
        /// Legs of a group ring; the caller has heard nothing yet, or a 180.
        case ringing(Ringing)
        /// The one leg of the group ringing sent early media (183 with SDP) and the caller
        /// gets it; `source` is that leg.
        case earlyMedia(Ringing, source: LegRef)
        /// The winner's 2xx went to the caller; waiting for the caller's ACK (§13.3.1.4).
        case answered(Bridge)
        /// The caller ACKed: bridged, media end to end.
        case confirmed(Bridge)
        /// The plan reached an IVR or a queue: the caller's RTP session opens (`openCallerMedia`)
        /// before we answer it with our own SDP. The caller has no final response yet.
        case answering(Anchor)
        /// We answered the caller; an IVR menu plays and collects keys.
        case menu(Anchor, MenuRun)
        /// We answered the caller; the session that faces outbound legs (our offer to them)
        /// opens before a queue offers agents or a plan rings.
        case openingLegMedia(Anchor)
        /// We answered the caller; it waits in a queue, agents are offered the call.
        case queued(Anchor, QueueStay)
        /// We answered the caller; an ordinary plan's group rings while it hears ringback.
        case anchoredRinging(Anchor, Ringing)
        /// A leg answered a call we had answered: RTP relayed between our two sessions.
        case anchoredBridged(Anchor, Bridge)
        /// Over for both parties; legs we cancelled still owe their final response.
        case ending(LegEvent.EndReason)
        /// Nothing left to wait for: the driver forgets the call.
        case ended(LegEvent.EndReason)
    }

    /// The life of one outbound leg.
    enum LegPhase: Equatable, Sendable {
        /// INVITE sent (or being placed), no provisional yet.
        case trying
        /// A provisional (101–199) came.
        case ringing
        /// Bridged to the caller.
        case answered
        /// We sent (or asked the layer to send) CANCEL; its final response is owed (§9.1).
        case cancelled(at: Date, reason: LegEvent.EndReason)
        /// A 2xx we do not bridge (after our CANCEL) was ACKed and BYEd.
        case dismissed
        /// Done: final response, transport failure, given up, or BYE.
        case ended
    }

    struct Leg: Equatable, Sendable {
        let ref: LegRef
        let plan: RouteDecision.Leg
        /// The registration this leg rings when the plan's target is an `agent:` with live
        /// bindings (one leg per binding); nil: the plan's target (or static contact) itself.
        let binding: AgentContact?
        var phase: LegPhase = .trying
        /// Whether the driver recorded the leg's `created` (a leg that could not be sent
        /// at all has no record, so no `ended` either).
        var placed = true
        var endRecorded = false
        /// The To tag of the 2xx that answered (or was dismissed on) this leg: a 2xx with it
        /// again is a retransmission (§13.2.2.4), one with another tag a fork.
        var answerTag: String??
        /// To tags of other 2xx on this leg (a forking proxy behind the target), ACKed and BYEd.
        var forkTags: [String?] = []
        /// Whether our ACK for its 2xx went out (then a retransmitted 2xx is ACKed again).
        var acked = false

        var isLive: Bool { phase == .trying || phase == .ringing }
        var isCancelled: Bool { if case .cancelled = phase { true } else { false } }
    }

    /// Timers the machine asks the driver for; a timer firing comes back as `timerFired`.
    enum TimerID: Hashable, Sendable {
        /// The ring timeout of the group rung as `generation`.
        case group(generation: Int)
        /// No ACK for our 2xx after 64·T1 (§13.3.1.4): end the call.
        case ackTimeout
        case maxDuration
        /// 64·T1 after our CANCEL with no final response: consider the leg cancelled and
        /// free it (§9.1, §16.8).
        case cancelGiveUp(LegRef)
        /// 64·T1 after a leg's 2xx was ACKed: its retransmissions can no longer come, so the
        /// driver stops mapping its transaction.
        case linger(LegRef)
        /// The IVR menu's input timer (the wait after the menu and between keys); one at a time.
        case menuInput
        /// A queued caller's timers (max-wait, agent ring timeout, retry, position).
        case queue(QueueWaitMachine.TimerID)
    }

    /// Why a CANCEL is sent, for its Reason header (RFC 3326).
    enum CancelCause: Equatable, Sendable {
        /// `Reason: SIP;cause=200;text="Call completed elsewhere"` (another leg answered).
        case completedElsewhere
        /// No Reason header (caller cancelled, ring timeout, hang-up).
        case none
    }

    let configuration: Configuration
    /// The routing walk: the first plan, then each `then:`. An IVR menu's choice replaces it
    /// with the walk resumed at that menu (`routeContinued`), never routed again from the top.
    var attempts: [RouteDecision.Attempt]
    var state: State
    var legs: [LegRef: Leg] = [:]
    /// Final statuses of failed legs and steps, for `FinalResponse.select` (§16.7).
    var failureStatuses: [Int] = []
    /// Whether the caller heard a 180 or 183 from us (its leg's `ringing` is recorded once).
    var callerRinging = false
    /// A re-INVITE (or UPDATE) we relayed into `Side`'s dialog and whose final response has
    /// not come: one arriving from that side meanwhile is glare (§14.2: 491).
    var offerPendingTowards: Set<Side> = []
    /// The live bindings of the `agent:` targets the plan names, by agent name (issue 15).
    /// An input, not state the machine makes: the driver refreshes it from the registrar
    /// before each event of a call whose plan names agents, so a group rung later sees the
    /// registrations of that moment. An agent absent or empty here rings its static contact.
    var agentBindings: [String: [AgentContact]] = [:]
    /// The IVR menus and queues the walk names, as fresh machines by plan name. An input like
    /// `agentBindings`: the driver builds them from the call's dialplan table (the machine
    /// holds no plan objects) at the start and with every `routeContinued`.
    var anchoredSpecs: [String: AnchoredSpec] = [:]
    private(set) var nextLegNumber = 1
    private(set) var generation = 0

    init(attempts: [RouteDecision.Attempt], configuration: Configuration = .init()) {
        self.attempts = attempts
        self.configuration = configuration
        self.state = .routing(Position(attempt: 0, group: -1))
    }

    // MARK: Queries the driver and tests use

    /// The call is still up for the caller (not ending or ended).
    var isActive: Bool {
        switch state {
        case .routing, .ringing, .earlyMedia, .answered, .confirmed: true
        case .answering, .menu, .openingLegMedia, .queued, .anchoredRinging, .anchoredBridged: true
        case .ending, .ended: false
        }
    }

    var bridge: Bridge? {
        switch state {
        case .answered(let b), .confirmed(let b): b
        default: nil
        }
    }

    var ringing: Ringing? {
        switch state {
        case .ringing(let r), .earlyMedia(let r, _): r
        default: nil
        }
    }

    /// The state's case name, for logs (no per-state data).
    var stateName: String {
        switch state {
        case .routing: "routing"
        case .ringing: "ringing"
        case .earlyMedia: "early-media"
        case .answered: "answered"
        case .confirmed: "confirmed"
        case .answering: "answering"
        case .menu: "ivr"
        case .openingLegMedia: "opening-leg-media"
        case .queued: "queue"
        case .anchoredRinging: "ringing-anchored"
        case .anchoredBridged: "bridged"
        case .ending: "ending"
        case .ended: "ended"
        }
    }

    /// The media anchor of a call we answer ourselves (nil: media end to end).
    var anchor: Anchor? {
        switch state {
        case .answering(let a), .menu(let a, _), .openingLegMedia(let a), .queued(let a, _), .anchoredRinging(let a, _),
             .anchoredBridged(let a, _): a
        default: nil
        }
    }

    var liveLegs: [LegRef] { legs.values.filter(\.isLive).map(\.ref).sorted() }

    mutating func makeLeg(_ plan: RouteDecision.Leg, binding: AgentContact? = nil) -> LegRef {
        let ref = LegRef(number: nextLegNumber)
        nextLegNumber += 1
        legs[ref] = Leg(ref: ref, plan: plan, binding: binding)
        return ref
    }

    /// The legs one plan leg rings as: one per live binding of a registered agent (they ring
    /// in parallel within the group, the first answer wins as in ring-all), else the plan
    /// leg itself (for an agent: its static contact from the dialplan).
    func expansion(of plan: RouteDecision.Leg) -> [AgentContact?] {
        guard let name = CallEngine.agentName(plan.target), let bindings = agentBindings[name], !bindings.isEmpty else {
            return [nil]
        }
        return bindings
    }

    /// The agent names of `attempts`' legs, for the driver to look up.
    static func agentNames(in attempts: [RouteDecision.Attempt]) -> [String] {
        var names: [String] = []
        for attempt in attempts {
            for group in attempt.groups {
                for leg in group.legs {
                    if let name = CallEngine.agentName(leg.target), !names.contains(name) { names.append(name) }
                }
            }
        }
        return names
    }

    mutating func nextGeneration() -> Int {
        generation += 1
        return generation
    }
}
