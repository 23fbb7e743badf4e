import Foundation
import Logging
import NIOCore
import NIOPosix
import SIPMessage

/// One RTP stream endpoint (RFC 3550) on a UDP port pair from a `MediaPortPool`, living on
/// one NIO event loop: it plays prompts (or silence) every packetisation interval, receives
/// RFC 4733 DTMF, latches onto the far end's real address (symmetric RTP, RFC 4961), sends
/// minimal RTCP, and can be bridged to another session by an `RTPRelay`.
///
/// Concurrency: all state is confined to `eventLoop` (design.md: no locks on the hot path).
/// Public methods may be called from anywhere; off the loop they hop onto it. Callbacks run
/// on the loop.
public final class RTPSession: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Local address to bind (the address written in our SDP is the engine's business).
        public var bindAddress: String = "0.0.0.0"
        public var law: G711.Law = .ulaw
        public var payloadType: UInt8 = 0
        public var telephoneEventPayloadType: UInt8? = 101
        /// Packetisation interval in ms; packets carry 8 × ptime samples.
        public var ptime: Int = 20
        /// Where to send before the far end's first packet (from its SDP). Nil: wait for it.
        public var remote: SocketAddress?
        /// Our direction: recvonly/inactive (held) sends nothing (RFC 3264 §5.1).
        public var direction: MediaDirection = .sendrecv
        /// Send to the source address of the first packet received (RFC 4961), which is where
        /// a NATed phone really is, instead of its SDP address.
        public var symmetricRTP = true
        /// Once latched, drop packets from any other source address (so a stranger cannot
        /// inject audio or DTMF into the call). A re-INVITE (`update(remote:direction:)`)
        /// unlatches.
        public var strictSource = true
        /// RTCP report interval (RFC 3550 §6.2: 5 s minimum, randomised ×0.5…1.5).
        public var rtcpInterval: TimeAmount = .seconds(5)
        /// No packet from the far end for this long → `onMediaTimeout`. Nil disables.
        public var mediaTimeout: TimeAmount?
        /// A tick later than this counts as late in `Statistics` (the benchmark's criterion).
        public var lateThreshold: TimeAmount = .milliseconds(5)

        public init() {}

        /// From an offer/answer result; `remote` is resolved from the numeric SDP address.
        public init(negotiated: NegotiatedMedia, bindAddress: String = "0.0.0.0") {
            self.bindAddress = bindAddress
            law = negotiated.law
            payloadType = negotiated.payloadType
            telephoneEventPayloadType = negotiated.telephoneEventPayloadType
            ptime = negotiated.ptime
            direction = negotiated.direction
            // Port 0 (stream disabled) or c=0.0.0.0 (RFC 3264 §8.4 hold): nowhere to send until
            // the far end's packets tell us (sending to 0.0.0.0 would reach our own host).
            let unspecified = negotiated.remoteAddress == "0.0.0.0" || negotiated.remoteAddress == "::"
            remote = negotiated.remotePort == 0 || unspecified
                ? nil : try? SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort)
        }
    }

    public struct Statistics: Hashable, Sendable {
        public var packetsSent: UInt64 = 0
        public var payloadOctetsSent: UInt64 = 0
        public var packetsReceived: UInt64 = 0
        public var invalidPacketsReceived: UInt64 = 0
        /// Dropped because they came from another address than the latched one.
        public var packetsFromOtherSources: UInt64 = 0
        /// Packets received from the far end and forwarded to the relay peer.
        public var packetsRelayed: UInt64 = 0
        public var rtcpSent: UInt64 = 0
        /// Clock ticks, ticks later than `lateThreshold`, and the worst lateness seen.
        public var ticks: UInt64 = 0
        public var lateTicks: UInt64 = 0
        public var maxLatenessNanoseconds: Int64 = 0
        public init() {}
    }

    public enum SessionError: Error, Hashable, Sendable {
        case cannotBind(String)
        case closed
    }

    public let eventLoop: any EventLoop
    public let localPort: Int
    public let ssrc: UInt32
    public let configuration: Configuration
    let pool: MediaPortPool?
    let logger: Logger

    // MARK: Loop-confined state
    var rtpChannel: (any Channel)?
    var rtcpChannel: (any Channel)?
    var remote: SocketAddress?
    var rtcpRemote: SocketAddress?
    var latched = false
    var direction: MediaDirection
    var running = false
    var closed = false

    /// RFC 3550 §5.1: random initial sequence number and timestamp.
    var sequence: UInt16
    /// Timestamp of the next packet time; advances by `samplesPerPacket` every tick whether or
    /// not we send, because it is the sampling clock (§5.1).
    var timestamp: UInt32
    var pendingMarker = true
    let samplesPerPacket: Int
    let period: TimeAmount

    var clockStart = NIODeadline.now()
    var tickIndex: Int64 = 0
    var nextDeadline = NIODeadline.now()
    /// The millisecond `MediaClock` holds this session for.
    var clockDue: Int64 = 0
    var nextRTCP = NIODeadline.now()

    var outBuffer: ByteBuffer
    var rtcpBuffer: ByteBuffer

    var playback = Playback()
    var dtmfQueue: [(event: UInt8, samples: Int, volume: UInt8)] = []
    var dtmfOut: (event: UInt8, volume: UInt8, start: UInt32, target: Int, elapsed: Int, ends: Int)?
    var dtmfReceiver = DTMFReceiver()
    var onDTMF: (@Sendable (DTMFDigit) -> Void)?

    var mediaTimeout: TimeAmount?
    var onMediaTimeout: (@Sendable () -> Void)?
    var lastReceived = NIODeadline.now()
    var timedOut = false

    /// Relay: packets from our far end go to `relayPeer`; `relayIn` maps the peer's stream onto ours.
    var relayPeer: RTPSession?
    var relayIn = StreamRewriter()

    var stats = Statistics()

    init(eventLoop: any EventLoop, port: Int, pool: MediaPortPool?, configuration: Configuration, logger: Logger) {
        self.eventLoop = eventLoop
        self.localPort = port
        self.pool = pool
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "rtp.port"] = "\(port)"
        self.logger = logger
        self.ssrc = UInt32.random(in: 1...UInt32.max)
        self.sequence = UInt16.random(in: 0...UInt16.max)
        self.timestamp = UInt32.random(in: 0...UInt32.max)
        self.remote = configuration.remote
        self.direction = configuration.direction
        self.mediaTimeout = configuration.mediaTimeout
        self.samplesPerPacket = 8 * configuration.ptime
        self.period = .milliseconds(Int64(configuration.ptime))
        let allocator = ByteBufferAllocator()
        self.outBuffer = allocator.buffer(capacity: 12 + 8 * configuration.ptime + 64)
        self.rtcpBuffer = allocator.buffer(capacity: 128)
    }

    // MARK: Life cycle

    /// Allocates a port pair from `pool`, binds RTP and RTCP on `eventLoop` and starts the
    /// packet clock. Ports another process holds are skipped (up to 16 tries).
    public static func start(on eventLoop: any EventLoop, pool: MediaPortPool, configuration: Configuration = .init(),
                             logger: Logger = Logger(label: "switchboard.media")) -> EventLoopFuture<RTPSession> {
        @Sendable func attempt(_ remaining: Int) -> EventLoopFuture<RTPSession> {
            let port: Int
            do { port = try pool.allocate() } catch { return eventLoop.makeFailedFuture(error) }
            let session = RTPSession(eventLoop: eventLoop, port: port, pool: pool, configuration: configuration, logger: logger)
            return session.bind().flatMapError { error in
                pool.release(port)
                guard remaining > 1, !(error is MediaPortPool.Error) else {
                    return eventLoop.makeFailedFuture(SessionError.cannotBind("\(configuration.bindAddress):\(port): \(error)"))
                }
                return attempt(remaining - 1)
            }
        }
        return attempt(16)
    }

    public static func start(on eventLoop: any EventLoop, pool: MediaPortPool, configuration: Configuration = .init(),
                             logger: Logger = Logger(label: "switchboard.media")) async throws -> RTPSession {
        try await start(on: eventLoop, pool: pool, configuration: configuration, logger: logger).get()
    }

    func bind() -> EventLoopFuture<RTPSession> {
        let host = configuration.bindAddress
        let rtp = DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_reuseaddr), value: 0)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RTPInboundHandler(session: self, isRTCP: false))
                }
            }
            .bind(host: host, port: localPort)
        return rtp.flatMap { rtpChannel in
            DatagramBootstrap(group: self.eventLoop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RTPInboundHandler(session: self, isRTCP: true))
                    }
                }
                .bind(host: host, port: self.localPort + 1)
                .flatMapError { error in rtpChannel.close().flatMapThrowing { throw error } }
                .map { rtcpChannel in
                    self.rtpChannel = rtpChannel
                    self.rtcpChannel = rtcpChannel
                    self.startClock()
                    return self
                }
        }
    }

    func startClock() {
        running = true
        // On a whole millisecond, so every deadline (start + n × ptime) falls on one of the
        // shared clock's slots exactly.
        clockStart = MediaClock.alignedStart(after: .now())
        lastReceived = clockStart
        tickIndex = 0
        nextDeadline = clockStart
        nextRTCP = clockStart + jitteredRTCPInterval()
        MediaClock.on(eventLoop).add(self, at: nextDeadline)
    }

    /// Ends the session: RTCP BYE (RFC 3550 §6.6), channels closed, port returned to the pool,
    /// a playing prompt completes with `.stopped`, a relay involving it stops.
    @discardableResult
    public func close() -> EventLoopFuture<Void> {
        onLoop { () -> EventLoopFuture<Void> in
            guard !self.closed else { return self.eventLoop.makeSucceededVoidFuture() }
            self.closed = true
            self.running = false  // the shared clock drops us at our next slot
            self.sendRTCP(bye: true)
            self.playback.stop()?(.stopped)
            if let peer = self.relayPeer {
                self.relayPeer = nil
                peer.detachRelay()
            }
            if let digit = self.dtmfReceiver.flush() { self.onDTMF?(digit) }
            self.onDTMF = nil
            self.onMediaTimeout = nil
            let channels = [self.rtpChannel, self.rtcpChannel].compactMap { $0 }
            let pool = self.pool, port = self.localPort
            return EventLoopFuture.andAllComplete(channels.map { $0.close() }, on: self.eventLoop)
                .always { _ in pool?.release(port) }
        }
    }

    // MARK: Public controls

    /// Plays `prompt` (replacing whatever played: its completion gets `.replaced`). `loop`
    /// repeats it until stopped (hold music); otherwise `completion(.finished)` runs after its
    /// last packet went out.
    public func play(_ prompt: Prompt, loop: Bool = false, completion: (@Sendable (PlaybackResult) -> Void)? = nil) {
        onLoop {
            guard !self.closed else { completion?(.stopped); return }
            self.playback.start(prompt, loop: loop, completion: completion)?(.replaced)
        }
    }

    /// Stops the prompt (completion `.stopped`); the stream continues with silence.
    public func stopPlayback() {
        onLoop { self.playback.stop()?(.stopped) }
    }

    /// Queues an RFC 4733 event (e.g. a digit to an agent). Audio pauses while it is sent.
    public func sendDTMF(_ digit: DTMFDigit, duration: TimeAmount = .milliseconds(100), volume: UInt8 = 10) {
        onLoop {
            guard self.configuration.telephoneEventPayloadType != nil else {
                self.logger.debug("DTMF not sent: telephone-event not negotiated")
                return
            }
            let samples = max(self.samplesPerPacket, Int(duration.nanoseconds / 125_000))  // 8 kHz
            self.dtmfQueue.append((digit.event, min(samples, 0xFFFF), volume))
        }
    }

    /// Key presses received as RFC 4733 events, each reported once.
    public func onDTMF(_ handler: (@Sendable (DTMFDigit) -> Void)?) {
        onLoop { self.onDTMF = handler }
    }

    /// Calls `handler` once when nothing arrived from the far end for `timeout` (re-armed when
    /// packets flow again). Nil disables. Disable it while the far end holds the call.
    public func setMediaTimeout(_ timeout: TimeAmount?, handler: (@Sendable () -> Void)?) {
        onLoop {
            self.mediaTimeout = timeout
            self.onMediaTimeout = handler
            self.timedOut = false
            self.lastReceived = .now()
        }
    }

    /// After a re-INVITE: new far-end address and direction; symmetric RTP latches anew.
    public func update(remote: SocketAddress?, direction: MediaDirection) {
        onLoop {
            self.remote = remote
            self.rtcpRemote = nil
            self.latched = false
            self.direction = direction
        }
    }

    /// Counters so far; `resettingClock` starts a new measurement window for the tick
    /// lateness figures (ticks, lateTicks, maxLateness) — what the benchmark does per step.
    public func statistics(resettingClock: Bool = false) -> EventLoopFuture<Statistics> {
        onLoop {
            let s = self.stats
            if resettingClock {
                self.stats.ticks = 0
                self.stats.lateTicks = 0
                self.stats.maxLatenessNanoseconds = 0
            }
            return self.eventLoop.makeSucceededFuture(s)
        }
    }

    // MARK: Packet clock

    /// One packetisation interval, run by this loop's `MediaClock`; returns when the next is
    /// due (nil: stopped). Deadlines are absolute (start + n × ptime) rather than "ptime after
    /// the previous run" (what scheduleRepeatedTask does), so timing errors do not accumulate
    /// and timestamps keep tracking the wall clock.
    func tick() -> NIODeadline? {
        guard running else { return nil }
        let now = NIODeadline.now()
        let late = (now - nextDeadline).nanoseconds
        stats.ticks &+= 1
        if late > configuration.lateThreshold.nanoseconds { stats.lateTicks &+= 1 }
        if late > stats.maxLatenessNanoseconds { stats.maxLatenessNanoseconds = late }
        if late > 3 * period.nanoseconds {
            // The loop stalled: skip the packet times we missed rather than bursting them;
            // the receiver sees a gap in timestamps (RFC 3550 §5.1), i.e. loss.
            let missed = late / period.nanoseconds
            tickIndex += missed
            timestamp &+= UInt32(truncatingIfNeeded: missed * Int64(samplesPerPacket))
        }

        sendMedia()
        timestamp &+= UInt32(samplesPerPacket)

        if let mediaTimeout, !timedOut, now - lastReceived >= mediaTimeout {
            timedOut = true
            logger.info("media timeout", metadata: ["rtp.silent_for": "\(mediaTimeout)"])
            onMediaTimeout?()
        }
        if now >= nextRTCP {
            sendRTCP(bye: false)
            nextRTCP = now + jitteredRTCPInterval()
        }
        guard running else { return nil }  // a callback may have closed us
        tickIndex += 1
        nextDeadline = clockStart + .nanoseconds(period.nanoseconds * tickIndex)
        return nextDeadline
    }

    func sendMedia() {
        guard direction.sends, let remote, let channel = rtpChannel else { return }
        if dtmfOut == nil, !dtmfQueue.isEmpty {
            let next = dtmfQueue.removeFirst()
            dtmfOut = (next.event, next.volume, timestamp, next.samples, 0, 0)
        }
        if var event = dtmfOut, let pt = configuration.telephoneEventPayloadType {
            // RFC 4733 §2.5.1: every packet of an event carries the event's start timestamp and
            // the duration so far; the first has the marker; the final one (E bit) is sent
            // three times (§2.5.1.4), with fresh sequence numbers.
            let first = event.elapsed == 0
            if event.elapsed < event.target { event.elapsed = min(event.elapsed + samplesPerPacket, event.target) }
            let end = event.elapsed >= event.target
            if end { event.ends += 1 }
            outBuffer.clear()
            RTPHeader(marker: first, payloadType: pt, sequenceNumber: sequence, timestamp: event.start, ssrc: ssrc).write(to: &outBuffer)
            TelephoneEvent(event: event.event, end: end, volume: event.volume, duration: UInt16(event.elapsed)).write(to: &outBuffer)
            dtmfOut = event.ends >= 3 ? nil : event
            if dtmfOut == nil { pendingMarker = true }
            transmit(channel, remote, payloadBytes: TelephoneEvent.size)
            return
        }
        guard relayPeer == nil else { return }  // bridged: the peer's packets are our stream
        let marker = pendingMarker || playback.beginsTalkspurt
        pendingMarker = false
        outBuffer.clear()
        RTPHeader(marker: marker, payloadType: configuration.payloadType, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc)
            .write(to: &outBuffer)
        let finished = playback.fill(&outBuffer, count: samplesPerPacket, law: configuration.law)
        transmit(channel, remote, payloadBytes: samplesPerPacket)
        finished?(.finished)
    }

    @inline(__always)
    func transmit(_ channel: any Channel, _ remote: SocketAddress, payloadBytes: Int) {
        sequence &+= 1
        // Our own packet (DTMF) inside a relayed stream takes a number: shift the mapping.
        if relayPeer != nil { relayIn.shiftSequence() }
        stats.packetsSent &+= 1
        stats.payloadOctetsSent &+= UInt64(payloadBytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: outBuffer), promise: nil)
    }

    // MARK: Loop confinement

    func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return body() }
        return eventLoop.flatSubmit(body)
    }

}
