import Foundation

/// Decides where a call goes without placing it: the pure core that both
/// `switchboard route` and the call engine use (the engine calls the same
/// `SchedulePlan.branch(at:)`, `GeographicPlan.match(caller:)` and
/// `IVRPlan.choose(digits:)` step by step as the call progresses).
public enum Router {
    /// - Parameters:
    ///   - dialled: the tracking number as received (any format).
    ///   - caller: the caller's number as received; nil or "anonymous" when withheld.
    ///   - date: the moment of the call (schedules use the account's timezone).
    ///   - digits: what the caller presses at each IVR menu, in order (one entry per menu attempt).
    ///   - table: the table the call uses.
    ///   - defaultRegion: region for national-format numbers (the carrier trunk's country).
    public static func route(to dialled: String, from caller: String?, at date: Date, digits: [String] = [],
                             table: DialplanTable, defaultRegion: String? = nil) -> RouteDecision {
        walk(to: dialled, from: caller, at: date, digits: digits, table: table, defaultRegion: defaultRegion).decision
    }

    /// As `route`, with a continuation at each IVR menu the walk reached, in walk order: when
    /// the caller has made a menu's choice, the engine resumes the walk at that menu instead of
    /// routing the call again from the top (what comes before the menu is not evaluated again).
    /// `numbers`: the engine's memo of libphonenumber's answers (one per SIP loop); nil asks
    /// libphonenumber every time, as `switchboard route` does.
    public static func routeWithContinuations(to dialled: String, from caller: String?, at date: Date,
                                              table: DialplanTable, defaultRegion: String? = nil,
                                              numbers: PhoneNumberMemo? = nil)
        -> (decision: RouteDecision, continuations: [RouteContinuation]) {
        walk(to: dialled, from: caller, at: date, digits: [], table: table, defaultRegion: defaultRegion, numbers: numbers)
    }

    private static func walk(to dialled: String, from caller: String?, at date: Date, digits: [String],
                             table: DialplanTable, defaultRegion: String?, numbers: PhoneNumberMemo? = nil)
        -> (decision: RouteDecision, continuations: [RouteContinuation]) {
        // `.some(nil)` from the memo is a remembered "not a number": not asked again.
        let details = numbers.map { $0.details(parsing: dialled, defaultRegion: defaultRegion, withLocation: false) }
            ?? PhoneNumber.details(parsing: dialled, defaultRegion: defaultRegion, withLocation: false)
        let number = details?.number
        let callerInfo = CallerInfo(caller, defaultRegion: details?.region ?? defaultRegion, numbers: numbers)
        var decision = RouteDecision(outcome: "not-found", status: 404, dialled: dialled, trackingNumber: number?.e164,
                                     account: nil, source: nil, callerIDPolicy: nil, caller: callerInfo,
                                     at: date.ISO8601Format(), attempts: [])
        guard let number, let entry = table.lookup(e164: number.e164) else { return (decision, []) }
        decision.outcome = "routed"
        decision.status = 100
        decision.account = entry.account.name
        decision.source = entry.source
        decision.callerIDPolicy = entry.account.callerID.rawValue
        let shownCallerID: String = switch entry.account.callerID {
        case .caller: callerInfo.e164 ?? "anonymous"
        case .trackingNumber: entry.number
        }
        var walk = RouteWalk(caller: callerInfo, date: date, digits: digits[...], callerID: shownCallerID)
        decision.attempts = walk.run(entry.plan)
        return (decision, walk.continuations)
    }
}

/// A routing walk stopped at an IVR menu (`Router.routeWithContinuations`).
public struct RouteContinuation: Sendable {
    let walk: RouteWalk
    let frame: RouteWalk.Frame
    /// The attempt (index in `RouteDecision.attempts`) the menu is in, and how many IVR
    /// menus of that attempt come before it.
    public let attempt: Int
    public let menu: Int

    /// The walk on from the menu, given what the caller entered there (one entry per menu
    /// attempt, as `Router.route(digits:)` takes them): every attempt of the call (those
    /// before the menu unchanged), and the continuations of the menus after it.
    public func resume(entries: [String]) -> (attempts: [RouteDecision.Attempt], continuations: [RouteContinuation]) {
        var walk = self.walk
        walk.digits = entries[...]
        let attempts = walk.run(frame, resuming: true)
        return (attempts, walk.continuations)
    }
}

