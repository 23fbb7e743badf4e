/// Turns a stream of RFC 4733 telephone-event packets into key presses, each reported once.
///
/// All packets of one event share its RTP timestamp (RFC 4733 §2.5.1.1, the event start);
/// the end packet is sent three times (§2.5.1.4) and packets may be lost or reordered. So:
/// the timestamp identifies the event; the first packet with the E bit reports it; later
/// packets for an already reported timestamp are redundant and dropped. If the end packets
/// are all lost, the event is reported when the next event (a new timestamp) begins (§2.5.2.2
/// lets the receiver end an event when a new one starts). A plain state machine: no I/O.
public struct DTMFReceiver: Sendable {
    /// Timestamp of the event in progress (not yet reported) and its latest packet.
    private var current: (timestamp: UInt32, event: TelephoneEvent)?
    /// Recently reported event timestamps: enough to absorb redundant and late end packets.
    private var reported: [UInt32] = []
    private let historySize = 8
    /// RTP clock rate, to turn durations into milliseconds.
    public let clockRate: Int

    public init(clockRate: Int = 8000) {
        self.clockRate = clockRate
        reported.reserveCapacity(historySize)
    }

    /// Feeds one packet; returns the key presses it completes (usually none or one).
    public mutating func receive(timestamp: UInt32, event: TelephoneEvent) -> [DTMFDigit] {
        if reported.contains(timestamp) { return [] }
        var out: [DTMFDigit] = []
        if let c = current, c.timestamp != timestamp {
            // A new event started while the previous never showed its end bit.
            out.append(report(c.timestamp, c.event))
            current = nil
        }
        if event.end {
            out.append(report(timestamp, event))
            current = nil
        } else if current == nil || event.duration >= current!.event.duration {
            current = (timestamp, event)
        }
        return out
    }

    /// Reports a pending event whose end was never seen (e.g. on media timeout or close).
    public mutating func flush() -> DTMFDigit? {
        guard let c = current else { return nil }
        current = nil
        return report(c.timestamp, c.event)
    }

    private mutating func report(_ timestamp: UInt32, _ event: TelephoneEvent) -> DTMFDigit {
        if reported.count == historySize { reported.removeFirst() }
        reported.append(timestamp)
        return DTMFDigit(event: event.event, durationMilliseconds: Int(event.duration) * 1000 / clockRate, volume: event.volume)
    }
}
