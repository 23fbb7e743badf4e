import Foundation
import Media
import NIOCore
import SIPMessage
import Testing

@Suite struct RTPSessionTests {
    @Test func portPoolEvenPortsAndExhaustion() throws {
        let pool = MediaPortPool(range: 41001...41008)  // even RTP ports with RTCP above: 41002, 41004, 41006
        #expect(pool.capacity == 3)
        let ports = try (0..<3).map { _ in try pool.allocate() }
        #expect(Set(ports) == [41002, 41004, 41006])
        #expect(throws: MediaPortPool.Error.exhausted(41001...41008)) { try pool.allocate() }
        pool.release(41004)
        #expect(try pool.allocate() == 41004)
        #expect(pool.allocatedCount == 3)
    }

    @Test func sessionStartFailsWhenPoolExhausted() async throws {
        let pool = MediaPortPool(range: 41010...41011)
        _ = try pool.allocate()
        await #expect(throws: MediaPortPool.Error.self) {
            _ = try await RTPSession.start(on: testGroup.next(), pool: pool)
        }
    }

    /// A session plays a prompt to a plain UDP socket: continuous seq/timestamp/SSRC, marker
    /// on the stream's first packet and the prompt's first packet, payloads equal to the
    /// prompt, silence after it, completion `.finished`, then RTCP SR and BYE on close.
    @Test func playbackOverLoopback() async throws {
        let (peer, rtcpPeer) = try await UDPPeer.bindPair(from: 43000)
        defer { Task { await peer.close(); await rtcpPeer.close() } }
        let pool = MediaPortPool(range: 41100...41139)
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = peer.address
        config.law = .ulaw
        config.rtcpInterval = .milliseconds(300)
        let session = try await RTPSession.start(on: testGroup.next(), pool: pool, configuration: config)
        #expect(session.localPort % 2 == 0)

        let samples = tone(milliseconds: 300)
        let prompt = Prompt(name: "tone", samples: samples)
        let done = Recorder<PlaybackResult>()
        session.play(prompt) { done.append($0) }
        #expect(try await done.wait(count: 1) == [.finished])
        let packets = try await peer.wait { $0.count >= 30 }.compactMap(rtp)
        try await session.close().get()
        #expect(pool.allocatedCount == 0)

        // Continuity (RFC 3550 §5.1).
        let ssrc = packets[0].0.ssrc
        #expect(packets.allSatisfy { $0.0.ssrc == ssrc && $0.0.payloadType == 0 && $0.1.count == 160 })
        for (a, b) in zip(packets, packets.dropFirst()) {
            #expect(b.0.sequenceNumber == a.0.sequenceNumber &+ 1)
            #expect(b.0.timestamp == a.0.timestamp &+ 160)
        }
        #expect(packets[0].0.marker)
        // The prompt: 15 frames in a row, the first marked, decoding to the samples.
        let start = try #require(packets.firstIndex { $0.1 == Array(prompt.frame(0, law: .ulaw)) })
        #expect(packets[start].0.marker)
        #expect(packets.count >= start + 15)
        let received = packets[start ..< start + 15].flatMap { G711.decode($0.1, law: .ulaw) }
        #expect(zip(received, samples).allSatisfy { abs(Int($0) - Int($1)) <= G711.maxQuantisationError(law: .ulaw) })
        #expect(packets[(start + 1)...].allSatisfy { !$0.0.marker })
        #expect(packets[(start + 15)...].allSatisfy { $0.1.allSatisfy { $0 == 0xFF } })  // silence after

        let rtcp = try await rtcpPeer.wait { $0.contains { RTCPPacket.parseCompound($0.data)?.contains(.bye(ssrc: ssrc)) == true } }
        let compounds = rtcp.compactMap { RTCPPacket.parseCompound($0.data) }
        #expect(compounds.count == rtcp.count)  // every RTCP datagram well formed
        #expect(compounds.contains { $0.contains(.bye(ssrc: ssrc)) })
        guard case .senderReport(let srSSRC, _, _, let count, _) = compounds.last?.first else { Issue.record("no SR first"); return }
        #expect(srSSRC == ssrc && count >= 30)
    }

    @Test func loopedPromptStopAndReplace() async throws {
        let peer = try await UDPPeer.bind()
        defer { Task { await peer.close() } }
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = peer.address
        config.law = .alaw
        config.payloadType = 8
        let session = try await RTPSession.start(on: testGroup.next(), pool: MediaPortPool(range: 41140...41149), configuration: config)
        let results = Recorder<String>()
        let short = Prompt(samples: tone(milliseconds: 40))  // 2 frames
        let frame0 = Array(short.frame(0, law: .alaw)), frame1 = Array(short.frame(1, law: .alaw))
        session.play(short, loop: true) { results.append("hold:\($0)") }
        // Wait for the hold prompt itself to have looped (not for a packet count: the stream
        // may open with silence packets before the loop hop that starts the prompt).
        try await peer.wait { $0.compactMap(rtp).filter { $0.1 == frame0 }.count >= 3 }
        session.play(Prompt(samples: tone(frequency: 300, milliseconds: 60))) { results.append("announce:\($0)") }
        _ = try await results.wait(count: 2)
        session.play(short, loop: true) { results.append("hold2:\($0)") }
        session.stopPlayback()
        #expect(try await results.wait(count: 3) == ["hold:replaced", "announce:finished", "hold2:stopped"])
        try await session.close().get()
        let packets = peer.received.compactMap(rtp)
        let loops = packets.filter { $0.1 == frame0 }.count
        #expect(loops >= 3, "\(packets.map { $0.1 == frame0 ? "0" : $0.1 == frame1 ? "1" : "x\($0.1.first ?? 0)" })")  // looped several times
        #expect(packets.filter { $0.1 == frame1 }.count >= loops - 1)
        #expect(packets.allSatisfy { $0.0.payloadType == 8 })
    }

    /// One session sends an RFC 4733 digit to another, which reports it exactly once.
    @Test func dtmfBetweenSessions() async throws {
        let pool = MediaPortPool(range: 41150...41169)
        let loop = testGroup.next()
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.telephoneEventPayloadType = 101
        let a = try await RTPSession.start(on: loop, pool: pool, configuration: config)
        config.remote = try SocketAddress(ipAddress: "127.0.0.1", port: a.localPort)
        let b = try await RTPSession.start(on: loop, pool: pool, configuration: config)
        a.update(remote: try SocketAddress(ipAddress: "127.0.0.1", port: b.localPort), direction: .sendrecv)
        let digits = Recorder<DTMFDigit>()
        b.onDTMF { digits.append($0) }
        a.sendDTMF(DTMFDigit("7")!, duration: .milliseconds(100))
        a.sendDTMF(DTMFDigit("7")!, duration: .milliseconds(60))
        a.sendDTMF(DTMFDigit("#")!)
        let got = try await digits.wait(count: 3)
        try await Task.sleep(for: .milliseconds(150))  // any duplicate would show up by now
        #expect(digits.values.map(\.description) == ["7", "7", "#"])
        #expect(got.first?.durationMilliseconds == 100)
        #expect(got.dropFirst().first?.durationMilliseconds == 60)
        try await a.close().get()
        try await b.close().get()
    }

    /// The sip-tester capture sent over UDP to a session: one callback; and symmetric RTP
    /// latches onto the sender, replacing the SDP address.
    @Test
    func pcapOverUDPAndSymmetricLatch() async throws {
        let sender = try await UDPPeer.bind()
        defer { Task { await sender.close() } }
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = try SocketAddress(ipAddress: "127.0.0.1", port: 9)  // SDP says discard port
        let session = try await RTPSession.start(on: testGroup.next(), pool: MediaPortPool(range: 41170...41179), configuration: config)
        let digits = Recorder<DTMFDigit>()
        session.onDTMF { digits.append($0) }
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: session.localPort)
        for p in try PcapReader.udpPayloads(path: "/usr/share/sip-tester/dtmf_2833_5.pcap") {
            try await sender.send(ByteBuffer(bytes: p), to: target)
        }
        #expect(try await digits.wait(count: 1).map(\.description) == ["5"])
        let echoed = try await sender.wait { $0.count >= 3 }
        #expect(echoed.count >= 3)  // our stream now goes to where the packets came from
        // After the latch, a stranger's packets (an injected "9") are dropped.
        let stranger = try await UDPPeer.bind()
        defer { Task { await stranger.close() } }
        for end in [false, true, true] {
            var buf = ByteBuffer()
            RTPHeader(payloadType: 101, sequenceNumber: 1, timestamp: 777, ssrc: 666).write(to: &buf)
            TelephoneEvent(event: 9, end: end, duration: 800).write(to: &buf)
            try await stranger.send(buf, to: target)
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(digits.values.count == 1)
        let stats = try await session.statistics().get()
        #expect(stats.packetsReceived == 10)
        #expect(stats.packetsFromOtherSources == 3)
        try await session.close().get()
    }

    @Test func mediaTimeoutFiresOnceAndHeldSessionIsSilent() async throws {
        let peer = try await UDPPeer.bind()
        defer { Task { await peer.close() } }
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = peer.address
        config.direction = .recvonly  // the far end holds us: we must not send (RFC 3264 §5.1)
        config.mediaTimeout = .milliseconds(200)
        let session = try await RTPSession.start(on: testGroup.next(), pool: MediaPortPool(range: 41180...41189), configuration: config)
        let fired = Recorder<Int>()
        session.setMediaTimeout(.milliseconds(200)) { fired.append(1) }
        #expect(try await fired.wait(count: 1).count == 1)
        try await Task.sleep(for: .milliseconds(300))
        #expect(fired.values.count == 1)
        #expect(peer.received.isEmpty)
        try await session.close().get()
    }

    @Test func configurationFromNegotiatedMedia() {
        let media = NegotiatedMedia(law: .alaw, payloadType: 8, telephoneEventPayloadType: 96, ptime: 30,
                                    remoteAddress: "192.0.2.1", remotePort: 4000, direction: .recvonly)
        let c = RTPSession.Configuration(negotiated: media)
        #expect(c.law == .alaw && c.payloadType == 8 && c.telephoneEventPayloadType == 96 && c.ptime == 30 && c.direction == .recvonly)
        #expect(c.remote == (try? SocketAddress(ipAddress: "192.0.2.1", port: 4000)))
        var held = media
        held.remoteAddress = "0.0.0.0"
        #expect(RTPSession.Configuration(negotiated: held).remote == nil)
    }

    /// ptime 30 (from the SDP): 240-byte packets, timestamps +240.
    @Test func ptime30() async throws {
        let peer = try await UDPPeer.bind()
        defer { Task { await peer.close() } }
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = peer.address
        config.ptime = 30
        let session = try await RTPSession.start(on: testGroup.next(), pool: MediaPortPool(range: 41300...41309), configuration: config)
        session.play(Prompt(samples: tone(milliseconds: 100)))
        let packets = try await peer.wait { $0.count >= 6 }.compactMap(rtp)
        try await session.close().get()
        #expect(packets.allSatisfy { $0.1.count == 240 })
        for (a, b) in zip(packets, packets.dropFirst()) { #expect(b.0.timestamp == a.0.timestamp &+ 240) }
    }

    /// IPv6 end to end: an answer to an IP6 offer configures a session bound on ::1 that
    /// reaches the offerer's [::1] socket.
    @Test func ipv6Session() async throws {
        guard let peer = try? await UDPPeer.bind(host: "::1") else { return }  // no IPv6 loopback here
        defer { Task { await peer.close() } }
        let offer = try SDPCodec.parse("v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio \(peer.port) RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n")
        let answer = try SDPNegotiator.answer(offer: offer, localAddress: "::1", localPort: 0).get()
        let session = try await RTPSession.start(on: testGroup.next(), pool: MediaPortPool(range: 41310...41319),
                                                 configuration: .init(negotiated: answer.media, bindAddress: "::1"))
        let packets = try await peer.wait { $0.count >= 3 }.compactMap(rtp)
        try await session.close().get()
        #expect(packets.count >= 3)
        #expect(packets.allSatisfy { $0.0.payloadType == 8 && $0.1 == [UInt8](repeating: 0xD5, count: 160) })
    }

    @Test func garbageCountedNotFatal() async throws {
        let sender = try await UDPPeer.bind()
        defer { Task { await sender.close() } }
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        let session = try await RTPSession.start(on: testGroup.next(), pool: MediaPortPool(range: 41190...41199), configuration: config)
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: session.localPort)
        for bytes: [UInt8] in [[1, 2, 3], [0x40] + Array(repeating: 0, count: 20), Array("INVITE sip:x SIP/2.0\r\n".utf8)] {
            try await sender.send(ByteBuffer(bytes: bytes), to: target)
        }
        try await Task.sleep(for: .milliseconds(100))
        let stats = try await session.statistics().get()
        #expect(stats.invalidPacketsReceived == 3 && stats.packetsReceived == 0)
        #expect(sender.received.isEmpty)  // garbage does not latch symmetric RTP
        try await session.close().get()
    }
}
