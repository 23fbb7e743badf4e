/// Size caps applied before and while parsing. libosip2 has none of its own: it accepts a
/// 100 KB header or 10,000 Vias (see shared/design.md), so a peer could make us allocate
/// without bound unless we refuse first.
public struct SIPLimits: Sendable, Equatable {
    /// Whole message, start line to the end of the body. RFC 3261 §18.1.1 keeps UDP
    /// messages under the path MTU; 64 KB is the largest UDP datagram anyway.
    public var maxMessageSize: Int
    /// Header lines (after unfolding).
    public var maxHeaderCount: Int
    /// Via entries, counting comma-separated values in one line.
    public var maxViaCount: Int
    /// Largest CSeq number accepted. RFC 3261 §8.1.1.5 keeps it below 2**31.
    public var maxCSeq: UInt32

    public init(maxMessageSize: Int = 65536, maxHeaderCount: Int = 256, maxViaCount: Int = 64,
                maxCSeq: UInt32 = 1 << 31) {
        self.maxMessageSize = maxMessageSize
        self.maxHeaderCount = maxHeaderCount
        self.maxViaCount = maxViaCount
        self.maxCSeq = maxCSeq
    }
}

/// How the bytes handed to the parser were delimited (RFC 3261 §18.3).
public enum SIPFraming: Sendable, Equatable {
    /// One UDP datagram: the datagram ends the message; a missing Content-Length means the
    /// body runs to its end; bytes beyond Content-Length are ignored.
    case datagram
    /// Exactly one message cut from a TCP/TLS stream by the transport: Content-Length is
    /// mandatory and must match the body handed over.
    case stream
}
