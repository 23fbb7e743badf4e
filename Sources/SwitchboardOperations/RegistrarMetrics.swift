import CoreMetrics
import Prometheus
import Registrar

/// The registrar's series (issue 15): registrations, authentications by result, blocks.
/// Fixed labels only; which sources are blocked is in the log (one line per block).
public final class RegistrarMetrics: Sendable {
    public let registrations, authOK, authFailed, blocks, blockedRequests, challenges: CoreMetrics.Counter
    public let bindings, blocksActive, agents: CoreMetrics.Gauge

    public init(factory: PrometheusMetricsFactory) {
        registrations = factory.counter("switchboard_registrar_registrations_total")
        authOK = factory.counter("switchboard_registrar_authentications_total", [("result", "ok")])
        authFailed = factory.counter("switchboard_registrar_authentications_total", [("result", "failed")])
        blocks = factory.counter("switchboard_registrar_blocks_total")
        blockedRequests = factory.counter("switchboard_registrar_blocked_requests_total")
        challenges = factory.counter("switchboard_registrar_challenges_total")
        bindings = factory.gauge("switchboard_registrar_bindings")
        blocksActive = factory.gauge("switchboard_registrar_blocks_active")
        agents = factory.gauge("switchboard_registrar_agents")
    }
}

/// The registrar's counters mirrored at each scrape (SIP loop only).
public struct RegistrarCounterMirrors {
    public var registrations, authOK, authFailed, blocks, blockedRequests, challenges: CounterMirror

    public init(_ m: RegistrarMetrics) {
        registrations = CounterMirror(m.registrations)
        authOK = CounterMirror(m.authOK)
        authFailed = CounterMirror(m.authFailed)
        blocks = CounterMirror(m.blocks)
        blockedRequests = CounterMirror(m.blockedRequests)
        challenges = CounterMirror(m.challenges)
    }

    public mutating func update(_ registrar: Registrar, metrics m: RegistrarMetrics) {
        let s = registrar.statistics
        registrations.update(to: s.registrations)
        authOK.update(to: s.authenticationsOK)
        authFailed.update(to: s.authenticationsFailed)
        blocks.update(to: s.blocks)
        blockedRequests.update(to: s.blockedRequests)
        challenges.update(to: s.challenges)
        m.bindings.record(registrar.bindings.count)
        m.blocksActive.record(registrar.activeBlocks)
        m.agents.record(registrar.directory.count)
    }
}
