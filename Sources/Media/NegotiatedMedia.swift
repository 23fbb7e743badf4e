import SIPMessage

/// What offer/answer settled for the one audio stream a leg carries: everything an
/// `RTPSession` needs to be configured.
public struct NegotiatedMedia: Hashable, Sendable {
    /// The G.711 law we send and expect, and its payload type number.
    public var law: G711.Law
    public var payloadType: UInt8
    /// RFC 4733 telephone-event payload type, as offered (nil when not negotiated).
    public var telephoneEventPayloadType: UInt8?
    /// Packetisation time in milliseconds (RFC 4566 §6 `a=ptime`), 20 unless the offer says.
    public var ptime: Int
    /// Where the far end wants our RTP, from its `c=` and `m=` (before symmetric-RTP latching).
    public var remoteAddress: String
    public var remotePort: Int
    /// Our direction: `sends` false means the far end put us on hold (or is inactive).
    public var direction: MediaDirection
    /// Index of the accepted `m=` line.
    public var mediaIndex: Int

    public init(law: G711.Law, payloadType: UInt8, telephoneEventPayloadType: UInt8?, ptime: Int,
                remoteAddress: String, remotePort: Int, direction: MediaDirection, mediaIndex: Int = 0) {
        self.law = law
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.ptime = ptime
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.direction = direction
        self.mediaIndex = mediaIndex
    }
}

/// Why an offer (or answer) could not be accepted: sent as `488 Not Acceptable Here` with a
/// `Warning:` header (RFC 3261 §13.3.1.1, §21.4.26, §20.43).
public struct SDPNegotiationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public var statusCode: Int { 488 }
    /// RFC 3261 §20.43 warning code: 304 media type not available, 305 incompatible media
    /// format, 399 miscellaneous.
    public var warningCode: Int
    public var reason: String

    public init(warningCode: Int, reason: String) {
        self.warningCode = warningCode
        self.reason = reason
    }

    public var description: String { "488 (\(warningCode) \(reason))" }
}
