import SIPMessage

/// How the `TransactionLayer` sends messages. The daemon implements it with NIO channels
/// (`SIPTransport`); tests use `SIPTestKit.RecordingTransport`.
public protocol TransactionTransport: AnyObject {
    /// Send `message` to `peer` (for stream transports: over the connection kept for it).
    /// Throw when the message cannot be sent (no route, connection gone): the transaction
    /// treats that as a transport error (RFC 3261 §17.1.4, §17.2.4).
    func send(_ message: SIPMessage, to peer: SIPPeer) throws
}

/// Timers for the `TransactionLayer`. The daemon implements it with
/// `EventLoop.assumeIsolated().scheduleTask(in:_:)` on the layer's own loop; tests use
/// `SIPTestKit.FakeClock`. `body` must run on the layer's event loop, never concurrently
/// with another call into the layer.
public protocol TransactionClock: AnyObject {
    func schedule(after delay: Duration, _ body: @escaping () -> Void) -> any TransactionTimerHandle
}

/// A scheduled timer; `cancel()` after it fired (or twice) is harmless.
public protocol TransactionTimerHandle {
    func cancel()
}
