import Dialplan
import Foundation
import SIPMessage
import SIPTestKit
@testable import CallEngine

typealias Machine = CallStateMachine
typealias Action = CallStateMachine.Action
typealias LegRef = CallStateMachine.LegRef

/// One `CallStateMachine` fed by hand: the plan comes from a real dialplan through the real
/// `Router` (as the engine routes), time from a fake clock that only moves when told.
/// No sockets, no transaction layer: events in, actions out.
struct MachineHarness {
    static let number = "+13125550100"
    static let t1 = Duration.milliseconds(500)

    var machine: Machine
    /// The fake clock: every event carries it as `now`.
    var now = Date(timeIntervalSince1970: 1_790_000_000)
    /// Everything the machine asked for so far, in order.
    var log: [Action] = []

    /// `plans` is the YAML under `plans:`; the number routes to `main`. `agents` is the YAML
    /// under `agents:` (name: static contact or `~`), for plans naming `agent:` targets.
    init(plans: String, agents: String? = nil, maxCallDuration: Duration = .seconds(3600)) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fsm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let indented = plans.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        let agentSection = agents.map { "agents:\n" + $0.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n" } ?? ""
        try """
        account: a
        timezone: UTC
        caller-id: caller
        \(agentSection)numbers:
          "\(Self.number)": { plan: main, source: s }
        plans:
        \(indented)

        """.write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let loaded = DialplanStore.load(directory: directory.path)
        guard let store = loaded.store else { throw DialogHarness.HarnessError.dialplan("\(loaded.result.diagnostics)") }
        let route = Router.route(to: Self.number, from: "+14155550123", at: now, table: store.current)
        machine = Machine(attempts: route.attempts,
                          configuration: .init(t1: Self.t1, maxCallDuration: maxCallDuration))
    }

    static func ringAll(_ targets: Int, timeout: String = "20s") -> String {
        let list = (1...targets).map { "\"sip:t\($0)@192.0.2.\($0)\"" }.joined(separator: ", ")
        return "main:\n  ring-all: { targets: [\(list)], timeout: \(timeout) }"
    }

    static func sequential(_ steps: Int, timeout: String = "10s") -> String {
        let list = (1...steps).map { "    - { target: \"sip:s\($0)@192.0.2.\($0)\", timeout: \(timeout) }" }
        return "main:\n  sequential:\n" + list.joined(separator: "\n")
    }

    /// Feeds one event; returns (and logs) the actions.
    @discardableResult
    mutating func feed(_ event: (inout Machine, Date) -> [Action]) -> [Action] {
        let actions = event(&machine, now)
        log += actions
        return actions
    }

    mutating func wait(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        now = now.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }

    // MARK: Events

    @discardableResult mutating func invite() -> [Action] { feed { m, now in m.inviteReceived(now: now) } }

    @discardableResult
    mutating func respond(_ leg: Int, _ status: Int, tag: String? = nil, sdp: Bool = false) -> [Action] {
        let response = Self.response(leg, status, tag: tag, sdp: sdp)
        return feed { m, now in m.legResponse(LegRef(number: leg), response, now: now) }
    }

    @discardableResult mutating func fire(_ timer: Machine.TimerID) -> [Action] { feed { m, now in m.timerFired(timer, now: now) } }
    @discardableResult mutating func cancel() -> [Action] { feed { m, now in m.cancelReceived(now: now) } }
    @discardableResult mutating func ack() -> [Action] { feed { m, now in m.ackReceived(Self.callerAck, now: now) } }

    @discardableResult
    mutating func request(_ method: SIPMethod, from side: Machine.Side) -> [Action] {
        feed { m, now in m.inDialogRequest(method, from: side, now: now) }
    }

    /// The current group's ring timer, fired.
    @discardableResult mutating func ringTimeout() -> [Action] {
        guard let generation = machine.ringing?.generation else { return [] }
        return fire(.group(generation: generation))
    }

    // MARK: Messages

    static let callerInvite = SIPTestKit.invite(uri: "sip:\(number)@127.0.0.1")
    static let callerAck = SIPTestKit.request(.ack, uri: "sip:\(number)@127.0.0.1", toTag: "ours")

    /// A response to leg `leg`'s INVITE; the To tag defaults to one per leg.
    static func response(_ leg: Int, _ status: Int, tag: String? = nil, sdp: Bool = false) -> SIPResponse {
        let invite = SIPTestKit.invite(uri: "sip:t\(leg)@192.0.2.\(leg)", callID: "leg\(leg)@switchboard")
        var response = SIPTestKit.response(status, to: invite, toTag: status == 100 ? nil : (tag ?? "callee\(leg)"))
        if sdp {
            response.contentType = "application/sdp"
            response.body = Array("v=0\r\no=- 1 1 IN IP4 192.0.2.\(leg)\r\ns=-\r\nc=IN IP4 192.0.2.\(leg)\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n".utf8)
        }
        return response
    }

    // MARK: Reading actions

    static func placed(_ actions: [Action]) -> [Int] {
        actions.compactMap { if case .placeLeg(let ref, _, _) = $0 { ref.number } else { nil } }
    }

    /// The binding each placed leg rings (nil: the plan's own target), by leg number.
    static func bindings(_ actions: [Action]) -> [Int: AgentContact?] {
        var out: [Int: AgentContact?] = [:]
        for case .placeLeg(let ref, _, let binding) in actions { out[ref.number] = .some(binding) }
        return out
    }

    static func records(_ actions: [Action]) -> [Machine.Record] {
        actions.compactMap { if case .record(let r) = $0 { r } else { nil } }
    }

    static func callerStatuses(_ actions: [Action]) -> [Int] {
        actions.compactMap { if case .respondToCaller(let status, _) = $0 { status } else { nil } }
    }

    static func cancelled(_ actions: [Action]) -> [Int] {
        actions.compactMap { if case .cancelLeg(let ref, _) = $0 { ref.number } else { nil } }
    }

    func phase(_ leg: Int) -> Machine.LegPhase? { machine.legs[LegRef(number: leg)]?.phase }

    /// The record of `kind` for `leg` (nil: the inbound leg) among everything logged.
    func recorded(_ kind: CallLegEvent.Kind, leg: Int?) -> [Machine.Record] {
        let target: Machine.Record.Leg = leg.map { .outbound(LegRef(number: $0)) } ?? .inbound
        return Self.records(log).filter { $0.leg == target && $0.kind == kind }
    }
}

extension LegRef {
    static func n(_ number: Int) -> LegRef { LegRef(number: number) }
}
