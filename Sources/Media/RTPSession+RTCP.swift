import Foundation
import NIOCore

/// Minimal RTCP (RFC 3550 §6): periodic SR + SDES, and BYE on close.
extension RTPSession {
    // MARK: RTCP

    func jitteredRTCPInterval() -> TimeAmount {
        .nanoseconds(Int64(Double(configuration.rtcpInterval.nanoseconds) * Double.random(in: 0.5...1.5)))
    }

    /// A compound packet SR + SDES CNAME (+ BYE) (RFC 3550 §6.1).
    func sendRTCP(bye: Bool) {
        guard let channel = rtcpChannel else { return }
        var target = rtcpRemote
        if target == nil, var rtp = remote, let port = rtp.port {
            rtp.port = port + 1  // §11: RTCP on the port above RTP unless we learnt otherwise
            target = rtp
        }
        guard let target else { return }
        rtcpBuffer.clear()
        let wallClock = UInt64(Date().timeIntervalSince1970 * 1_000_000_000)
        RTCPPacket.senderReport(ssrc: ssrc, ntp: RTCPPacket.ntpTimestamp(unixNanoseconds: wallClock), rtpTimestamp: timestamp,
                                packetCount: UInt32(truncatingIfNeeded: stats.packetsSent),
                                octetCount: UInt32(truncatingIfNeeded: stats.payloadOctetsSent)).write(to: &rtcpBuffer)
        RTCPPacket.sourceDescription(ssrc: ssrc, cname: "switchboard-\(String(ssrc, radix: 16))").write(to: &rtcpBuffer)
        if bye { RTCPPacket.bye(ssrc: ssrc).write(to: &rtcpBuffer) }
        stats.rtcpSent &+= 1
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: rtcpBuffer), promise: nil)
    }
}
