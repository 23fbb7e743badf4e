import NIOCore

/// The fixed RTP header of RFC 3550 §5.1, plus where the payload sits in the datagram.
///
/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers  (CC × 32)  |
/// ```
///
/// Parsing tolerates CSRCs, a header extension (§5.3.1) and padding (§5.1 P bit), and rejects
/// anything RFC 3550 §A.1's validity checks would: wrong version, lengths that overrun the
/// datagram, a zero or oversized padding count, and RTCP packets that arrive on the RTP port
/// (RFC 5761 §4: payload types 72–76 with the marker set are RTCP SR/RR/SDES/BYE/APP).
public struct RTPHeader: Hashable, Sendable {
    public var padding: Bool
    public var hasExtension: Bool
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// Contributing sources. Empty (and allocation-free) for the packets a B2BUA sees.
    public var csrcs: [UInt32]
    /// Profile-defined 16 bits and the extension words, when `hasExtension`.
    public var extensionProfile: UInt16
    public var extensionWordCount: Int

    /// Offset of the payload from the start of the datagram, and its length without padding.
    public var payloadOffset: Int
    public var payloadLength: Int

    public static let fixedSize = 12
    public static let version: UInt8 = 2

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, csrcs: [UInt32] = []) {
        self.padding = false
        self.hasExtension = false
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.extensionProfile = 0
        self.extensionWordCount = 0
        self.payloadOffset = Self.fixedSize + 4 * csrcs.count
        self.payloadLength = 0
    }

    public enum ParseError: Error, Hashable, Sendable {
        case tooShort(Int)
        case badVersion(UInt8)
        case rtcpOnRTPPort(UInt8)
        case csrcOverrun
        case extensionOverrun
        case badPadding(UInt8)
    }

    /// Parses the header at the reader index of `buffer` without moving it.
    public static func parse(_ buffer: ByteBuffer) throws(ParseError) -> RTPHeader {
        let base = buffer.readerIndex
        let total = buffer.readableBytes
        guard total >= fixedSize,
              let b0 = buffer.getInteger(at: base, as: UInt8.self),
              let b1 = buffer.getInteger(at: base + 1, as: UInt8.self),
              let seq = buffer.getInteger(at: base + 2, as: UInt16.self),
              let ts = buffer.getInteger(at: base + 4, as: UInt32.self),
              let ssrc = buffer.getInteger(at: base + 8, as: UInt32.self)
        else { throw .tooShort(total) }
        let version = b0 >> 6
        guard version == Self.version else { throw .badVersion(version) }
        let pt = b1 & 0x7F
        // RFC 5761 §4: RTCP packet types 200–204 look like RTP PT 72–76 with M set.
        if (72...76).contains(pt) { throw .rtcpOnRTPPort(b1) }
        let cc = Int(b0 & 0x0F)
        var offset = fixedSize + 4 * cc
        guard offset <= total else { throw .csrcOverrun }
        var csrcs: [UInt32] = []
        if cc > 0 {
            csrcs.reserveCapacity(cc)
            for i in 0..<cc { csrcs.append(buffer.getInteger(at: base + fixedSize + 4 * i, as: UInt32.self)!) }
        }
        let hasExtension = b0 & 0x10 != 0
        var profile: UInt16 = 0
        var words = 0
        if hasExtension {
            // §5.3.1: 16-bit profile, 16-bit length in 32-bit words excluding this 4-byte header.
            guard offset + 4 <= total,
                  let p = buffer.getInteger(at: base + offset, as: UInt16.self),
                  let w = buffer.getInteger(at: base + offset + 2, as: UInt16.self)
            else { throw .extensionOverrun }
            profile = p
            words = Int(w)
            offset += 4 + 4 * words
            guard offset <= total else { throw .extensionOverrun }
        }
        var end = total
        let hasPadding = b0 & 0x20 != 0
        if hasPadding {
            // §5.1: the last octet counts the padding octets, itself included.
            let count = buffer.getInteger(at: base + total - 1, as: UInt8.self)!
            guard count > 0, Int(count) <= total - offset else { throw .badPadding(count) }
            end -= Int(count)
        }
        var header = RTPHeader(marker: b1 & 0x80 != 0, payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: ssrc)
        header.csrcs = csrcs
        header.padding = hasPadding
        header.hasExtension = hasExtension
        header.extensionProfile = profile
        header.extensionWordCount = words
        header.payloadOffset = offset
        header.payloadLength = end - offset
        return header
    }

    /// Writes the header (with CSRCs, without extension or padding: we never send those).
    @inline(__always)
    public func write(to buffer: inout ByteBuffer) {
        let b0 = (Self.version << 6) | UInt8(min(csrcs.count, 15))
        let b1 = (marker ? 0x80 : 0) | (payloadType & 0x7F)
        buffer.writeInteger(b0)
        buffer.writeInteger(b1)
        buffer.writeInteger(sequenceNumber)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        for c in csrcs.prefix(15) { buffer.writeInteger(c) }
    }

    /// The payload bytes of `datagram` described by this header (a slice: no copy).
    public func payload(of datagram: ByteBuffer) -> ByteBuffer {
        datagram.getSlice(at: datagram.readerIndex + payloadOffset, length: payloadLength)!
    }
}

/// RTP sequence-number arithmetic modulo 2^16 (RFC 3550 §A.1).
@inline(__always)
func rtpSequence(_ a: UInt16, isAfter b: UInt16) -> Bool {
    let d = a &- b
    return d != 0 && d < 0x8000
}
