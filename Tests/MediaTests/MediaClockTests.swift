import NIOCore
import NIOPosix
import Testing
@testable import Media

/// The shared per-loop packet clock (`MediaClock`): every session on a loop is served from
/// one timing wheel, whatever its ptime, through stalls longer than the wheel, and leaves it
/// when closed. Each test has its own loop thread, hence its own clock.
@Suite struct MediaClockTests {
    private func start(on loop: any EventLoop, to peer: UDPPeer, ptime: Int, ports: ClosedRange<Int>) async throws -> RTPSession {
        var config = RTPSession.Configuration()
        config.bindAddress = "127.0.0.1"
        config.remote = peer.address
        config.ptime = ptime
        return try await RTPSession.start(on: loop, pool: MediaPortPool(range: ports), configuration: config)
    }

    /// Sequence +1 and timestamp + 8 × ptime between neighbours: nothing skipped or doubled.
    private func expectContinuous(_ packets: [(RTPHeader, [UInt8])], ptime: Int) {
        #expect(packets.count >= 5, "ptime \(ptime): \(packets.count) packets")
        for (a, b) in zip(packets, packets.dropFirst()) {
            #expect(b.0.sequenceNumber == a.0.sequenceNumber &+ 1)
            #expect(b.0.timestamp == a.0.timestamp &+ UInt32(8 * ptime), "ptime \(ptime)")
            #expect(b.1.count == 8 * ptime)
        }
    }

    @Test func sessionsOfDifferentPtimesShareOneLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var sessions: [(RTPSession, UDPPeer, Int)] = []
        for (i, ptime) in [10, 20, 30, 60, 20, 20].enumerated() {
            let peer = try await UDPPeer.bind()
            let base = 41400 + 10 * i
            sessions.append((try await start(on: loop, to: peer, ptime: ptime, ports: base...base + 9), peer, ptime))
        }
        #expect(try await loop.submit { MediaClock.on(loop).sessionCount }.get() == sessions.count)
        for (session, peer, ptime) in sessions {
            let packets = try await peer.wait { $0.count >= 6 }.compactMap(rtp)
            expectContinuous(packets, ptime: ptime)
            try await session.close().get()
            await peer.close()
        }
        // Closed sessions leave the wheel at their next slot (within one ptime).
        var left = -1
        for _ in 0..<100 {
            left = try await loop.submit { MediaClock.on(loop).sessionCount }.get()
            if left == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(left == 0)
        try await group.shutdownGracefully()
    }

    /// A loop blocked for longer than the wheel (256 ms): every session is still served after
    /// it, skipping the packet times it missed (a timestamp gap, RFC 3550 §5.1) instead of
    /// bursting them out, with no gap in sequence numbers.
    @Test func stallLongerThanTheWheel() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var sessions: [(RTPSession, UDPPeer)] = []
        for i in 0..<3 {
            let peer = try await UDPPeer.bind()
            let base = 41500 + 10 * i
            sessions.append((try await start(on: loop, to: peer, ptime: 20, ports: base...base + 9), peer))
        }
        for (_, peer) in sessions { try await peer.wait { $0.count >= 3 } }
        try await loop.submit { usleep(400_000) }.get()
        for (session, peer) in sessions {
            let before = peer.received.count
            let packets = try await peer.wait { $0.count >= before + 5 }.compactMap(rtp)
            try await session.close().get()
            await peer.close()
            let pairs = Array(zip(packets, packets.dropFirst()))
            #expect(pairs.allSatisfy { $1.0.sequenceNumber == $0.0.sequenceNumber &+ 1 })
            // 400 ms missed → a jump of at least 300 ms of samples between two neighbours
            // (a burst would have sent them with consecutive timestamps instead).
            #expect(pairs.contains { $1.0.timestamp &- $0.0.timestamp >= 2400 })
        }
        try await group.shutdownGracefully()
    }
}
