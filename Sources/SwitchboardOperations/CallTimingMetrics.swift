import CallLegs
import Foundation
import Prometheus

/// Call-setup timing histograms from the engine's leg events, the figures a carrier's NOC
/// watches alongside answer-seizure ratio:
/// - `switchboard_call_post_dial_delay_seconds`: INVITE received → the caller hears ringing
///   (our first 18x, or the answer when nothing rang first). RFC 6076 §4.1's PDD.
/// - `switchboard_call_answer_delay_seconds`: INVITE received → answered (by a leg, or by the
///   daemon itself for IVR and queues).
/// - `switchboard_call_duration_seconds`: answered → ended, of the caller's leg.
///
/// The engine's `observer` (the journal stays its sink). Called on the engine's loop only,
/// like the engine; it keeps one entry per caller leg in progress, removed when that leg
/// ends (the engine ends every leg it created).
public final class CallTimingMetrics: LegEventSink {
    public let postDialDelay: DurationHistogram
    public let answerDelay: DurationHistogram
    public let duration: DurationHistogram
    private var inbound: [UUID: (created: Date, rang: Bool, answered: Date?)] = [:]

    public init(registry: PrometheusCollectorRegistry) {
        let setup: [Duration] = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60].map { .milliseconds(Int64($0 * 1000)) }
        postDialDelay = registry.makeDurationHistogram(
            name: "switchboard_call_post_dial_delay_seconds", buckets: setup,
            help: "INVITE received until the caller hears ringing (first 18x, or the answer)")
        answerDelay = registry.makeDurationHistogram(
            name: "switchboard_call_answer_delay_seconds", buckets: setup,
            help: "INVITE received until the call is answered")
        duration = registry.makeDurationHistogram(
            name: "switchboard_call_duration_seconds",
            buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400].map { .seconds($0) },
            help: "Answered calls: answer until hang-up")
    }

    public func record(_ event: LegEvent) {
        switch event.kind {
        case .created:
            // An agent's leg is its call's caller side too (issue 15 item 4).
            if let direction = event.origin?.direction, direction == .inbound || direction == .agent { inbound[event.legID] = (event.time, false, nil) }
        case .ringing:
            guard var leg = inbound[event.legID], !leg.rang, leg.answered == nil else { return }
            leg.rang = true
            inbound[event.legID] = leg
            postDialDelay.record(Self.between(leg.created, event.time))
        case .answered:
            guard var leg = inbound[event.legID], leg.answered == nil else { return }
            if !leg.rang { postDialDelay.record(Self.between(leg.created, event.time)) }
            leg.answered = event.time
            inbound[event.legID] = leg
            answerDelay.record(Self.between(leg.created, event.time))
        case .ended:
            guard let leg = inbound.removeValue(forKey: event.legID), let answered = leg.answered else { return }
            duration.record(Self.between(answered, event.time))
        }
    }

    private static func between(_ start: Date, _ end: Date) -> Duration {
        .milliseconds(Int64(max(0, end.timeIntervalSince(start)) * 1000))
    }
}
