import Media
import NIOCore
import Testing

@Suite struct RTPHeaderTests {
    @Test func roundTrip() throws {
        var buf = ByteBuffer()
        let h = RTPHeader(marker: true, payloadType: 8, sequenceNumber: 65535, timestamp: 0xDEAD_BEEF, ssrc: 0x1234_5678, csrcs: [7, 9])
        h.write(to: &buf)
        buf.writeBytes([1, 2, 3, 4])
        let p = try RTPHeader.parse(buf)
        #expect(p.marker && p.payloadType == 8 && p.sequenceNumber == 65535 && p.timestamp == 0xDEAD_BEEF && p.ssrc == 0x1234_5678)
        #expect(p.csrcs == [7, 9])
        #expect(p.payloadOffset == 20 && p.payloadLength == 4)
        #expect(Array(p.payload(of: buf).readableBytesView) == [1, 2, 3, 4])
        #expect(buf.getBytes(at: 0, length: 1) == [0x82])
    }

    @Test func extensionAndPaddingSkipped() throws {
        // V=2 P=1 X=1 CC=1, M=0 PT=0, then CSRC, extension (profile 0xBEDE, 1 word), payload, 3 padding octets.
        var bytes: [UInt8] = [0xB1, 0x00, 0x00, 0x01, 0, 0, 0, 160, 0, 0, 0, 42]
        bytes += [0, 0, 0, 99]
        bytes += [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0]
        bytes += [0x11, 0x22]
        bytes += [0, 0, 3]
        let h = try RTPHeader.parse(ByteBuffer(bytes: bytes))
        #expect(h.hasExtension && h.extensionProfile == 0xBEDE && h.extensionWordCount == 1)
        #expect(h.padding && h.csrcs == [99])
        #expect(h.payloadOffset == 24 && h.payloadLength == 2)
        #expect(h.timestamp == 160 && h.ssrc == 42 && h.sequenceNumber == 1)
    }

    @Test(arguments: [
        [UInt8](repeating: 0x80, count: 11),                                   // too short
        [0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF],                          // version 1
        [0x83, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1],                    // 3 CSRCs, 1 present
        [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 5, 0, 0, 0, 0],  // extension overruns
        [0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0],                       // padding count 0
        [0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 9],                       // padding beyond payload
        [0x80, 0xC8, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0],                 // RTCP SR on the RTP port
    ])
    func garbageRejected(bytes: [UInt8]) {
        #expect(throws: RTPHeader.ParseError.self) { try RTPHeader.parse(ByteBuffer(bytes: bytes)) }
    }

    @Test func randomBytesNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...64, using: &rng)
            var bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n > 0 { bytes[0] = (bytes[0] & 0x3F) | 0x80 }  // mostly version 2, to reach the deeper checks
            if let h = try? RTPHeader.parse(ByteBuffer(bytes: bytes)) {
                accepted += 1
                #expect(h.payloadOffset + h.payloadLength <= n)
            }
        }
        #expect(accepted > 0)
    }

    @Test func rtcpCompoundRoundTrip() throws {
        var buf = ByteBuffer()
        RTCPPacket.senderReport(ssrc: 1, ntp: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5).write(to: &buf)
        RTCPPacket.sourceDescription(ssrc: 1, cname: "abc").write(to: &buf)
        RTCPPacket.bye(ssrc: 1).write(to: &buf)
        #expect(buf.readableBytes % 4 == 0)
        let packets = try #require(RTCPPacket.parseCompound(buf))
        #expect(packets == [.senderReport(ssrc: 1, ntp: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5),
                            .sourceDescription(ssrc: 1, cname: "abc"), .bye(ssrc: 1)])
        // Must start with SR or RR (RFC 3550 §6.1).
        var bye = ByteBuffer()
        RTCPPacket.bye(ssrc: 1).write(to: &bye)
        #expect(RTCPPacket.parseCompound(bye) == nil)
    }

    @Test func ntpTimestamp() {
        // 1970-01-01T00:00:00.5Z = NTP 2208988800.5
        #expect(RTCPPacket.ntpTimestamp(unixNanoseconds: 500_000_000) == (UInt64(2_208_988_800) << 32 | 0x8000_0000))
    }
}
