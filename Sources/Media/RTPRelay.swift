import NIOCore

/// Bridges two call legs' RTP sessions (caller ↔ agent) when media is anchored at the daemon
/// (design.md: IVR and queue calls). Each side keeps seeing the stream it already had —
/// same SSRC, continuous sequence numbers and timeline — with the other side's packets
/// mapped onto it (RFC 3550 §7.3 translator; see `StreamRewriter`). Payload types are mapped
/// per leg and G.711 transcoded if the legs chose different laws. RFC 4733 events pass
/// through (and are still reported to each session's DTMF callback).
///
/// Both sessions should live on the same event loop (the engine keeps a call's legs
/// together); otherwise each packet hops loops, which works but costs an allocation.
public final class RTPRelay: Sendable {
    public enum Side: Hashable, Sendable { case a, b }

    public struct Statistics: Hashable, Sendable {
        public var aToB: UInt64
        public var bToA: UInt64
        public init(aToB: UInt64, bToA: UInt64) {
            self.aToB = aToB
            self.bToA = bToA
        }
    }

    public let a: RTPSession
    public let b: RTPSession

    public init(_ a: RTPSession, _ b: RTPSession) {
        self.a = a
        self.b = b
    }

    /// Starts forwarding. `mediaTimeout`: when one side sends nothing for that long,
    /// `onTimeout(side)` runs once (the engine typically hangs up both legs).
    @discardableResult
    public func start(mediaTimeout: TimeAmount? = nil, onTimeout: (@Sendable (Side) -> Void)? = nil) -> EventLoopFuture<Void> {
        let a = self.a, b = self.b
        return both { session, peer in
            session.attachRelay(to: peer)
        }.map {
            if let mediaTimeout {
                a.setMediaTimeout(mediaTimeout) { onTimeout?(.a) }
                b.setMediaTimeout(mediaTimeout) { onTimeout?(.b) }
            }
        }
    }

    /// Stops forwarding; each session goes back to its own playback (or silence).
    @discardableResult
    public func stop() -> EventLoopFuture<Void> {
        both { session, _ in session.detachRelay() }
    }

    /// Packets received from each side and forwarded to the other.
    public func statistics() -> EventLoopFuture<Statistics> {
        a.statistics().and(b.statistics()).map { Statistics(aToB: $0.packetsRelayed, bToA: $1.packetsRelayed) }
    }

    private func both(_ body: @escaping @Sendable (RTPSession, RTPSession) -> Void) -> EventLoopFuture<Void> {
        let a = self.a, b = self.b
        let fa = a.eventLoop.submit { body(a, b) }
        let fb = b.eventLoop.submit { body(b, a) }
        return fa.and(fb).map { _ in }
    }
}
