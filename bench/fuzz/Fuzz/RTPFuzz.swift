import Media
import NIOCore

/// One datagram through every media parser: the RTP header (RFC 3550 §5.1, with its CSRC,
/// extension and padding lengths), the payload slice it names, an RFC 4733 event in that
/// payload, and the RTCP compound validity checks (§A.2). A header we accept must describe a
/// payload inside the datagram and write back to the same 12+ bytes.
enum RTPFuzz {
    static func run(_ bytes: UnsafeRawBufferPointer) {
        var datagram = ByteBuffer()
        datagram.writeBytes(bytes)
        _ = RTCPPacket.parseCompound(datagram)
        _ = TelephoneEvent(payload: datagram)
        guard let header = try? RTPHeader.parse(datagram) else { return }
        guard header.payloadOffset >= RTPHeader.fixedSize, header.payloadLength >= 0,
              header.payloadOffset + header.payloadLength <= datagram.readableBytes else {
            finding("RTP payload \(header.payloadOffset)+\(header.payloadLength) outside a \(datagram.readableBytes)-byte datagram")
        }
        let payload = header.payload(of: datagram)
        if payload.readableBytes != header.payloadLength { finding("payload slice of \(payload.readableBytes) bytes, header says \(header.payloadLength)") }
        _ = TelephoneEvent(payload: payload)
        if let event = TelephoneEvent(payload: payload) {
            var out = ByteBuffer()
            event.write(to: &out)
            if out.readableBytes != TelephoneEvent.size || TelephoneEvent(payload: out) != event { finding("telephone-event \(event) does not write back") }
        }
        // Without an extension the written header is the first 12 + 4·CC bytes as received
        // (the padding bit is the payload's business, so it is left out of the comparison).
        if !header.hasExtension && !header.padding {
            var out = ByteBuffer()
            header.write(to: &out)
            let original = datagram.getSlice(at: datagram.readerIndex, length: out.readableBytes)
            if original != out { finding("RTP header \(header) writes back as different bytes") }
        }
    }
}
