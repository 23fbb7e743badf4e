import Dialplan
import Foundation
import NIOCore
import SIPMessage

/// Queue calls live on the first shard, the queues' home (issue 12 item 4), and so do calls
/// that may ring registered agents (issue 15): the registrar, its bindings' flows (TCP
/// connections are accepted on the first loop) and their Path live there.
///
/// A queue's agents are shared by all its callers (and an agent of two queues is busy in
/// both), and the engine keeps that state with the calls, on one loop. Rather than lock it
/// and hop between loops for every offer, every call that may reach a queue is pinned to
/// shard 0 when its INVITE arrives: the owner by Call-ID (shard S) sees that the dialled
/// number's account has a queue plan and forwards the INVITE, and remembers the Call-ID, so
/// the caller's later messages (CANCEL, ACK, BYE, re-INVITE: all with the carrier's Call-ID,
/// which hashes to S) follow it. The legs shard 0 places carry its own Call-ID marker and
/// reach it directly. Queue calls are not the hot path: they cost one more loop hop, and do
/// not spread over cores. Calls of accounts without a queue stay where their Call-ID hashes.
///
/// The forwarding entry is kept for the maximum call duration (plus five minutes for late
/// retransmissions) after the last message of the call, then dropped; entries are per shard,
/// touched only on its loop, created only for trusted sources' INVITEs.
extension SIPService {
    static let queueHomeGrace = TimeAmount.minutes(5)

    /// The shard that runs this message's call when it is not `shard` (on `shard`'s loop).
    func queueHome(for message: SIPMessage, from peer: SIPPeer, on shard: SIPShard) -> SIPShard? {
        let callID = message.callID
        let now = NIODeadline.now()
        let keep = Self.timeAmount(Duration.milliseconds(Int64(configuration.calls.maxDurationSeconds * 1000))) + Self.queueHomeGrace
        if let until = shard.forwarded[callID] {
            if until > now {
                shard.forwarded[callID] = now + keep
                return shards[0]
            }
            shard.forwarded[callID] = nil
        }
        guard case .request(let request) = message, request.method == .invite, request.to.tag == nil,
              configuration.isTrusted(peer.host) else { return nil }
        let table = dialplans.current
        // The dialled number as the engine reads it (Request-URI user, else the To user).
        let dialled = request.uri.user ?? request.to.uri.user ?? ""
        let decoded = dialled.removingPercentEncoding ?? dialled
        let agentLine = agents.map { $0.agent(withNumber: decoded) != nil || $0.agent(withNumber: "+" + decoded) != nil } ?? false
        if !agentLine {
            guard Self.hasQueues(table, cache: &shard.queueTable) else { return nil }
            guard let entry = table.lookup(dialled: decoded, defaultRegion: configuration.defaultRegion),
                  entry.account.plans.values.contains(where: \.needsHomeShard) else { return nil }
        }
        if shard.forwarded.count >= 4096, shard.forwarded.count.isMultiple(of: 4096) {
            shard.forwarded = shard.forwarded.filter { $0.value > now }
        }
        shard.forwarded[callID] = now + keep
        return shards[0]
    }

    /// Whether any account of `table` has a queue plan, computed once per table generation.
    /// (The cache holds the table itself: an identifier could be reused by the next one.)
    static func hasQueues(_ table: DialplanTable, cache: inout (table: DialplanTable, hasQueues: Bool)?) -> Bool {
        if let cache, cache.table === table { return cache.hasQueues }
        let has = table.accounts.values.contains { $0.plans.values.contains(where: \.needsHomeShard) }
        cache = (table, has)
        return has
    }
}

extension Plan {
    var isQueue: Bool {
        if case .queue = kind { return true }
        return false
    }

    /// A queue, or a plan that rings an `agent:` target (which may be registered).
    var needsHomeShard: Bool {
        switch kind {
        case .queue: true
        case .ringAll(let p): p.targets.contains(where: \.isAgent)
        case .sequential(let p): p.steps.contains { $0.target.isAgent }
        case .geographic(let p): p.rules.contains { $0.plan.needsHomeShard } || (p.defaultPlan?.needsHomeShard ?? false)
        case .ivr, .schedule: false  // they name other plans of the account, looked at on their own
        }
    }
}

extension Target {
    var isAgent: Bool {
        if case .agent = self { return true }
        return false
    }
}
