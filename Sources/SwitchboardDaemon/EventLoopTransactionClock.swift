import NIOCore
import SIPTransaction

/// Transaction timers on the SIP event loop (RFC 3261 §17 timers A–K, RFC 6026 L/M).
final class EventLoopTransactionClock: TransactionClock, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    struct Handle: TransactionTimerHandle {
        let scheduled: Scheduled<Void>
        func cancel() { scheduled.cancel() }
    }

    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any TransactionTimerHandle {
        let (seconds, attoseconds) = delay.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let loop = eventLoop
        nonisolated(unsafe) let body = body
        return Handle(scheduled: loop.scheduleTask(in: .nanoseconds(nanos)) { body() })
    }
}
