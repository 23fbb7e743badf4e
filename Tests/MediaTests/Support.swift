import Foundation
import Media
import NIOCore
import NIOPosix

/// Event loop group shared by the media tests (never shut down: the process ends first).
let testGroup = MultiThreadedEventLoopGroup.singleton

/// A plain UDP socket for tests: records every datagram it receives.
final class UDPPeer: @unchecked Sendable {
    let channel: any Channel
    private let lock = NSLock()
    private var datagrams: [AddressedEnvelope<ByteBuffer>] = []

    private init(channel: any Channel) { self.channel = channel }

    static func bind(host: String = "127.0.0.1", port: Int = 0) async throws -> UDPPeer {
        let box = Box()
        let channel = try await DatagramBootstrap(group: testGroup)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(box: box))
                }
            }
            .bind(host: host, port: port).get()
        let peer = UDPPeer(channel: channel)
        box.peer = peer
        return peer
    }

    /// An RTP/RTCP pair of peers on an even port and the one above (RTCP follows RFC 3550 §11).
    static func bindPair(from base: Int) async throws -> (rtp: UDPPeer, rtcp: UDPPeer) {
        var port = base
        while port < base + 400 {
            if let rtp = try? await bind(port: port) {
                if let rtcp = try? await bind(port: port + 1) { return (rtp, rtcp) }
                await rtp.close()
            }
            port += 2
        }
        throw RTPSession.SessionError.cannotBind("no free test port pair from \(base)")
    }

    var address: SocketAddress { channel.localAddress! }
    var port: Int { address.port! }

    func append(_ e: AddressedEnvelope<ByteBuffer>) { lock.withLock { datagrams.append(e) } }
    var received: [AddressedEnvelope<ByteBuffer>] { lock.withLock { datagrams } }

    func send(_ bytes: ByteBuffer, to address: SocketAddress) async throws {
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: bytes)).get()
    }

    /// Waits (bounded) until `predicate` holds over the datagrams received so far.
    @discardableResult
    func wait(timeout: Duration = .seconds(3), until predicate: ([AddressedEnvelope<ByteBuffer>]) -> Bool) async throws -> [AddressedEnvelope<ByteBuffer>] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let r = received
            if predicate(r) { return r }
            try await Task.sleep(for: .milliseconds(10))
        }
        return received
    }

    func close() async { try? await channel.close().get() }

    final class Box: @unchecked Sendable { var peer: UDPPeer? }

    final class Collector: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let box: Box
        init(box: Box) { self.box = box }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { box.peer?.append(unwrapInboundIn(data)) }
    }
}

/// Thread-safe recorder for callbacks.
final class Recorder<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func append(_ t: T) { lock.withLock { items.append(t) } }
    var values: [T] { lock.withLock { items } }

    func wait(timeout: Duration = .seconds(3), count: Int) async throws -> [T] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, values.count < count { try await Task.sleep(for: .milliseconds(10)) }
        return values
    }
}

/// Reads the UDP payloads of a classic little-endian pcap with Ethernet/IPv4 frames
/// (what sip-tester ships).
enum PcapReader {
    static func udpPayloads(path: String) throws -> [[UInt8]] {
        let d = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ i: Int) -> Int { Int(d[i]) | Int(d[i + 1]) << 8 | Int(d[i + 2]) << 16 | Int(d[i + 3]) << 24 }
        guard d.count >= 24, u32(0) == 0xA1B2_C3D4, u32(20) == 1 else { throw CocoaError(.fileReadCorruptFile) }
        var out: [[UInt8]] = []
        var i = 24
        while i + 16 <= d.count {
            let length = u32(i + 8)
            let frame = i + 16
            i = frame + length
            guard i <= d.count, length > 14 + 20 + 8, d[frame + 12] == 0x08, d[frame + 13] == 0x00 else { continue }
            let ip = frame + 14
            let ihl = Int(d[ip] & 0x0F) * 4
            guard d[ip + 9] == 17 else { continue }  // UDP
            let udp = ip + ihl
            let udpLength = Int(d[udp + 4]) << 8 | Int(d[udp + 5])
            out.append(Array(d[udp + 8 ..< min(udp + udpLength, i)]))
        }
        return out
    }
}

/// A 16-bit PCM WAV file image.
func wavBytes(samples: [Int16], rate: Int = 8000, channels: Int = 1, formatTag: Int = 1, bits: Int = 16, data: [UInt8]? = nil) -> [UInt8] {
    let body = data ?? samples.flatMap { s -> [UInt8] in let u = UInt16(bitPattern: s); return [UInt8(u & 0xFF), UInt8(u >> 8)] }
    func le32(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    let blockAlign = channels * bits / 8
    var fmt: [UInt8] = Array("fmt ".utf8) + le32(16) + le16(formatTag) + le16(channels) + le32(rate) + le32(rate * blockAlign) + le16(blockAlign) + le16(bits)
    fmt += Array("LIST".utf8) + le32(3) + [1, 2, 3, 0]  // an odd-sized chunk to skip, with its pad byte
    let dataChunk: [UInt8] = Array("data".utf8) + le32(body.count) + body
    return Array("RIFF".utf8) + le32(4 + fmt.count + dataChunk.count) + Array("WAVE".utf8) + fmt + dataChunk
}

/// A sine tone at `frequency` Hz, 8 kHz.
func tone(frequency: Double = 440, milliseconds: Int, amplitude: Double = 8000) -> [Int16] {
    (0..<(milliseconds * 8)).map { Int16(amplitude * sin(2 * Double.pi * frequency * Double($0) / 8000) + (amplitude / 4)) }
}

func runTool(_ path: String, _ arguments: [String]) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

func rtp(_ envelope: AddressedEnvelope<ByteBuffer>) -> (RTPHeader, [UInt8])? {
    guard let h = try? RTPHeader.parse(envelope.data) else { return nil }
    return (h, Array(h.payload(of: envelope.data).readableBytesView))
}