/// The state of one dry-run: digits left, plans already tried.
struct RouteWalk: Sendable {
    let caller: CallerInfo
    let date: Date
    var digits: ArraySlice<String>
    let callerID: String
    private var tried = Set<ObjectIdentifier>()
    /// A snapshot before each IVR menu's step, for `RouteContinuation`.
    private(set) var continuations: [RouteContinuation] = []

    init(caller: CallerInfo, date: Date, digits: ArraySlice<String>, callerID: String) {
        self.caller = caller
        self.date = date
        self.digits = digits
        self.callerID = callerID
    }

    /// Where a walk stands inside an attempt: the attempts done, the one being built, the
    /// `then:` plans pending, and the plan about to be stepped.
    struct Frame: Sendable {
        var attempts: [RouteDecision.Attempt]
        var attempt: RouteDecision.Attempt
        var thens: [Plan]
        var plan: Plan
    }

    /// Follows routing plans down to the plan that rings, then `then:`
    /// fallbacks innermost first (a branch's own `then:` before its schedule's).
    /// A plan already tried in this call is skipped, so every walk ends.
    mutating func run(_ start: Plan) -> [RouteDecision.Attempt] {
        run(Frame(attempts: [], attempt: .init(trigger: "initial", decisions: [], groups: [], onFailure: ""), thens: [], plan: start))
    }

    /// Runs the walk on from `frame`; `resuming`: its plan is the menu the walk stopped at,
    /// which takes the entries now (no new continuation for it).
    mutating func run(_ frame: Frame, resuming: Bool = false) -> [RouteDecision.Attempt] {
        var attempts = frame.attempts
        var attempt = frame.attempt
        var thens = frame.thens
        var plan = frame.plan
        var resumed = resuming
        while true {
            var failure = ""
            while true {
                if case .ivr = plan.kind, !resumed {
                    var snapshot = self
                    snapshot.continuations = []
                    let menu = attempt.decisions.filter { $0.kind == "ivr" }.count
                    continuations.append(RouteContinuation(
                        walk: snapshot, frame: Frame(attempts: attempts, attempt: attempt, thens: thens, plan: plan),
                        attempt: attempts.count, menu: menu))
                }
                resumed = false
                tried.insert(ObjectIdentifier(plan))
                if let then = plan.then { thens.append(then) }
                let step = self.step(plan, into: &attempt)
                guard let following = step.next else { failure = step.failure; break }
                plan = following
            }
            var next: Plan?
            while let candidate = thens.popLast() {
                if !tried.contains(ObjectIdentifier(candidate)) { next = candidate; break }
            }
            attempt.onFailure = next.map { "\(failure): then \($0.name)" } ?? "\(failure): caller hears the best final response"
            attempts.append(attempt)
            guard let following = next, attempts.count < 32 else { break }
            attempt = .init(trigger: "\(plan.name) failed (busy, no answer or error)", decisions: [], groups: [], onFailure: "")
            plan = following
        }
        return attempts
    }

