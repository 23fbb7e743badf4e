import NIOCore

/// The RFC 4733 §2.3 telephone-event payload (4 octets):
///
/// ```
/// |     event     |E|R| volume    |          duration             |
/// ```
/// `duration` is in RTP timestamp units since the event's timestamp (the event start);
/// `volume` is the power level in −dBm0 (0…63). The R bit is reserved: sent 0, ignored on receipt.
public struct TelephoneEvent: Hashable, Sendable {
    public var event: UInt8
    public var end: Bool
    public var volume: UInt8
    public var duration: UInt16

    public static let size = 4

    public init(event: UInt8, end: Bool = false, volume: UInt8 = 10, duration: UInt16) {
        self.event = event
        self.end = end
        self.volume = volume & 0x3F
        self.duration = duration
    }

    /// Parses the first 4 readable bytes of `payload` (extra bytes belong to redundancy
    /// schemes we do not negotiate and are ignored).
    public init?(payload: ByteBuffer) {
        let i = payload.readerIndex
        guard payload.readableBytes >= Self.size,
              let e = payload.getInteger(at: i, as: UInt8.self),
              let flags = payload.getInteger(at: i + 1, as: UInt8.self),
              let d = payload.getInteger(at: i + 2, as: UInt16.self)
        else { return nil }
        self.event = e
        self.end = flags & 0x80 != 0
        self.volume = flags & 0x3F
        self.duration = d
    }

    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(event)
        buffer.writeInteger((end ? 0x80 : 0) | (volume & 0x3F))
        buffer.writeInteger(duration)
    }
}
