import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 8: the daemon under systemd (sd_notify, watchdog, reload, drain) and Prometheus.
@Suite(.serialized) struct OperationsTests {
    static let unreachablePlan = TestDialplan.ringAll("sip:nobody@127.0.0.1:9", timeout: "5s")

    @Test func notifiesReadyWatchdogReloadAndStoppingLikeSystemdExpects() throws {
        let notify = try NotifyListener()
        defer { notify.stop() }
        let call = try CallFixture()
        defer { call.stop() }
        let plan = try call.writeDialplan(plans: Self.unreachablePlan)
        let metricsPort = FreePort.next()
        // WATCHDOG_USEC=400 ms: pings every 200 ms.
        let daemon = try call.startDaemon(config: "metrics: 127.0.0.1:\(metricsPort)\n",
                                          environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])

        // READY=1 comes first, with a STATUS=, and only once SIP is listening.
        let ready = try #require(notify.waitFor { $0.contains("READY=1") })
        #expect(ready == 0, "datagrams before READY: \(notify.messages)")
        let first = notify.messages[0].split(separator: "\n").map(String.init)
        #expect(first.contains("READY=1"))
        #expect(first.contains("STATUS=Ready: 0 calls in progress"), "\(first)")
        #expect(daemon.log().contains("switchboardd ready"))

