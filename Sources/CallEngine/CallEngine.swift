import CallLegs
import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTransaction

/// The B2BUA (design.md "Call engine rules"): a carrier's INVITE to a tracking number
/// becomes outbound legs to the plan's targets, and the caller is bridged to whoever
/// answers. Each leg is its own dialog; the engine relays between them.
///
/// No sockets and no SQL: it talks to the transaction layer, a clock and an event sink, so
/// it is tested with a loopback transport and a fake clock. **Not thread-safe, by design**:
/// it lives on the event loop of its transaction layer, like every call it holds.
public final class CallEngine {
    let layer: TransactionLayer
    let clock: any TransactionClock
    public let configuration: CallEngineConfiguration
    let dialplans: DialplanStore
    weak var sink: (any LegEventSink)?
    /// Also sees every leg event (the daemon's call-timing metrics); unlike `sink` it does not
    /// take the place of the log when there is no journal.
    public weak var observer: (any LegEventSink)?
    /// Resolves target host names off the event loop; nil: only IP-literal targets are dialled.
    var resolver: (any HostResolver)?
    var logger: Logger
    /// Monotonic time for rate limits, from the clock's own timers.
    let monotonic: () -> Duration
    /// Shared by the engines of every SIP loop (the limits are the node's).
    let admission: Admission
    /// libphonenumber's answers about the numbers this loop routed (`PhoneNumberMemo`).
    let numbers = PhoneNumberMemo()

    var calls: [UUID: Call] = [:]
    var callsByInboundTransaction: [ServerTransactionID: Call] = [:]
    var legsByTransaction: [ClientTransactionID: (Call, OutboundLeg)] = [:]
    /// Our tag → call, for requests inside either dialog (our tags are unique per leg).
    var callsByLocalTag: [String: Call] = [:]
    /// In-dialog requests relayed to the other leg, by the client transaction carrying them.
    var relays: [ClientTransactionID: Relay] = [:]
    /// Answered relayed re-INVITEs, by client transaction, for 64·T1 after their 2xx.
    var reinviteAcks: [ClientTransactionID: ReinviteAck] = [:]
    /// RTP for IVR and queue calls; nil: those plans fail over to `then:`.
    public var media: MediaServices?
    /// Queues by "account/plan", and agents by target (an agent busy in one queue is busy in all).
    var queues: [String: QueueState] = [:]
    var agents: [String: AgentState] = [:]
    /// Set when the daemon drains: new calls get 503.
    public var isDraining = false
    /// Says why an account may not take calls (its paid access ended), nil when it may.
    /// Called on the event loop: it must answer from memory (a cache refreshed elsewhere).
    public var accessPolicy: ((String) -> String?)?
    /// Registered agents' contacts (`agent:NAME` targets); nil: agents ring their static contact.
    public var agentLocator: (any AgentLocator)?
    /// Checks an agent's INVITE's `Proxy-Authorization` (the registrar's digest); nil: agents
    /// cannot place calls (CallEngine+AgentOutbound).
    public var authenticateAgentInvite: ((SIPRequest, SIPPeer) -> AgentInviteVerdict)?
    /// Says why an account may not spend more on agents' calls today, nil when it may
    /// (answered from memory: a cache refreshed off the loop).
    public var spendPolicy: ((_ account: String, _ limit: Int64) -> String?)?
    /// Agents' calls in progress on this engine, by call.
    var agentCalls: [UUID: AgentCall] = [:]

    struct Relay {
        let call: Call
        let serverTransaction: ServerTransactionID
        let towardsCaller: Bool
        let method: SIPMethod
        /// Where the relayed request came from (our response to it goes back there).
        let requester: SIPPeer
    }

    /// The ACK we sent for a relayed re-INVITE's 2xx (nil until sent), resent on each
    /// retransmission of that 2xx (RFC 3261 §13.2.2.4).
    struct ReinviteAck {
        let call: Call
        let towardsCaller: Bool
        var ack: SIPRequest?
    }

