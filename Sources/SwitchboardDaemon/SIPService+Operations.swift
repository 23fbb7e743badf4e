import CallEngine
import Foundation
import Logging
import NIOCore
import SIPTransport
import SwitchboardOperations

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

    /// The status line over every shard (`StatusLine`): "Ready: 3 calls in progress…".
    func statusLine(draining: String? = nil) -> EventLoopFuture<String> {
        let reloads = operations.reloads
        return onEveryShard { $0.snapshot() }.map { snapshots in
            StatusLine.text(head: draining ?? "Ready", calls: snapshots.reduce(0) { $0 + $1.calls }, reloads: reloads,
                            transport: TransportStatistics.sum(snapshots.map(\.transport)))
        }
    }

    static func timeAmount(_ d: Duration) -> TimeAmount {
        let (seconds, attoseconds) = d.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: Metrics

    /// Gauges and mirrored counters brought up to date (before a scrape): each shard's
    /// counters read on its loop, added up and mirrored on the first loop.
    public func refreshMetrics() -> EventLoopFuture<Void> {
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
    public func queueDocument(revealCallers: Bool) -> EventLoopFuture<[UInt8]> {
        onEveryShard { $0.engine?.queueSnapshots() ?? [] }.map { all in
            QueueStatus.json(all.flatMap { $0 }, revealCallers: revealCallers)
        }
    }

    // MARK: Drain (SIGTERM)

    /// SIGTERM: the `DrainPolicy` over every shard.
    func drain() async {
        operations.notifier?.send(["STOPPING=1", SystemdNotifier.status("Draining")])
        operations.metrics?.draining.record(1)
        await DrainPolicy(grace: operations.drainGrace).run(self, notifier: operations.notifier, logger: logger)
        // switchboardd stops the leg sink next: the journal is fsynced, the writer catches up.
        operations.notifier?.send(SystemdNotifier.status("Flushing the leg journal"))
    }
}

/// The drain's view of the node: every shard's engine, counted and ended on its own loop.
extension SIPService: DrainableNode {
    public func stopAcceptingCalls() async -> Int {
        (try? await onEveryShard { shard -> Int in
            shard.engine?.isDraining = true
            return shard.engine?.activeCallCount ?? 0
        }.get())?.reduce(0, +) ?? 0
    }

    public func callsInProgress() async -> Int {
        (try? await onEveryShard { $0.engine?.activeCallCount ?? 0 }.get())?.reduce(0, +) ?? 0
    }

    public func hangUpEveryCall() async {
        _ = try? await onEveryShard { shard in
            guard let engine = shard.engine else { return }
            for id in engine.activeCallIDs { engine.hangUp(callID: id, reason: .shutdown) }
        }.get()
    }

    public func pendingClientTransactions() async -> Int {
        (try? await onEveryShard { $0.layer?.activeClientTransactionCount ?? 0 }.get())?.reduce(0, +) ?? 0
    }

    public func statusLine(head: String) async -> String {
        (try? await statusLine(draining: head).get()) ?? head
    }
}
