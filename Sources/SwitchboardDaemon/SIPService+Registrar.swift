import CallEngine
import NIOCore
import Registrar
import SIPEdge
import SwitchboardOperations

extension SIPService {
    /// Wires the registrar in (on `shard`'s loop, from `setUp`): every engine finds
    /// `agent:NAME` targets through the agents' shared, locked tables; the registrar itself
    /// (nonces, nonce counts, failure counts: not thread-safe, and brute-force limits must
    /// hold node-wide) lives on the first shard, which answers every REGISTER (`receive`
    /// hands them there) and sweeps expired bindings every 5 s. The edge lets strangers'
    /// REGISTERs through (see `init`). Nothing happens without a database (no agents).
    func startRegistrar(on shard: SIPShard, engine: CallEngine, handler: B2BUA) {
        guard let agents else { return }
        engine.agentLocator = agents
        guard shard.index == 0 else { return }
        let registrar = agents.makeRegistrar()
        self.registrar = registrar
        handler.registrar = { [unowned registrar] request, source in registrar.handle(request, from: source) }
        // Agents' own calls (issue 15 item 4): challenged and proved by the same registrar.
        let isTrusted = { [configuration] (host: String) in configuration.isTrusted(host) }
        handler.claimsAgentInvite = { [unowned registrar] request, source in
            !isTrusted(source.host) || registrar.claimsInvite(request)
        }
        engine.authenticateAgentInvite = { [unowned registrar] request, source in
            switch registrar.authenticateInvite(request, from: source) {
            case .authenticated(let a): .authenticated(OutboundAgent(account: a.account, name: a.name, number: a.number))
            case .refused(let response): .refused(response)
            }
        }
        if let metrics = operations.metrics { registrarMirrors = RegistrarCounterMirrors(metrics.registrar) }
        let every = TimeAmount.seconds(5)
        repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in
            self?.registrar?.removeExpired()
        })
    }
}