        // The watchdog pings repeatedly (from the SIP event loop).
        Thread.sleep(forTimeInterval: 1.2)
        let pings = notify.messages.filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 4, "\(pings) WATCHDOG=1 in 1.2 s at a 200 ms interval")

        // SIGHUP: RELOADING=1 with MONOTONIC_USEC in one datagram, then READY=1.
        var mark = notify.messages.count
        daemon.signal(SIGHUP)
        let reloading = try #require(notify.waitFor(from: mark) { $0.contains("RELOADING=1") })
        let reloadLines = notify.messages[reloading].split(separator: "\n")
        #expect(reloadLines.contains { $0.hasPrefix("MONOTONIC_USEC=") && UInt64($0.dropFirst(15)) != nil },
                "\(notify.messages[reloading])")
        let readyAgain = try #require(notify.waitFor(from: reloading + 1) { $0.contains("READY=1") })
        #expect(notify.messages[readyAgain].contains("STATUS=Ready: reloaded (1 accounts, 1 numbers)"))
        var (status, body) = try httpGet(port: metricsPort)
        #expect(status == 200)
        #expect(sample(body, "switchboard_dialplan_reloads_total{result=\"success\"}") == 1)

        // A broken dialplan: the reload is refused, READY=1 still follows (the old plans
        // serve), STATUS= and the log name the problem with its position.
        let file = plan.directory.appendingPathComponent("test-account.yaml")
        let good = try String(contentsOf: file, encoding: .utf8)
        try (good + "  broken:\n    ring-all: { targets: [\"mailto:x\"] }\n").write(to: file, atomically: true, encoding: .utf8)
        mark = notify.messages.count
        daemon.signal(SIGHUP)
        let failedReady = try #require(notify.waitFor(from: mark) { $0.contains("READY=1") })
        #expect(notify.messages[mark...].contains { $0.contains("RELOADING=1") })
        let failedStatus = notify.messages[failedReady]
        #expect(failedStatus.contains("reload failed: ") && failedStatus.contains("test-account.yaml:"), "\(failedStatus)")
        #expect(daemon.log().contains { _ in true } && daemon.log().split(separator: "\n").contains {
            $0.hasPrefix("error ") && $0.contains("test-account.yaml:") && $0.contains(": error:")
        }, "\(daemon.log().suffix(1500))")
        (status, body) = try httpGet(port: metricsPort)
        #expect(sample(body, "switchboard_dialplan_reloads_total{result=\"failure\"}") == 1)
        #expect(sample(body, "switchboard_dialplan_last_reload_success") == 0)

        // Fixed again, and the config's log level lowered to warning: the reload applies it,
        // so the next SIGHUP's notice is no longer logged.
        try good.write(to: file, atomically: true, encoding: .utf8)
        let config = try String(contentsOf: daemon.configURL, encoding: .utf8)
        try config.replacingOccurrences(of: "log-level: debug", with: "log-level: warning")
            .write(to: daemon.configURL, atomically: true, encoding: .utf8)
        mark = notify.messages.count
        daemon.signal(SIGHUP)
        let fixed = try #require(notify.waitFor(from: mark) { $0.contains("READY=1") })
        #expect(notify.messages[fixed].contains("reloaded"), "\(notify.messages[fixed])")
        func reloadNotices() -> Int { daemon.log().components(separatedBy: "SIGHUP: reloading").count - 1 }
        let before = reloadNotices()
        #expect(before == 3)
        mark = notify.messages.count
        daemon.signal(SIGHUP)
        _ = try #require(notify.waitFor(from: mark) { $0.contains("READY=1") })
        #expect(reloadNotices() == before, "notice still logged at log-level warning")

        // SIGTERM: STOPPING=1, exit 0.
        mark = notify.messages.count
        #expect(daemon.stop() == 0)
        #expect(notify.messages[mark...].contains { $0.split(separator: "\n").contains("STOPPING=1") }, "\(notify.messages.suffix(5))")
    }

    @Test func metricsCountCallsRequestsAndResponsesByTheRightAmounts() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 5, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        try call.writeDialplan(plans: TestDialplan.ringAll("sip:desk@127.0.0.1:\(callee.port)"), numbers: ["+13125550100": "main"])
        let metricsPort = FreePort.next()
        let daemon = try call.startDaemon(config: "metrics: 127.0.0.1:\(metricsPort)\n")

        let (status0, before) = try httpGet(port: metricsPort)
        #expect(status0 == 200)
        #expect(before.contains("# TYPE switchboard_calls_total counter"))
        func delta(_ after: String, _ series: String) -> Double? {
            guard let a = sample(after, series), let b = sample(before, series) else { return nil }
            return a - b
        }
        let caller = try SIPpRun.caller(daemon: daemon, calls: 5, rate: 10).run()
        #expect(caller.successfulCalls == 5, "caller:\n\(caller.output.suffix(1500))")
        let unknown = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, number: "+13125559999", calls: 2).run()
        #expect(unknown.successfulCalls == 2)
        _ = try callee.wait()

        let (status, after) = try httpGet(port: metricsPort)
        #expect(status == 200)
        #expect(delta(after, "switchboard_calls_started_total") == 5)
        #expect(delta(after, "switchboard_calls_total{outcome=\"answered\"}") == 5)
        // Unknown numbers get 404 before a call exists: not a call, not an overload refusal.
        #expect(delta(after, "switchboard_calls_total{outcome=\"refused\"}") == 0)
        #expect(delta(after, "switchboard_calls_total{outcome=\"failed\"}") == 0)
        #expect(delta(after, "switchboard_legs_placed_total") == 5)
        #expect(delta(after, "switchboard_sip_requests_received_total{method=\"INVITE\"}") == 7)
        #expect(delta(after, "switchboard_sip_requests_received_total{method=\"BYE\"}") == 5)
        #expect(delta(after, "switchboard_sip_requests_received_total{method=\"ACK\"}") == 7)
        // 200 to each INVITE and each BYE (more only if a 2xx had to be retransmitted).
        #expect((delta(after, "switchboard_sip_responses_sent_total{class=\"2xx\"}") ?? 0) >= 10)
        #expect(delta(after, "switchboard_sip_responses_sent_total{class=\"4xx\"}") == 2)
        #expect(sample(after, "switchboard_calls_in_progress") == 0)
        // Set-up timing: one sample per answered call in each histogram (the 404s made no
        // call); the callee rings 50 ms before answering, so answer delays sum to at least that.
        #expect(delta(after, "switchboard_call_post_dial_delay_seconds_count") == 5)
        #expect(delta(after, "switchboard_call_answer_delay_seconds_count") == 5)
        #expect(delta(after, "switchboard_call_duration_seconds_count") == 5)
        #expect((delta(after, "switchboard_call_answer_delay_seconds_sum") ?? 0) >= 5 * 0.05)
        #expect(after.contains("switchboard_call_post_dial_delay_seconds_bucket{le=\"+Inf\"}"))
        // Labels never carry per-call values: every label value is from a fixed vocabulary.
        for line in after.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(!line.contains("@") && !line.contains("+1312"), "per-call value in \(line)")
        }
        #expect(try httpGet(port: metricsPort, path: "/other").0 == 404)
    }

    @Test func sigtermDrainsLongCallsAndRefusesNewOnesWith503() throws {
        // Four calls held for 4 s each, a 15 s grace.
        let held = try HeldCalls(calls: 4, holdMs: 4000, drainGrace: "15s")
        defer { held.stop() }
        let (daemon, holding) = (held.daemon, held.holding)
        let signalled = Date()
        daemon.signal(SIGTERM)
        usleep(200_000)
        // A new INVITE after the signal: 503 with Retry-After.
        let late = try SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1).run()
        #expect(finalStatuses(late) == [503], "\(late.messages.suffix(1500))")
        let refusal = tracedMessages(late.messages, startingWith: "SIP/2.0 503")
        #expect(refusal.first.flatMap { header("Retry-After", in: $0) } != nil)
        #expect(daemon.isRunning, "the daemon left before its calls ended")

        // The held calls end by themselves, well inside the grace: every one succeeds.
        let ended = try holding.wait(timeout: 30)
        #expect(ended.successfulCalls == 4, "held calls:\n\(ended.output.suffix(2000))")
        #expect(ended.failedCalls == 0)
        // Then the daemon exits 0 without waiting out the rest of the grace period.
        #expect(daemon.stop(grace: 10) == 0)
        #expect(Date().timeIntervalSince(signalled) < 12)
        #expect(daemon.log().contains("drained: no calls in progress"))
        #expect(!daemon.log().contains("drain grace over"))
    }

    @Test func callsOutlivingTheDrainGraceAreHungUpAndTheDaemonExitsZero() throws {
        // Two calls that would last 30 s, a 1 s grace.
        let held = try HeldCalls(calls: 2, holdMs: 30000, drainGrace: "1s")
        defer { held.stop() }
        let daemon = held.daemon
        let signalled = Date()
        let status = daemon.stop(grace: 15)
        #expect(status == 0)
        let took = Date().timeIntervalSince(signalled)
        #expect(took >= 1 && took < 8, "exit took \(took) s with a 1 s grace")
        #expect(daemon.log().contains("drain grace over"))
        #expect(daemon.log().contains("reason=shutdown"), "the drained calls' legs end as shutdown, not max-duration")
        // The callees got our BYE: callee-answer.xml succeeds only on a BYE.
        let callee_ = try held.callee.wait(timeout: 10)
        #expect(callee_.successfulCalls == 2, "\(callee_.output.suffix(1500))")
    }
}

