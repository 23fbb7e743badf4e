import Foundation
import Media
import NIOCore
import Testing

@Suite struct RTPRelayTests {
    static func packet(seq: UInt16, ts: UInt32, ssrc: UInt32, pt: UInt8 = 0, marker: Bool = false, payload: [UInt8]) -> ByteBuffer {
        var buf = ByteBuffer()
        RTPHeader(marker: marker, payloadType: pt, sequenceNumber: seq, timestamp: ts, ssrc: ssrc).write(to: &buf)
        buf.writeBytes(payload)
        return buf
    }

    /// Caller (PCMU) ↔ agent (PCMA) through two anchored sessions: each side keeps one SSRC
    /// and continuous sequence numbers across our own silence and the relayed packets; the
    /// payload is transcoded; both directions are counted.
    @Test func relayBetweenTwoPeers() async throws {
        let caller = try await UDPPeer.bind()
        let agent = try await UDPPeer.bind()
        defer { Task { await caller.close(); await agent.close() } }
        let pool = MediaPortPool(range: 41200...41219)
        let loop = testGroup.next()
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = caller.address
        let a = try await RTPSession.start(on: loop, pool: pool, configuration: config)
        config.remote = agent.address
        config.law = .alaw
        config.payloadType = 8
        let b = try await RTPSession.start(on: loop, pool: pool, configuration: config)
        try await agent.wait { $0.count >= 3 }  // b's own (silence) stream is flowing

        let relay = RTPRelay(a, b)
        try await relay.start().get()
        let aAddress = try SocketAddress(ipAddress: "127.0.0.1", port: a.localPort)
        let bAddress = try SocketAddress(ipAddress: "127.0.0.1", port: b.localPort)
        let callerPayloads = (0..<40).map { i in (0..<160).map { UInt8(truncatingIfNeeded: $0 * 3 + i) } }
        for (i, p) in callerPayloads.enumerated() {
            // The caller's own numbering, with a jump in sequence (loss) at 20.
            let seq = UInt16(truncatingIfNeeded: 65530 + i + (i >= 20 ? 1 : 0))
            try await caller.send(Self.packet(seq: seq, ts: 9_000 + UInt32(i * 160), ssrc: 0xCA11, marker: i == 0, payload: p), to: aAddress)
            if i % 10 == 9 { try await Task.sleep(for: .milliseconds(5)) }
        }
        for i in 0..<25 {
            try await agent.send(Self.packet(seq: UInt16(i), ts: UInt32(i * 160), ssrc: 0xA6E7, pt: 8, payload: [UInt8](repeating: 0xD5 ^ UInt8(i), count: 160)), to: bAddress)
        }
        let stats = try await waitForStats(relay) { $0.aToB == 40 && $0.bToA == 25 }
        #expect(stats == RTPRelay.Statistics(aToB: 40, bToA: 25))
        try await Task.sleep(for: .milliseconds(100))  // let the last forwarded packets arrive
        try await relay.stop().get()
        try await agent.wait { $0.count >= 50 }

        // Agent side: one SSRC, one sequence space (own silence, then relayed, then own again).
        let toAgent = agent.received.compactMap(rtp)
        #expect(Set(toAgent.map(\.0.ssrc)).count == 1)
        #expect(toAgent.allSatisfy { $0.0.payloadType == 8 })
        let relayed = toAgent.filter { $0.1 != [UInt8](repeating: 0xD5, count: 160) }
        #expect(relayed.count == 40)
        #expect(relayed.map(\.1) == callerPayloads.map { $0.map { G711.transcode($0, from: .ulaw, to: .alaw) } })
        #expect(relayed.first?.0.marker == true)
        for (x, y) in zip(relayed, relayed.dropFirst()) {
            #expect(y.0.timestamp == x.0.timestamp &+ 160)  // caller's timing preserved
        }
        #expect(relayed[20].0.sequenceNumber == relayed[19].0.sequenceNumber &+ 2)  // caller's loss preserved
        // No sequence number is ever reused on the agent's stream.
        #expect(Set(toAgent.map(\.0.sequenceNumber)).count == toAgent.count)

        // Caller side: the agent's 25 packets as PCMU under a's SSRC.
        let toCaller = caller.received.compactMap(rtp)
        #expect(Set(toCaller.map(\.0.ssrc)).count == 1)
        let fromAgent = toCaller.filter { $0.1 != [UInt8](repeating: 0xFF, count: 160) }
        #expect(fromAgent.count == 25)
        #expect(fromAgent.allSatisfy { $0.0.payloadType == 0 })
        try await a.close().get()
        try await b.close().get()
    }

    @Test func relayMediaTimeoutNamesTheSilentSide() async throws {
        let caller = try await UDPPeer.bind()
        defer { Task { await caller.close() } }
        let pool = MediaPortPool(range: 41220...41229)
        let loop = testGroup.next()
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        let a = try await RTPSession.start(on: loop, pool: pool, configuration: config)
        let b = try await RTPSession.start(on: loop, pool: pool, configuration: config)
        let sides = Recorder<RTPRelay.Side>()
        let relay = RTPRelay(a, b)
        // A generous timeout: the caller's 20 ms packets never leave a gap that long even on
        // a loaded machine, while the silent agent's side reaches it.
        try await relay.start(mediaTimeout: .milliseconds(1500)) { sides.append($0) }.get()
        // Only the caller keeps talking, until the silent side has been reported (bounded).
        let aAddress = try SocketAddress(ipAddress: "127.0.0.1", port: a.localPort)
        for i in 0..<250 where sides.values.isEmpty {
            try await caller.send(Self.packet(seq: UInt16(i), ts: UInt32(i * 160), ssrc: 7, payload: [UInt8](repeating: 0xFF, count: 160)), to: aAddress)
            try await Task.sleep(for: .milliseconds(20))
        }
        // The silent agent's side is reported first (a talking side is reported only if the
        // machine stalls the sender for the whole timeout).
        #expect(sides.values.first == .b)
        try await a.close().get()
        try await b.close().get()
    }

    func waitForStats(_ relay: RTPRelay, until: (RTPRelay.Statistics) -> Bool) async throws -> RTPRelay.Statistics {
        var s = try await relay.statistics().get()
        for _ in 0..<300 where !until(s) {
            try await Task.sleep(for: .milliseconds(10))
            s = try await relay.statistics().get()
        }
        return s
    }
}
