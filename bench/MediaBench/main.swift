// MediaBench: how many playback sessions one event loop carries on time, and how many packets
// per second an RTPRelay forwards. `swift run -c release MediaBench [--step-seconds S] [--max N]`.
// See bench/README.md, section "Media".
import Foundation
import Media
import NIOCore
import NIOPosix

func argument(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return value }
    return v
}

let stepSeconds = argument("--step-seconds", default: 5)
let maxSessions = argument("--max", default: 8000)
let relaySeconds = argument("--relay-seconds", default: 3)

/// The measured loop: one thread, as in production where calls are sharded across loops.
let mediaGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
/// Sinks and load generators, on the other core.
let peerGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let mediaLoop = mediaGroup.next()

/// A UDP socket that never reads: the kernel drops what overflows its buffer, which costs the
/// sender nothing more than a real phone would.
func sink() throws -> any Channel {
    try DatagramBootstrap(group: peerGroup).channelOption(.autoRead, value: false).bind(host: "127.0.0.1", port: 0).wait()
}

func aggregate(_ sessions: [RTPSession], reset: Bool = false) throws -> RTPSession.Statistics {
    var total = RTPSession.Statistics()
    for s in try EventLoopFuture.whenAllSucceed(sessions.map { $0.statistics(resettingClock: reset) }, on: mediaLoop).wait() {
        total.ticks += s.ticks
        total.lateTicks += s.lateTicks
        total.packetsSent += s.packetsSent
        total.maxLatenessNanoseconds = max(total.maxLatenessNanoseconds, s.maxLatenessNanoseconds)
        total.packetsRelayed += s.packetsRelayed
    }
    return total
}

// MARK: 1. Playback capacity

var load = [Double](repeating: 0, count: 3)
_ = getloadavg(&load, 3)
print(String(format: "MediaBench on %d cores, load average %.2f %.2f %.2f at start", ProcessInfo.processInfo.activeProcessorCount, load[0], load[1], load[2]))
print("MediaBench: playback capacity of one event loop (20 ms PCMU, looped prompt, late = >5 ms after schedule, threshold 1%)")
print("  sessions   packets/s   late%    max late   (\(stepSeconds) s per step)")
let pool = MediaPortPool(range: 20000...59999)
let playbackSink = try sink()
let prompt = Prompt(name: "bench", samples: (0..<16000).map { Int16(6000 * sin(Double($0) * 2 * .pi * 440 / 8000)) })
var config = RTPSession.Configuration()
config.bindAddress = "127.0.0.1"
config.remote = playbackSink.localAddress
config.symmetricRTP = false
var sessions: [RTPSession] = []
var lastPassing = 0
let steps = [250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2500, 3000, 4000, 6000, 8000].filter { $0 <= maxSessions }
for target in steps {
    while sessions.count < target {
        let s = try RTPSession.start(on: mediaLoop, pool: pool, configuration: config).wait()
        s.play(prompt, loop: true)
        sessions.append(s)
    }
    Thread.sleep(forTimeInterval: 1)  // let start-up settle
    // The machine is shared: another process taking the core for 40 ms makes every session
    // late at once. So a step passes if any of up to 3 windows stays under the threshold.
    var passed = false
    for attempt in 1...3 {
        _ = try aggregate(sessions, reset: true)
        let sentBefore = try aggregate(sessions).packetsSent
        let started = Date()
        Thread.sleep(forTimeInterval: Double(stepSeconds))
        let after = try aggregate(sessions)
        let elapsed = Date().timeIntervalSince(started)
        let latePct = after.ticks == 0 ? 100 : Double(after.lateTicks) * 100 / Double(after.ticks)
        print(String(format: "  %8d   %9.0f   %5.2f   %7.1f ms%@", target, Double(after.packetsSent - sentBefore) / elapsed, latePct,
                     Double(after.maxLatenessNanoseconds) / 1e6, attempt > 1 ? "   (window \(attempt))" : ""))
        if latePct < 1 { passed = true; break }
    }
    guard passed else { break }
    lastPassing = target
}
print("  => \(lastPassing) concurrent playback sessions on one loop with <1% of packets >5 ms late")
_ = try? EventLoopFuture.andAllComplete(sessions.map { $0.close() }, on: mediaLoop).wait()
sessions.removeAll()
try playbackSink.close().wait()

// MARK: 2. Relay throughput

/// Sends RTP as fast as the socket takes it (bounded by writability, never queuing unboundedly).
final class Blaster: @unchecked Sendable {
    let channel: any Channel
    let target: SocketAddress
    var sequence: UInt16 = 0
    var sent = 0
    var running = true
    var buffer = ByteBuffer()

    init(target: SocketAddress) throws {
        self.target = target
        channel = try DatagramBootstrap(group: peerGroup).channelOption(.autoRead, value: false).bind(host: "127.0.0.1", port: 0).wait()
    }

    func start() { channel.eventLoop.execute { self.burst() } }
    func stop() -> Int { try! channel.eventLoop.submit { self.running = false; return self.sent }.wait() }

    private func burst() {
        guard running else { return }
        for _ in 0..<64 where channel.isWritable {
            buffer.clear()
            RTPHeader(payloadType: 0, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 160, ssrc: 0xB1A5).write(to: &buffer)
            buffer.writeRepeatingByte(0xFF, count: 160)
            channel.write(AddressedEnvelope(remoteAddress: target, data: buffer), promise: nil)
            sequence &+= 1
            sent += 1
        }
        channel.flush()
        channel.eventLoop.execute { self.burst() }
    }
}

print("\nMediaBench: RTPRelay throughput (both legs on one loop, 160-byte PCMU, peers on the other core)")
let sinkA = try sink(), sinkB = try sink()
var relayConfig = RTPSession.Configuration()
relayConfig.bindAddress = "127.0.0.1"
relayConfig.remote = sinkA.localAddress
relayConfig.symmetricRTP = false  // keep sending to the sinks, not back to the blasters
let legA = try RTPSession.start(on: mediaLoop, pool: pool, configuration: relayConfig).wait()
relayConfig.remote = sinkB.localAddress
let legB = try RTPSession.start(on: mediaLoop, pool: pool, configuration: relayConfig).wait()
let relay = RTPRelay(legA, legB)
try relay.start().wait()
for bidirectional in [false, true] {
    let toA = try Blaster(target: try SocketAddress(ipAddress: "127.0.0.1", port: legA.localPort))
    let toB = bidirectional ? try Blaster(target: try SocketAddress(ipAddress: "127.0.0.1", port: legB.localPort)) : nil
    let before = try relay.statistics().wait()
    let started = Date()
    toA.start()
    toB?.start()
    Thread.sleep(forTimeInterval: Double(relaySeconds))
    let sent = toA.stop() + (toB?.stop() ?? 0)
    let after = try relay.statistics().wait()
    let elapsed = Date().timeIntervalSince(started)
    let forwarded = (after.aToB - before.aToB) + (after.bToA - before.bToA)
    print(String(format: "  %@: offered %.0f pkt/s, forwarded %.0f pkt/s (%.1f%% of offered; the rest dropped by the kernel)",
                 bidirectional ? "both directions" : "one direction  ", Double(sent) / elapsed, Double(forwarded) / elapsed,
                 sent == 0 ? 0 : Double(forwarded) * 100 / Double(sent)))
    try toA.channel.close().wait()
    try toB?.channel.close().wait()
    Thread.sleep(forTimeInterval: 0.3)
}
try relay.stop().wait()
try legA.close().wait()
try legB.close().wait()
try mediaGroup.syncShutdownGracefully()
try peerGroup.syncShutdownGracefully()
