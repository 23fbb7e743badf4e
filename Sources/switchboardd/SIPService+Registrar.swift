import CallEngine
import NIOCore
import Registrar
import SIPEdge

extension SIPService {
    /// Wires the registrar in (event loop, from `run()`): REGISTER answered by it, strangers'
    /// REGISTERs let through the edge, `agent:NAME` targets found through it, and expired
    /// bindings swept every 5 s. Nothing happens without a database (no agents).
    func startRegistrar(engine: CallEngine, handler: B2BUA, edge: EdgePolicy) {
        guard let agents else { return }
        let registrar = agents.makeRegistrar()
        self.registrar = registrar
        handler.registrar = { [unowned registrar] request, source in registrar.handle(request, from: source) }
        edge.admitsRegister = { [unowned agents] request in agents.admits(request) }
        engine.agentLocator = agents
        if let metrics = operations.metrics { registrarMirrors = RegistrarCounterMirrors(metrics.registrar) }
        let every = TimeAmount.seconds(5)
        repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { [weak self] _ in
            self?.registrar?.removeExpired()
        })
    }
}