    /// One plan: a routing decision (returns the next plan) or ringing (returns nil).
    private mutating func step(_ plan: Plan, into attempt: inout RouteDecision.Attempt) -> (next: Plan?, failure: String) {
        let kind = plan.kind.keyword
        switch plan.kind {
        case .schedule(let schedule):
            let choice = schedule.branch(at: date)
            attempt.decisions.append(.init(plan: plan.name, kind: kind, choice: choice.branch,
                                           reason: "\(choice.localTime): \(choice.reason)" + (choice.plan.map { " → \($0.name)" } ?? " and there is no default")))
            return (choice.plan, "schedule \(plan.name) has no plan for this time")
        case .geographic(let geographic):
            let match = geographic.match(caller: caller)
            let choice = match.ruleIndex.map { "rule \($0 + 1)" } ?? "default"
            attempt.decisions.append(.init(plan: plan.name, kind: kind, choice: choice,
                                           reason: match.reason + (match.plan.map { " → \($0.name)" } ?? " and there is no default")))
            return (match.plan, "geographic \(plan.name) has no plan for this caller")
        case .ivr(let ivr):
            let choice = ivr.choose(digits: &digits)
            attempt.decisions.append(.init(plan: plan.name, kind: kind, choice: choice.option ?? (choice.plan == nil ? "none" : "default"),
                                           reason: choice.reason + (choice.plan.map { " → \($0.name)" } ?? ""),
                                           plays: [ivr.prompt] .map(Self.fileName) + (choice.playedInvalid ? ivr.invalidPrompt.map { [Self.fileName($0)] } ?? [] : [])))
            return (choice.plan, "ivr \(plan.name) got no valid choice and has no default")
        case .ringAll(let ringAll):
            attempt.decisions.append(.init(plan: plan.name, kind: kind, choice: nil,
                                           reason: "ring \(ringAll.targets.count) targets at once for \(PlanDuration.format(ringAll.timeout))"))
            attempt.groups.append(.init(plan: plan.name, startsAfter: 0, legs: ringAll.targets.map { leg($0, ringAll.timeout) }, note: nil))
            return (nil, "nobody answers within \(PlanDuration.format(ringAll.timeout))")
        case .sequential(let sequential):
            var offset = 0
            var skipped = 0
            for step in sequential.steps {
                if let budget = sequential.budget, offset >= budget { skipped += 1; continue }
                let timeout = sequential.budget.map { min(step.timeout, $0 - offset) } ?? step.timeout
                attempt.groups.append(.init(plan: plan.name, startsAfter: offset, legs: [leg(step.target, timeout)], note: nil))
                offset += timeout
            }
            let budget = sequential.budget.map { " within a budget of \(PlanDuration.format($0))" } ?? ""
            attempt.decisions.append(.init(plan: plan.name, kind: kind, choice: nil,
                                           reason: "ring \(sequential.steps.count - skipped) targets one after another\(budget)"
                                               + (skipped > 0 ? " (\(skipped) skipped: budget spent)" : "")))
            return (nil, "no target answers")
        case .queue(let queue):
            attempt.decisions.append(.init(plan: plan.name, kind: kind, choice: queue.strategy.rawValue,
                                           reason: "answer the caller and queue for up to \(PlanDuration.format(queue.maxWait)) with strategy \(queue.strategy.rawValue)"
                                               + (queue.announcePosition.map { ", announcing the position every \(PlanDuration.format($0.every))" } ?? ""),
                                           plays: queue.holdMusic.map { [Self.fileName($0)] }))
            attempt.groups += queueGroups(plan.name, queue)
            return (nil, "no agent answers within \(PlanDuration.format(queue.maxWait))")
        }
    }

    private func queueGroups(_ name: String, _ queue: QueuePlan) -> [RouteDecision.LegGroup] {
        switch queue.strategy {
        case .ringAll:
            return [.init(plan: name, startsAfter: 0, legs: queue.agents.map { leg($0, queue.agentTimeout) }, note: "all free agents ring together, repeated until max-wait")]
        case .linear:
            return queue.agents.enumerated().map { index, agent in
                .init(plan: name, startsAfter: index * queue.agentTimeout, legs: [leg(agent, queue.agentTimeout)], note: index == 0 ? "always in this order, repeated until max-wait" : nil)
            }
        default:
            return queue.agents.enumerated().map { index, agent in
                .init(plan: name, startsAfter: index * queue.agentTimeout, legs: [leg(agent, queue.agentTimeout)],
                      note: index == 0 ? "one agent at a time; the order is chosen at call time by \(queue.strategy.rawValue)" : nil)
            }
        }
    }

    private func leg(_ target: Target, _ timeout: Int) -> RouteDecision.Leg {
        var contact: String?
        if case .agent(_, let agentContact) = target, !agentContact.isEmpty { contact = agentContact }
        return .init(target: target.description, contact: contact, timeout: timeout, callerID: callerID)
    }

    /// Prompt files are shown by name so traces do not depend on the install path.
    static func fileName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }
}
