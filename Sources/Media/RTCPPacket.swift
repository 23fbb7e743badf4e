import NIOCore

/// The few RTCP packets (RFC 3550 §6) a media anchor needs: sender reports so the far end can
/// measure us, SDES CNAME because every compound packet must carry one (§6.1), and BYE when a
/// session ends (§6.6). Receiver reports from the far end are accepted and ignored.
public enum RTCPPacket: Hashable, Sendable {
    /// §6.4.1. `ntp` is the 64-bit NTP wall-clock timestamp matching `rtpTimestamp`.
    case senderReport(ssrc: UInt32, ntp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32)
    /// §6.5 with one chunk and a CNAME item.
    case sourceDescription(ssrc: UInt32, cname: String)
    /// §6.6 with one source and no reason.
    case bye(ssrc: UInt32)
    /// Any other packet type (RR 201, APP 204, RTPFB …), kept by type only.
    case other(packetType: UInt8)

    public static let typeSR: UInt8 = 200, typeRR: UInt8 = 201, typeSDES: UInt8 = 202, typeBYE: UInt8 = 203

    /// Appends this packet to a compound packet being built in `buffer`.
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case let .senderReport(ssrc, ntp, rtp, packets, octets):
            Self.writeHeader(&buffer, count: 0, type: Self.typeSR, words: 6)
            buffer.writeInteger(ssrc)
            buffer.writeInteger(ntp)
            buffer.writeInteger(rtp)
            buffer.writeInteger(packets)
            buffer.writeInteger(octets)
        case let .sourceDescription(ssrc, cname):
            let text = Array(cname.utf8.prefix(255))
            // SSRC + type + length + text, then at least one null octet, to a 32-bit boundary.
            let chunk = 4 + 2 + text.count
            let padded = (chunk + 1 + 3) / 4 * 4
            Self.writeHeader(&buffer, count: 1, type: Self.typeSDES, words: padded / 4)
            buffer.writeInteger(ssrc)
            buffer.writeInteger(UInt8(1))  // CNAME
            buffer.writeInteger(UInt8(text.count))
            buffer.writeBytes(text)
            buffer.writeRepeatingByte(0, count: padded - chunk)
        case let .bye(ssrc):
            Self.writeHeader(&buffer, count: 1, type: Self.typeBYE, words: 1)
            buffer.writeInteger(ssrc)
        case .other:
            break
        }
    }

    private static func writeHeader(_ buffer: inout ByteBuffer, count: UInt8, type: UInt8, words: Int) {
        buffer.writeInteger(UInt8(0x80 | (count & 0x1F)))
        buffer.writeInteger(type)
        buffer.writeInteger(UInt16(words))  // length in 32-bit words minus one (§6.4.1)
    }

    /// Parses a compound packet with the §A.2 validity checks: version 2 throughout, the first
    /// packet an SR or RR without padding, and lengths that add up exactly to the datagram.
    public static func parseCompound(_ datagram: ByteBuffer) -> [RTCPPacket]? {
        var buf = datagram
        var out: [RTCPPacket] = []
        while buf.readableBytes > 0 {
            guard buf.readableBytes >= 4,
                  let b0 = buf.getInteger(at: buf.readerIndex, as: UInt8.self),
                  let pt = buf.getInteger(at: buf.readerIndex + 1, as: UInt8.self),
                  let words = buf.getInteger(at: buf.readerIndex + 2, as: UInt16.self),
                  b0 >> 6 == 2
            else { return nil }
            let size = (Int(words) + 1) * 4
            guard size <= buf.readableBytes, var body = buf.readSlice(length: size) else { return nil }
            if out.isEmpty, pt != typeSR && pt != typeRR || out.isEmpty && b0 & 0x20 != 0 { return nil }
            body.moveReaderIndex(forwardBy: 4)
            switch pt {
            case typeSR:
                guard let ssrc = body.readInteger(as: UInt32.self), let ntp = body.readInteger(as: UInt64.self),
                      let rtp = body.readInteger(as: UInt32.self), let pc = body.readInteger(as: UInt32.self),
                      let oc = body.readInteger(as: UInt32.self) else { return nil }
                out.append(.senderReport(ssrc: ssrc, ntp: ntp, rtpTimestamp: rtp, packetCount: pc, octetCount: oc))
            case typeSDES:
                guard let ssrc = body.readInteger(as: UInt32.self), body.readInteger(as: UInt8.self) == 1,
                      let len = body.readInteger(as: UInt8.self), let text = body.readString(length: Int(len)) else { return nil }
                out.append(.sourceDescription(ssrc: ssrc, cname: text))
            case typeBYE:
                guard let ssrc = body.readInteger(as: UInt32.self) else { return nil }
                out.append(.bye(ssrc: ssrc))
            default:
                out.append(.other(packetType: pt))
            }
        }
        return out.isEmpty ? nil : out
    }

    /// NTP timestamp (RFC 3550 §4: seconds since 1900 in the high 32 bits, fraction below).
    public static func ntpTimestamp(unixNanoseconds ns: UInt64) -> UInt64 {
        let seconds = ns / 1_000_000_000 + 2_208_988_800
        let fraction = (ns % 1_000_000_000) << 32 / 1_000_000_000
        return seconds << 32 | fraction
    }
}
