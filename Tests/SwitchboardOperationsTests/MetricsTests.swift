import Foundation
import SIPMessage
import SIPTransport
import SwitchboardConfig
@testable import CallEngine
import SwitchboardOperations
import Testing

/// The daemon's Prometheus series: created once with fixed labels, mirrored from counters
/// kept elsewhere, and exported in the text format `/metrics` serves.
@Suite struct MetricsTests {
    func exposition(_ metrics: DaemonMetrics) -> String { String(decoding: metrics.exposition(), as: UTF8.self) }

    /// The value of one series line (`name{labels} value`).
    func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last!) }
    }

    @Test func everySeriesExistsFromTheStartWithFixedLabels() {
        let text = exposition(DaemonMetrics())
        for series in ["switchboard_calls_in_progress", "switchboard_draining", "switchboard_dialplan_last_reload_success",
                       #"switchboard_sip_requests_received_total{method="INVITE"}"#,
                       #"switchboard_sip_requests_received_total{method="other"}"#,
                       #"switchboard_sip_responses_sent_total{class="6xx"}"#,
                       #"switchboard_calls_total{outcome="refused"}"#,
                       #"switchboard_edge_requests_total{verdict="banned"}"#,
                       #"switchboard_tcp_connections{direction="inbound"}"#,
                       "switchboard_registrar_bindings"] {
            #expect(value(text, series) != nil, "\(series) missing")
        }
        #expect(value(text, "switchboard_dialplan_last_reload_success") == 1)
        #expect(text.contains(#"switchboard_build_info{version="\#(SwitchboardVersion.number)",commit="\#(SwitchboardVersion.commit)"} 1"#)
            || text.contains(#"switchboard_build_info{commit="\#(SwitchboardVersion.commit)",version="\#(SwitchboardVersion.number)"} 1"#), "\(text)")
        // No journal given: no journal series (never a constant 0 that looks like health).
        #expect(!text.contains("switchboard_journal_lag_events"))
    }

    @Test func requestsAndResponsesCountByMethodAndClass() {
        let metrics = DaemonMetrics()
        metrics.requestReceived(.invite)
        metrics.requestReceived(.invite)
        metrics.requestReceived(SIPMethod(rawValue: "FOO"))
        metrics.responseSent(status: 486)
        metrics.responseSent(status: 100)
        metrics.responseSent(status: 999)  // no such class: ignored, not a crash
        let text = exposition(metrics)
        #expect(value(text, #"switchboard_sip_requests_received_total{method="INVITE"}"#) == 2)
        #expect(value(text, #"switchboard_sip_requests_received_total{method="other"}"#) == 1)
        #expect(value(text, #"switchboard_sip_responses_sent_total{class="4xx"}"#) == 1)
        #expect(value(text, #"switchboard_sip_responses_sent_total{class="1xx"}"#) == 1)
    }

    @Test func aMirrorAddsOnlyWhatTheSourceGrew() {
        let metrics = DaemonMetrics()
        var mirror = CounterMirror(metrics.callsStarted)
        mirror.update(to: 3)
        mirror.update(to: 3)
        mirror.update(to: 5)
        mirror.update(to: 4)  // never backwards (a source restarting from 0 adds nothing)
        #expect(value(exposition(metrics), "switchboard_calls_started_total") == 5)
    }

    @Test func theEnginesCountersAreSummedOverShards() {
        let metrics = DaemonMetrics()
        var mirrors = EngineCounterMirrors(metrics)
        var a = CallEngine.Statistics(), b = CallEngine.Statistics()
        a.callsStarted = 4; a.callsAnswered = 2; a.legsPlaced = 7
        b.callsStarted = 1; b.callsRefused = 1; b.legsPlaced = 1
        mirrors.update([a, b])
        let text = exposition(metrics)
        #expect(value(text, "switchboard_calls_started_total") == 5)
        #expect(value(text, #"switchboard_calls_total{outcome="answered"}"#) == 2)
        #expect(value(text, #"switchboard_calls_total{outcome="refused"}"#) == 1)
        #expect(value(text, "switchboard_legs_placed_total") == 8)
    }

    @Test func reloadsAreCountedAndTheLastOneShows() {
        let metrics = DaemonMetrics()
        metrics.reloaded(.init(succeeded: false, summary: "reload failed", time: Date(timeIntervalSince1970: 1_700_000_000)))
        let text = exposition(metrics)
        #expect(value(text, #"switchboard_dialplan_reloads_total{result="failure"}"#) == 1)
        #expect(value(text, "switchboard_dialplan_last_reload_success") == 0)
        #expect(value(text, "switchboard_dialplan_last_reload_timestamp_seconds") == 1_700_000_000)
    }

    @Test func transportCountersAndGauges() {
        let metrics = DaemonMetrics()
        var s = TransportStatistics()
        s.sendErrors = 3
        s.inboundConnections = 2
        s.listenersDown = 1
        metrics.transport.record(s)
        s.sendErrors = 4
        metrics.transport.record(s)
        let text = exposition(metrics)
        #expect(value(text, "switchboard_sip_send_errors_total") == 4)
        #expect(value(text, #"switchboard_tcp_connections{direction="inbound"}"#) == 2)
        #expect(value(text, "switchboard_sip_listeners_down") == 1)
    }

    @Test func theStatusLineNamesCallsReloadFailuresAndListeners() {
        let reloads = ReloadStatus()
        var transport = TransportStatistics()
        #expect(StatusLine.text(head: "Ready", calls: 1, reloads: reloads, transport: transport) == "Ready: 1 call in progress")
        reloads.last = .init(succeeded: false, summary: "reload failed: 2 errors in dialplans (first at a.yaml:3:1)", time: Date())
        transport.listenersDown = 1
        transport.listenerReopens = 2
        #expect(StatusLine.text(head: "Draining", calls: 3, reloads: reloads, transport: transport)
            == "Draining: 3 calls in progress; last reload failed: 2 errors in dialplans (first at a.yaml:3:1); 1 listening socket down; listening sockets reopened 2 times")
        reloads.last = .init(succeeded: true, summary: "1 accounts, 2 numbers", time: Date())
        #expect(StatusLine.text(head: "Ready", calls: 0, reloads: reloads, transport: TransportStatistics()) == "Ready: 0 calls in progress")
    }
}
