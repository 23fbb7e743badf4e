import Dialplan
import Foundation
import SIPMessage

/// `agent:NAME` targets (issue 15): every live binding of the agent rings in parallel (the
/// first answer wins, as in ring-all); with none, the dialplan's static contact; with
/// neither, the agent is unavailable (a queue does not offer it calls).
extension CallEngine {
    /// How long an agent's direct line rings before the caller gets the failure.
    static let agentDirectRingSeconds = 30

    static func agentName(_ target: String) -> String? {
        target.lowercased().hasPrefix("agent:") ? String(target.dropFirst(6)) : nil
    }

    /// False for an agent with no live binding and no static contact.
    func isReachable(_ leg: RouteDecision.Leg, account: String) -> Bool {
        guard let name = Self.agentName(leg.target) else { return true }
        if let contact = leg.contact, !contact.isEmpty { return true }
        return !(agentLocator?.contacts(ofAgent: name, account: account).isEmpty ?? true)
    }

    /// A number no dialplan claims but that is an agent's tracking number: ring the agent.
    func agentDirectRoute(_ route: RouteDecision) -> RouteDecision? {
        guard let number = route.trackingNumber, let owner = agentLocator?.agent(withNumber: number) else { return nil }
        var direct = route
        direct.outcome = "routed"
        direct.status = 100
        direct.account = owner.account
        direct.source = "agent-direct"
        direct.callerIDPolicy = "caller"
        let leg = RouteDecision.Leg(target: "agent:\(owner.agent)", contact: nil, timeout: Self.agentDirectRingSeconds,
                                    callerID: route.caller.e164 ?? "anonymous")
        direct.attempts = [.init(trigger: "initial", decisions: [], groups: [.init(plan: "agent-direct", startsAfter: 0, legs: [leg])],
                                 onFailure: "the caller gets the best failure")]
        return direct
    }
}
