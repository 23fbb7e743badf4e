import CallEngine

/// The engine's own counters, mirrored into Prometheus counters at each look.
public struct EngineCounterMirrors {
    public var started, answered, failed, cancelled, refused, legs: CounterMirror
    public var agentCalls: [AgentCallOutcome: CounterMirror]

    public init(_ metrics: DaemonMetrics) {
        started = CounterMirror(metrics.callsStarted)
        answered = CounterMirror(metrics.callsByOutcome["answered"]!)
        failed = CounterMirror(metrics.callsByOutcome["failed"]!)
        cancelled = CounterMirror(metrics.callsByOutcome["cancelled"]!)
        refused = CounterMirror(metrics.callsByOutcome["refused"]!)
        legs = CounterMirror(metrics.legsPlaced)
        agentCalls = metrics.agentCallsByOutcome.mapValues { CounterMirror($0) }
    }

    /// From every shard's engine, added up.
    public mutating func update(_ all: [CallEngine.Statistics]) {
        started.update(to: all.reduce(0) { $0 + $1.callsStarted })
        answered.update(to: all.reduce(0) { $0 + $1.callsAnswered })
        failed.update(to: all.reduce(0) { $0 + $1.callsFailed })
        cancelled.update(to: all.reduce(0) { $0 + $1.callsCancelled })
        refused.update(to: all.reduce(0) { $0 + $1.callsRefused })
        legs.update(to: all.reduce(0) { $0 + $1.legsPlaced })
        for outcome in AgentCallOutcome.allCases {
            agentCalls[outcome]?.update(to: all.reduce(0) { $0 + $1.agentCalls[outcome, default: 0] })
        }
    }
}