    /// Counters the daemon exports as metrics.
    public internal(set) var statistics = Statistics()
    public struct Statistics: Sendable {
        public var callsStarted = 0
        public var callsAnswered = 0
        public var callsFailed = 0
        public var callsCancelled = 0
        public var callsRefused = 0
        public var legsPlaced = 0
        /// Agents' own calls by outcome (`AgentCallOutcome`).
        public var agentCalls: [AgentCallOutcome: Int] = [:]
    }

    public init(layer: TransactionLayer, clock: any TransactionClock, configuration: CallEngineConfiguration,
                dialplans: DialplanStore, sink: (any LegEventSink)?, resolver: (any HostResolver)? = nil, logger: Logger,
                monotonic: @escaping () -> Duration = { .nanoseconds(Int64(DispatchTime.now().uptimeNanoseconds)) },
                admission: Admission? = nil) {
        self.layer = layer
        self.clock = clock
        self.configuration = configuration
        self.dialplans = dialplans
        self.sink = sink
        self.resolver = resolver
        self.logger = logger
        self.monotonic = monotonic
        self.admission = admission ?? Admission(maxCalls: configuration.maxConcurrentCalls, maxPerNumber: configuration.maxCallsPerNumber,
                                   ratePerSource: configuration.maxCallsPerSecondPerSource)
    }

    public var activeCallCount: Int { calls.count }
    public var bridgedCallCount: Int { calls.values.filter { $0.state == .confirmed || $0.state == .answered }.count }

    // MARK: Identity

    /// Our Contact for a message that leaves over `transport`: the listener of that transport
    /// (RFC 3261 §8.1.1.8: the peer's next request in the dialog comes there), with
    /// `;transport=` for anything but UDP.
    func contact(for transport: SIPTransportProtocol) -> NameAddress {
        var params: [(name: String, value: String?)] = []
        if transport != .udp { params.append(("transport", transport.rawValue.lowercased())) }
        return NameAddress(uri: SIPURI(user: "switchboard", host: configuration.advertisedHost,
                                       port: advertisedPort(for: transport), parameters: params))
    }

    /// Our Contact in a response to `request`: the transport it came over (its top Via).
    func contact(replyingTo request: SIPRequest) -> NameAddress {
        contact(for: request.vias.first.flatMap { SIPTransportProtocol(rawValue: $0.transport.uppercased()) } ?? .udp)
    }

    func advertisedPort(for transport: SIPTransportProtocol) -> Int {
        configuration.advertisedPorts[transport] ?? configuration.advertisedPort
    }

    /// Our Via for a request to `peer`, with a branch of its own: an ACK for a 2xx is a
    /// request outside any transaction and needs its own branch (RFC 3261 §8.1.1.7,
    /// §13.2.2.4); the layer keeps a branch it is given for the others. Its sent-by is the
    /// listener of the transport the request leaves on (RFC 3261 §18.1.1).
    func via(for peer: SIPPeer) -> Via {
        Via(transport: peer.transport.rawValue, host: configuration.advertisedHost, port: advertisedPort(for: peer.transport),
            branch: TransactionBranch.make(), parameters: [("rport", nil)])
    }

    static func makeTag() -> String { SIPToken.tag() }

    func emit(_ event: LegEvent) {
        var event = event
        if !agentCalls.isEmpty { stampAgentCall(&event) }
        observer?.record(event)
        if let sink { sink.record(event) } else {
            logger.info("leg \(event.kind.name)", metadata: [
                "leg": "\(event.legID)", "call": "\(event.callID)",
                "status": "\(event.finalStatus.map(String.init) ?? "")", "reason": "\(event.endReason?.name ?? "")",
            ])
        }
    }

    /// The call's logger, built once per call: the engines ask for it at every step, and
    /// building three metadata strings each time was ~1 % of the SIP loop (`perf`). The level
    /// is the handler's (`LogLevelControl`), so a reload's new level still applies.
    func callLogger(_ call: Call) -> Logger {
        if let log = call.logger { return log }
        var log = logger
        log[metadataKey: "sip.call_id"] = .string(call.inbound.invite.callID)
        log[metadataKey: "account"] = .string(call.account)
        log[metadataKey: "number"] = .string(call.trackingNumber)
        call.logger = log
        return log
    }
}
