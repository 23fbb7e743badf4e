import CallLegs
import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTransaction

/// Agents' own calls (issue 15 item 4). The agent's INVITE has passed the registrar's 407
/// challenge (its `Proxy-Authorization` is checked here, in its transaction); then, before
/// anything is dialled, the destination is checked against the account's `outbound:` policy
/// (E.164 only, allowed countries, no premium or high-cost ranges, concurrent calls per
/// agent, the daily spend limit), and only then is the call placed — as a one-leg plan to
/// `tel:DESTINATION`, out through the trunks exactly as a dialplan's `tel:` target, so
/// bridging, BYE, re-INVITE relaying, CANCEL and the leg records are the ordinary ones. The
/// From and P-Asserted-Identity (RFC 3325) carry the agent's tracking number; the agent's
/// `Privacy: id` (RFC 3323) makes the From anonymous and keeps the PAI for the trunk
/// (our carriers, the trust domain) with `Privacy: id` so it goes no further.
///
/// Every agent's call lives on the first SIP loop (the registrar's), so the per-agent count
/// is the node's without a lock.
/// An agent's call in progress: who placed it, and its leg (whose end ends the entry).
struct AgentCall {
    let agent: OutboundAgent
    let agentLeg: UUID
}

extension CallEngine {
    /// How long the destination may ring before the agent gets the failure.
    static let agentOutboundRingSeconds = 90

    public func receiveAgentInvite(_ invite: SIPRequest, from peer: SIPPeer, transaction: ServerTransactionID) {
        try? layer.sendTrying(on: transaction)
        let toTag = Self.makeTag()
        guard let authenticate = authenticateAgentInvite else {
            refuse(invite, transaction, 403, toTag: toTag)
            return
        }
        let agent: OutboundAgent
        switch authenticate(invite, peer) {
        case .refused(let response):
            if response.statusCode != 407 { count(.refusedAuthentication) }
            try? layer.respond(response, on: transaction)
            return
        case .authenticated(let a):
            agent = a
        }
        var log = logger
        log[metadataKey: "sip.call_id"] = "\(invite.callID)"
        log[metadataKey: "agent"] = "\(agent.name)"
        log[metadataKey: "account"] = "\(agent.account)"
        if isDraining {
            refuse(invite, transaction, 503, toTag: toTag, retryAfter: true)
            return
        }
        let dialled = (invite.uri.user ?? invite.to.uri.user ?? "").removingPercentEncoding ?? ""
        func refuseCall(_ status: Int, _ outcome: AgentCallOutcome, _ text: String, retryAfter: Bool = false) {
            count(outcome)
            log.notice("agent call refused", metadata: ["reason": "\(text)", "dialled": "\(dialled)"])
            var response = SIPResponse(to: invite, statusCode: status, toTag: toTag)
            // RFC 3326: the agent's phone (and whoever reads its logs) sees why.
            response.headers.add("Reason", "SIP;cause=\(status);text=\"\(text)\"")
            if retryAfter { response.headers.add("Retry-After", "\(configuration.retryAfterSeconds)") }
            try? layer.respond(response, on: transaction)
        }
        let table = dialplans.current
        guard let account = table.accounts[agent.account] else {
            refuseCall(403, .refusedAccount, "account has no dialplan")
            return
        }
        if let reason = accessPolicy?(agent.account) {
            refuseCall(403, .refusedAccount, reason)
            return
        }
        // Never dial what nobody can be billed for, nor show a caller ID that is not ours.
        guard let number = agent.number else {
            refuseCall(403, .refusedAccount, "agent has no tracking number")
            return
        }
        let policy = account.outbound
        let destination: String
        switch policy.check(dialled: dialled) {
        case .success(let e164): destination = e164
        case .failure(let refusal):
            let outcome: AgentCallOutcome = switch refusal {
            case .notE164, .noCountry: .refusedDestination
            case .countryNotAllowed: .refusedCountry
            case .premium: .refusedPremium
            }
            refuseCall(403, outcome, refusal.reason)
            return
        }
        let inProgress = agentCalls.values.filter { $0.agent.name == agent.name }.count
        if inProgress >= policy.maxCallsPerAgent {
            refuseCall(503, .refusedConcurrency, "agent has \(inProgress) calls in progress (limit \(policy.maxCallsPerAgent))",
                       retryAfter: true)
            return
        }
        if let limit = policy.dailySpendLimit {
            // Fail closed: a limit nobody can check (no spend source wired in this daemon)
            // refuses the call rather than let it run up an unbounded bill.
            guard let spendPolicy else {
                refuseCall(503, .refusedSpend, "spend limit cannot be checked", retryAfter: true)
                return
            }
            if let reason = spendPolicy(agent.account, limit) {
                refuseCall(403, .refusedSpend, reason)
                return
            }
        }
        // The same trunk choice as a dialplan's tel: target; none: nothing is sent anywhere.
        if case .failure = TargetResolution.resolve(target: "tel:" + destination, contact: nil, configuration: configuration) {
            refuseCall(403, .refusedNoRoute, "no trunk for the destination")
            return
        }
        if let refusal = admission.admit(source: peer.host, number: number, now: monotonic()) {
            log.warning("agent call refused: overload", metadata: ["limit": "\(refusal)"])
            refuseCall(503, .refusedOverload, "overload", retryAfter: true)
            return
        }

        let withheld = Self.asksPrivacy(invite)
        let route = RouteDecision.agentOutbound(account: agent.account, agentNumber: number, destination: destination,
                                                callerID: withheld ? "anonymous" : number,
                                                ringSeconds: Self.agentOutboundRingSeconds)
        let inbound = inboundLeg(for: invite, transaction: transaction, from: peer, toTag: toTag)
        let call = Call(inbound: inbound, route: route, account: agent.account, trackingNumber: number,
                        source: "agent-outbound", caller: number)
        register(call, table: table, transaction: transaction, toTag: toTag)
        agentCalls[call.id] = AgentCall(agent: agent, agentLeg: inbound.id)
        emit(.created(leg: inbound.id, call: call.id, .init(
            account: agent.account, trackingNumber: number, source: call.source, direction: .agent,
            target: "tel:" + destination, sipCallID: invite.callID, callerNumber: number)))
        log.info("agent call placed", metadata: ["destination": "\(destination)", "withheld": "\(withheld)"])
        startMachine(call)
    }

