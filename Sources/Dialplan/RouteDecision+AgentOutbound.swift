import Foundation

extension RouteDecision {
    /// The plan of an agent's own call (issue 15 item 4): one leg, `tel:` the destination
    /// the account's `OutboundPolicy` accepted, out through the trunks like any `tel:`
    /// target, showing `callerID` (the agent's tracking number, or `anonymous`).
    public static func agentOutbound(account: String, agentNumber: String, destination: String, callerID: String,
                                     ringSeconds: Int, at date: Date = Date()) -> RouteDecision {
        let leg = Leg(target: "tel:" + destination, contact: nil, timeout: ringSeconds, callerID: callerID)
        let group = LegGroup(plan: "agent-outbound", startsAfter: 0, legs: [leg])
        return RouteDecision(outcome: "routed", status: 100, dialled: destination, trackingNumber: agentNumber,
                             account: account, source: "agent-outbound", callerIDPolicy: "tracking-number",
                             caller: CallerInfo(agentNumber), at: ISO8601DateFormatter().string(from: date),
                             attempts: [Attempt(trigger: "initial",
                                                decisions: [Decision(plan: "agent-outbound", kind: "ring-all", choice: nil,
                                                                     reason: "an agent's own call", plays: nil)],
                                                groups: [group], onFailure: "the agent gets the best failure")])
    }
}
