import CallLegs
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
    /// The walk stopped at each IVR menu, as the engine keeps it; the account's plans.
    var continuations: [RouteContinuation] = []
    var plans: [String: Plan] = [:]

    /// `plans` is the YAML under `plans:`; the number routes to `main`. `agents` is the YAML
    /// under `agents:` (name: static contact or `~`), for plans naming `agent:` targets.
    init(plans: String, agents: String? = nil, maxCallDuration: Duration = .seconds(3600), mediaAvailable: Bool = true) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fsm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // `p.wav`: a prompt or hold music for IVR and queue plans (the loader checks the file).
        try Self.silentWAV().write(to: directory.appendingPathComponent("p.wav"))
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
        let (route, continuations) = Router.routeWithContinuations(to: Self.number, from: "+14155550123", at: now,
                                                                   table: store.current)
        machine = Machine(attempts: route.attempts,
                          configuration: .init(t1: Self.t1, maxCallDuration: maxCallDuration, mediaAvailable: mediaAvailable))
        self.continuations = continuations
        self.plans = store.current.accounts["a"]?.plans ?? [:]
        // As the driver does: a fresh menu or queue wait for each one the walk names.
        machine.anchoredSpecs = CallEngine.anchoredSpecs(for: route.attempts, plans: self.plans).specs
    }

    /// 20 ms of µ-law silence as a WAV file.
    static func silentWAV() -> Data {
        var bytes: [UInt8] = []
        func u32(_ v: Int) { bytes += withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
        func u16(_ v: Int) { bytes += withUnsafeBytes(of: UInt16(v).littleEndian, Array.init) }
        let codes = [UInt8](repeating: 0xFF, count: 160)
        bytes += Array("RIFF".utf8); u32(4 + 8 + 16 + 8 + codes.count)
        bytes += Array("WAVE".utf8)
        bytes += Array("fmt ".utf8); u32(16); u16(7); u16(1); u32(8000); u32(8000); u16(1); u16(8)
        bytes += Array("data".utf8); u32(codes.count)
        return Data(bytes + codes)
    }

    /// Performs the machine's `continueRoute` among `actions` as the driver does: the walk
    /// resumed at that menu with its entries, fed back as `routeContinued`.
    @discardableResult
    mutating func continueRoute(after actions: [Action]) -> [Action] {
        guard let (attempt, menu, entries) = actions.lazy.compactMap({ action -> (Int, Int, [String])? in
            if case .continueRoute(let a, let m, let e) = action { (a, m, e) } else { nil }
        }).first, let continuation = continuations.first(where: { $0.attempt == attempt && $0.menu == menu }) else { return [] }
        let resumed = continuation.resume(entries: entries)
        continuations = resumed.continuations
        let specs = CallEngine.anchoredSpecs(for: resumed.attempts, plans: plans).specs
        return feed { m, now in m.routeContinued(resumed.attempts, specs: specs, now: now) }
    }

    // MARK: Anchored events

    @discardableResult mutating func callerMediaOpened(lateOffer: Bool = false) -> [Action] {
        feed { m, now in m.callerMediaOpened(lateOffer: lateOffer, now: now) }
    }
    @discardableResult mutating func legMediaOpened() -> [Action] { feed { m, now in m.legMediaOpened(now: now) } }
    @discardableResult mutating func digit(_ key: Character) -> [Action] { feed { m, now in m.digitReceived(key, now: now) } }

    /// The current menu's prompt, played to its end.
    @discardableResult mutating func promptEnds() -> [Action] {
        guard case .menu(_, let run) = machine.state, case .prompting(let prompt) = run.menu.state else { return [] }
        let generation = run.menu.generation
        return feed { m, now in m.promptFinished(plan: run.plan, prompt, generation: generation, now: now) }
    }

    /// The queue's dispatch offering `targets` (plan legs of the queue) to this caller.
    @discardableResult mutating func offer(_ targets: [String]) -> [Action] {
        let legs = targets.map { RouteDecision.Leg(target: $0, contact: nil, timeout: 15, callerID: "+14155550123") }
        return feed { m, now in m.queueOffer(legs, now: now) }
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
    mutating func request(_ method: SIPMethod, from side: Machine.Side, withBody: Bool = true) -> [Action] {
        feed { m, now in m.inDialogRequest(method, from: side, withBody: withBody, now: now) }
    }

    /// The current group's ring timer, fired.
    @discardableResult mutating func ringTimeout() -> [Action] {
        var anchored: Int? { if case .anchoredRinging(_, let r) = machine.state { r.generation } else { nil } }
        guard let generation = machine.ringing?.generation ?? anchored else { return [] }
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
    func recorded(_ kind: LegEvent.Kind, leg: Int?) -> [Machine.Record] {
        let target: Machine.Record.Leg = leg.map { .outbound(LegRef(number: $0)) } ?? .inbound
        return Self.records(log).filter { $0.leg == target && $0.kind == kind }
    }
}

extension LegRef {
    static func n(_ number: Int) -> LegRef { LegRef(number: number) }
}