    /// RFC 3323 §4.2: `Privacy: id` (or `user`, or `header`) asks that the caller's identity
    /// be withheld from the called party.
    static func asksPrivacy(_ invite: SIPRequest) -> Bool {
        invite.headers.values("Privacy").contains { value in
            value.split(whereSeparator: { $0 == ";" || $0 == "," }).contains {
                ["id", "user", "header"].contains($0.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
    }

    /// The identity on an agent's call's leg toward the trunk: the tracking number in From
    /// (anonymous when withheld) and in P-Asserted-Identity (RFC 3325 §9.1, toward our
    /// carriers, which are the trust domain); no Diversion or History-Info (nothing was
    /// forwarded: the agent placed this call).
    func presentAgent(_ agent: OutboundAgent, on invite: inout SIPRequest, original: SIPRequest,
                      trunk: CallEngineConfiguration.Trunk?) {
        invite.headers.remove("Diversion")
        invite.headers.remove("History-Info")
        invite.headers.remove("Identity")  // the agent's phone cannot sign for us
        guard let number = agent.number else { return }
        let user = trunk?.stripPlus == true ? String(number.drop(while: { $0 == "+" })) : number
        let withheld = Self.asksPrivacy(original)
        // The From's display name is ours to set, never the phone's (it could claim anyone).
        var from = invite.from
        from.displayName = nil
        if !withheld { from.uri = SIPURI(user: user, host: configuration.advertisedHost, parameters: [("user", "phone")]) }
        invite.from = from
        invite.headers.add("P-Asserted-Identity", "<sip:\(user)@\(configuration.advertisedHost);user=phone>")
        if withheld {
            invite.headers.set("Privacy", "id")
        } else {
            invite.headers.remove("Privacy")
        }
    }

    /// Every leg of an agent's call names the agent; the outcome is counted when the agent's
    /// leg ends, and the call leaves the per-agent count.
    func stampAgentCall(_ event: inout LegEvent) {
        guard let entry = agentCalls[event.callID] else { return }
        if case .created(var origin) = event.detail {
            origin.agent = entry.agent.name
            event.detail = .created(origin)
        }
        guard event.kind == .ended, event.legID == entry.agentLeg else { return }
        agentCalls[event.callID] = nil
        count(event.finalStatus == 200 ? .answered : .unanswered)
    }

    private func count(_ outcome: AgentCallOutcome) {
        statistics.agentCalls[outcome, default: 0] += 1
    }
}