/// The drain tests' set-up: a callee answering after 50 ms, a ring-all plan to it, a daemon
/// with metrics and `drainGrace`, and `calls` SIPp calls held for `holdMs`, returned once the
/// engine counts them all answered (or after 10 s; the tests' own checks then fail).
struct HeldCalls {
    let fixture: CallFixture
    let holding: SIPpProcess
    var callee: SIPpProcess { fixture.callees[0] }
    var daemon: DaemonProcess { fixture.daemon }

    init(calls: Int, holdMs: Int, drainGrace: String) throws {
        let fixture = try CallFixture(callees: [.callee("callee-answer.xml", calls: calls, keys: ["ring": "50"], timeout: 40)])
        do {  // whatever started is stopped again if a later step fails
            let metricsPort = FreePort.next()
            try fixture.startDaemon(plans: TestDialplan.ringAll("sip:desk@127.0.0.1:\(fixture.callees[0].port)"),
                                    config: "metrics: 127.0.0.1:\(metricsPort)\ndrain-grace: \(drainGrace)\n")
            var hold = SIPpRun.caller("caller-hold.xml", daemon: fixture.daemon, calls: calls, rate: 20, timeout: 40)
            hold.extraArguments += ["-d", "\(holdMs)"]
            holding = try hold.start()
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                if let (_, body) = try? httpGet(port: metricsPort),
                   sample(body, "switchboard_calls_total{outcome=\"answered\"}") == Double(calls) { break }
                usleep(50_000)
            }
        } catch {
            fixture.stop()
            throw error
        }
        self.fixture = fixture
    }

    func stop() {
        _ = holding.stop()
        fixture.stop()
    }
}
