import CallEngine
import Foundation
import Logging
import NIOCore

/// The engine's own counters, mirrored into Prometheus counters at each look.
struct EngineCounterMirrors {
    var started, answered, failed, cancelled, refused, legs: CounterMirror

    init(_ metrics: DaemonMetrics) {
        started = CounterMirror(metrics.callsStarted)
        answered = CounterMirror(metrics.callsByOutcome["answered"]!)
        failed = CounterMirror(metrics.callsByOutcome["failed"]!)
        cancelled = CounterMirror(metrics.callsByOutcome["cancelled"]!)
        refused = CounterMirror(metrics.callsByOutcome["refused"]!)
        legs = CounterMirror(metrics.legsPlaced)
    }

    mutating func update(_ s: CallEngine.Statistics) {
        started.update(to: s.callsStarted)
        answered.update(to: s.callsAnswered)
        failed.update(to: s.callsFailed)
        cancelled.update(to: s.callsCancelled)
        refused.update(to: s.callsRefused)
        legs.update(to: s.legsPlaced)
    }
}

extension SIPService {
    // MARK: systemd (event loop)

    /// READY=1 once listening with the dialplans loaded, then the watchdog and `STATUS=`
    /// from this very loop: a loop that stops turning stops the pings, and systemd restarts us.
    func startOperations() {
        eventLoop.preconditionInEventLoop()
        if let metrics = operations.metrics { mirrors = EngineCounterMirrors(metrics) }
        guard let notifier = operations.notifier else { return }
        notifier.send(["READY=1", SystemdNotifier.status(statusLine())])
        transport.onListenerChange = { [weak self] in
            if let self { notifier.send(SystemdNotifier.status(statusLine())) }
        }
        if let interval = notifier.watchdogInterval {
            notifier.send("WATCHDOG=1")
            repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: Self.timeAmount(interval),
                                                                delay: Self.timeAmount(interval)) { _ in
                notifier.send("WATCHDOG=1")
            })
        }
        let statusEvery = Self.timeAmount(operations.statusInterval)
        repeatedTasks.append(eventLoop.scheduleRepeatedTask(initialDelay: statusEvery, delay: statusEvery) { [self] _ in
            notifier.send(SystemdNotifier.status(statusLine()))
        })
    }

    /// "Ready: 3 calls in progress" (+ the last reload's failure while it stands, and any
    /// listening socket that is down or had to be reopened: systemd shows it in `status`).
    func statusLine(draining: String? = nil) -> String {
        let calls = handler?.engine.activeCallCount ?? 0
        let head = draining ?? "Ready"
        return "\(head): \(calls) call\(calls == 1 ? "" : "s") in progress\(operations.reloads.suffix)\(listenerSuffix)"
    }

    /// "; 1 listening socket down" / "; listening sockets reopened 2 times" (event loop).
    var listenerSuffix: String {
        let s = transport.statistics
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

    /// Gauges and mirrored counters brought up to date on the SIP loop (before a scrape).
    func refreshMetrics() -> EventLoopFuture<Void> {
        eventLoop.submit { [self] in
            guard let metrics = operations.metrics else { return }
            metrics.callsInProgress.record(handler?.engine.activeCallCount ?? 0)
            metrics.transactionsInProgress.record(layer?.activeTransactionCount ?? 0)
            if let engine = handler?.engine { mirrors?.update(engine.statistics) }
            if let edge { edgeMirrors?.update(edge, layer: layer, metrics: metrics.edge) }
            if let registrar { registrarMirrors?.update(registrar, metrics: metrics.registrar) }
            metrics.sampleJournal()
            metrics.transport.record(transport.statistics)
            if let engine = handler?.engine { metrics.queueStatus.record(engine.queueSnapshots()) }
        }
    }

    /// `GET /queues`: every queue's waiting callers and agents, read on the SIP loop; the
    /// callers' numbers masked unless the request carried the admin token.
    func queueDocument(revealCallers: Bool) -> EventLoopFuture<[UInt8]> {
        eventLoop.submit { [self] in
            QueueStatus.json(handler?.engine.queueSnapshots() ?? [], revealCallers: revealCallers)
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
        var remaining = (try? await eventLoop.submit { [self] in
            handler?.engine.isDraining = true
            return handler?.engine.activeCallCount ?? 0
        }.get()) ?? 0
        if remaining > 0 {
            logger.notice("draining: new calls get 503; calls in progress may go on",
                          metadata: ["calls": "\(remaining)", "drain.grace": "\(grace)"])
        }
        var lastStatus = start
        while remaining > 0, ContinuousClock.now - start < grace {
            try? await Task.sleep(for: .milliseconds(50))
            remaining = (try? await eventLoop.submit { [self] in handler?.engine.activeCallCount ?? 0 }.get()) ?? 0
            if ContinuousClock.now - lastStatus >= .seconds(1) {
                lastStatus = ContinuousClock.now
                let left = Int((grace - (ContinuousClock.now - start)).components.seconds)
                let status = (try? await eventLoop.submit { [self] in statusLine(draining: "Draining, \(left)s of grace left") }.get()) ?? "Draining"
                operations.notifier?.send(SystemdNotifier.status(status))
            }
        }
        if remaining > 0 {
            logger.warning("drain grace over: hanging up the calls still in progress", metadata: ["calls": "\(remaining)"])
            try? await eventLoop.submit { [self] in
                guard let engine = handler?.engine else { return }
                for id in engine.activeCallIDs { engine.hangUp(callID: id, reason: .shutdown) }
            }.get()
            // Give the BYEs a moment to be answered (bounded: a dead peer must not hold us).
            let byeDeadline = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < byeDeadline {
                let pending = (try? await eventLoop.submit { [self] in layer?.activeClientTransactionCount ?? 0 }.get()) ?? 0
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
