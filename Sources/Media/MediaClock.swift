import NIOCore
import NIOPosix

/// The packet clock shared by every RTP session on one event loop: a timing wheel of
/// one-millisecond slots, woken by a single scheduled callback for the next busy slot.
///
/// Why not one NIO timer per session: at 1,000 playing legs that is 50,000 timer insertions a
/// second into the loop's scheduled-task heap, each copying an existential and retaining it —
/// about a sixth of the media thread's CPU in a profile of bench/ivr (perf, 1,000 calls).
/// Sessions align their deadlines to whole milliseconds (their start is rounded up), so a slot
/// holds exactly the sessions due in that millisecond and a wake-up serves all of them.
/// This is what media servers do (FreeSWITCH's soft timer, Asterisk's timing module).
///
/// Loop-confined: one clock per loop thread, created on first use.
final class MediaClock: @unchecked Sendable {  // loop-confined; Sendable only to sit in a thread-local
    /// Covers every packetisation time we accept (`SDPNegotiator.acceptablePtime`, ≤ 60 ms)
    /// with room for a catch-up; a power of two so a slot is `ms & mask`.
    static let slotCount = 256
    private static let mask = Int64(slotCount - 1)
    private static let perThread = ThreadSpecificVariable<MediaClock>()

    let eventLoop: any EventLoop
    private var slots: [[RTPSession]]
    /// The slot array being served, swapped in so neither array reallocates.
    private var serving: [RTPSession] = []
    /// Sessions in the wheel (closed ones leave at their next slot).
    private var count = 0
    /// First millisecond not yet served.
    private var cursor: Int64
    private var wakeup: NIOScheduledCallback?
    private var wakeupAt: Int64 = .max
    /// While serving, inserts do not arm the wake-up: `serve` arms once at the end.
    private var isServing = false

    private init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        self.slots = Array(repeating: [], count: Self.slotCount)
        for i in slots.indices { slots[i].reserveCapacity(16) }
        self.cursor = Self.milliseconds(.now())
    }

    /// This loop's clock. Must be called on `eventLoop`.
    static func on(_ eventLoop: any EventLoop) -> MediaClock {
        eventLoop.preconditionInEventLoop()
        if let clock = perThread.currentValue { return clock }
        let clock = MediaClock(eventLoop: eventLoop)
        perThread.currentValue = clock
        return clock
    }

    /// Sessions in the wheel, closed ones included until their next slot.
    var sessionCount: Int { count }

    static func milliseconds(_ deadline: NIODeadline) -> Int64 {
        Int64(deadline.uptimeNanoseconds / 1_000_000)
    }

    /// The first whole millisecond after `deadline`: where a new session's clock starts.
    static func alignedStart(after deadline: NIODeadline) -> NIODeadline {
        .uptimeNanoseconds(UInt64(milliseconds(deadline) + 1) * 1_000_000)
    }

    /// Runs `session.tick()` at `deadline` (a whole millisecond; earlier than now: next slot).
    func add(_ session: RTPSession, at deadline: NIODeadline) {
        count += 1
        insert(session, ms: Self.milliseconds(deadline))
    }

    private func insert(_ session: RTPSession, ms: Int64) {
        let due = max(ms, cursor)
        session.clockDue = due
        slots[Int(due & Self.mask)].append(session)
        if !isServing, due < wakeupAt { arm(at: due) }
    }

    private func arm(at ms: Int64) {
        wakeup?.cancel()
        wakeupAt = ms
        wakeup = try? eventLoop.scheduleCallback(at: .uptimeNanoseconds(UInt64(ms) * 1_000_000), handler: Wakeup(clock: self))
    }

    private struct Wakeup: NIOScheduledCallbackHandler, Sendable {
        let clock: MediaClock
        func handleScheduledCallback(eventLoop: some EventLoop) { clock.serve() }
    }

    /// Serves every slot from the cursor up to now, then sleeps until the next busy slot.
    private func serve() {
        wakeup = nil
        wakeupAt = .max
        isServing = true
        let now = Self.milliseconds(.now())
        // After a stall longer than the wheel, every slot is due once: serve each one time.
        var ms = max(cursor, now - Self.mask)
        while ms <= now {
            let index = Int(ms & Self.mask)
            if !slots[index].isEmpty {
                swap(&serving, &slots[index])
                cursor = ms + 1  // a session due again at once goes to the next slot, not this one
                for session in serving {
                    if session.clockDue > now {
                        // Sharing the slot with an earlier lap (only after a stall): not yet.
                        insert(session, ms: session.clockDue)
                    } else if let next = session.tick() {
                        insert(session, ms: Self.milliseconds(next))
                    } else {
                        count -= 1
                    }
                }
                serving.removeAll(keepingCapacity: true)
            }
            ms += 1
        }
        cursor = now + 1
        isServing = false
        guard count > 0 else { return }
        for offset in 0..<Int64(Self.slotCount) where !slots[Int((cursor + offset) & Self.mask)].isEmpty {
            arm(at: cursor + offset)
            return
        }
    }
}
