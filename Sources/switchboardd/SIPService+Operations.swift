import CallEngine
import Foundation
import Logging
import NIOCore
import SIPTransport

/// The engine's own counters, mirrored into Prometheus counters at each look.
struct EngineCounterMirrors {
    var started, answered, failed, cancelled, refused, legs: CounterMirror
    var agentCalls: [AgentCallOutcome: CounterMirror]

    init(_ metrics: DaemonMetrics) {
        started = CounterMirror(metrics.callsStarted)
        answered = CounterMirror(metrics.callsByOutcome["answered"]!)
        failed = CounterMirror(metrics.callsByOutcome["failed"]!)
        cancelled = CounterMirror(metrics.callsByOutcome["cancelled"]!)
        refused = CounterMirror(metrics.callsByOutcome["refused"]!)
        legs = CounterMirror(metrics.legsPlaced)
        agentCalls = metrics.agentCallsByOutcome.mapValues { CounterMirror($0) }
    }

    /// From every shard's engine, added up.
    mutating func update(_ all: [CallEngine.Statistics]) {
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

extension SIPService {
    // MARK: systemd (first shard's loop)

    /// READY=1 once listening with the dialplans loaded, then the watchdog and `STATUS=`.
    /// The watchdog pings only when every SIP loop has answered a no-op: a loop that stops
    /// turning stops the pings, and systemd restarts us.
    func startOperations(readyStatus: String) {
        eventLoop.preconditionInEventLoop()
        if let metrics = operations.metrics {
            mirrors = EngineCounterMirrors(metrics)
            edgeMirrors = EdgeCounterMirrors(metrics.edge)
            shardCalls = shards.map { CounterMirror(metrics.shardCallsStarted(shard: $0.index)) }
        }
        startEdgeSummary()
        guard let notifier = operations.notifier else { return }
        notifier.send(["READY=1", SystemdNotifier.status(readyStatus)])
        for shard in shards {
            shard.transport.onListenerChange = { [weak self] in
                self?.statusLine().whenSuccess { notifier.send(SystemdNotifier.status($0)) }
            }
        }
        if let interval = notifier.watchdogInterval {
            notifier.send("WATCHDOG=1")
            repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: Self.timeAmount(interval),
                                                                delay: Self.timeAmount(interval)) { [self] _ in
                onEveryShard { _ in () }.whenSuccess { _ in notifier.send("WATCHDOG=1") }
            })
        }
        let statusEvery = Self.timeAmount(operations.statusInterval)
        repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: statusEvery, delay: statusEvery) { [self] _ in
            statusLine().whenSuccess { notifier.send(SystemdNotifier.status($0)) }
        })
    }

    /// "Ready: 3 calls in progress" (+ the last reload's failure while it stands, and any
    /// listening socket that is down or had to be reopened: systemd shows it in `status`),
    /// counted over every shard.
    func statusLine(draining: String? = nil) -> EventLoopFuture<String> {
        let reloads = operations.reloads
        return onEveryShard { $0.snapshot() }.map { snapshots in
            let calls = snapshots.reduce(0) { $0 + $1.calls }
            let head = draining ?? "Ready"
            let transport = TransportStatistics.sum(snapshots.map(\.transport))
            return "\(head): \(calls) call\(calls == 1 ? "" : "s") in progress\(reloads.suffix)\(Self.listenerSuffix(transport))"
        }
    }

    /// "; 1 listening socket down" / "; listening sockets reopened 2 times".
    static func listenerSuffix(_ s: TransportStatistics) -> String {
        var text = ""
        if s.listenersDown > 0 { text += "; \(s.listenersDown) listening socket\(s.listenersDown == 1 ? "" : "s") down" }
        if s.listenerReopens > 0 { text += "; listening sockets reopened \(s.listenerReopens) time\(s.listenerReopens == 1 ? "" : "s")" }
        return text
    }

    static func timeAmount(_ d: Duration) -> TimeAmount {
        let (seconds, attoseconds) = d.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: Metrics

    /// Gauges and mirrored counters brought up to date (before a scrape): each shard's
    /// counters read on its loop, added up and mirrored on the first loop.
    func refreshMetrics() -> EventLoopFuture<Void> {
        guard let metrics = operations.metrics else { return eventLoop.makeSucceededVoidFuture() }
        let snapshots = onEveryShard { shard in (shard.snapshot(), shard.engine?.queueSnapshots() ?? []) }
        return snapshots.map { [self] all in
            let shots = all.map(\.0)
            metrics.callsInProgress.record(shots.reduce(0) { $0 + $1.calls })
            metrics.transactionsInProgress.record(shots.reduce(0) { $0 + $1.transactions })
            let statistics = shots.compactMap(\.statistics)
            mirrors?.update(statistics)
            for (index, s) in shots.enumerated() where index < shardCalls.count {
                shardCalls[index].update(to: s.statistics?.callsStarted ?? 0)
            }
            edgeMirrors?.update(edge.metricsSample(), strayResponses: shots.reduce(0) { $0 + $1.strayResponses },
                                metrics: metrics.edge)
            if let registrar { registrarMirrors?.update(registrar, metrics: metrics.registrar) }  // first loop: its own
            metrics.sampleJournal()
            metrics.transport.record(TransportStatistics.sum(shots.map(\.transport)))
            metrics.queueStatus.record(all.flatMap(\.1))
        }
    }

    /// `GET /queues`: every queue's waiting callers and agents (queue calls live on the
    /// first shard, see `SIPService+QueueHome`); the callers' numbers masked unless the
    /// request carried the admin token.
    func queueDocument(revealCallers: Bool) -> EventLoopFuture<[UInt8]> {
        onEveryShard { $0.engine?.queueSnapshots() ?? [] }.map { all in
            QueueStatus.json(all.flatMap { $0 }, revealCallers: revealCallers)
        }
    }

    // MARK: Drain (SIGTERM)

    /// New INVITEs get 503 + Retry-After from now on; calls in progress get `drainGrace` to
    /// end by themselves, then both legs of each get a BYE; then the journal is flushed.
    /// The transport stays up throughout, so BYEs and their answers still flow.
    func drain() async {
        operations.notifier?.send(["STOPPING=1", SystemdNotifier.status("Draining")])
        operations.metrics?.draining.record(1)
        let grace = operations.drainGrace
        let start = ContinuousClock.now
        func callsInProgress() async -> Int {
            (try? await onEveryShard { $0.engine?.activeCallCount ?? 0 }.get())?.reduce(0, +) ?? 0
        }
        var remaining = (try? await onEveryShard { shard -> Int in
            shard.engine?.isDraining = true
            return shard.engine?.activeCallCount ?? 0
        }.get())?.reduce(0, +) ?? 0
        if remaining > 0 {
            logger.notice("draining: new calls get 503; calls in progress may go on",
                          metadata: ["calls": "\(remaining)", "drain.grace": "\(grace)"])
        }
        var lastStatus = start
        while remaining > 0, ContinuousClock.now - start < grace {
            try? await Task.sleep(for: .milliseconds(50))
            remaining = await callsInProgress()
            if ContinuousClock.now - lastStatus >= .seconds(1) {
                lastStatus = ContinuousClock.now
                let left = Int((grace - (ContinuousClock.now - start)).components.seconds)
                let status = (try? await statusLine(draining: "Draining, \(left)s of grace left").get()) ?? "Draining"
                operations.notifier?.send(SystemdNotifier.status(status))
            }
        }
        if remaining > 0 {
            logger.warning("drain grace over: hanging up the calls still in progress", metadata: ["calls": "\(remaining)"])
            _ = try? await onEveryShard { shard in
                guard let engine = shard.engine else { return }
                for id in engine.activeCallIDs { engine.hangUp(callID: id, reason: .shutdown) }
            }.get()
            // Give the BYEs a moment to be answered (bounded: a dead peer must not hold us).
            let byeDeadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < byeDeadline {
                let pending = (try? await onEveryShard { $0.layer?.activeClientTransactionCount ?? 0 }.get())?.reduce(0, +) ?? 0
                if pending == 0 { break }
                try? await Task.sleep(for: .milliseconds(50))
            }
        } else {
            logger.notice("drained: no calls in progress")
        }
        operations.notifier?.send(SystemdNotifier.status("Flushing the leg journal"))
        await flushLegJournal()
    }

    /// The end of every drain. The leg-record work fills `DaemonOperations.journal`.
    func flushLegJournal() async {
        guard let journal = operations.journal else { return }
        let start = ContinuousClock.now
        await journal.flushBeforeExit(deadline: .seconds(10))
        logger.notice("leg journal flushed", metadata: ["duration": "\(ContinuousClock.now - start)"])
    }
}
