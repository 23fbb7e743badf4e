import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Billing
import CallEngine
import Dialplan
import Media
import Registrar
import SIPEdge
import SIPMessage
import SIPTransaction
import SIPTransport
import SwitchboardConfig

/// The SIP side of the daemon as a `Service`: transport, transaction layer and UAS core on
/// one event loop, started when the group runs and drained on graceful shutdown (SIGTERM).
final class SIPService: Service, @unchecked Sendable {
    let configuration: SwitchboardConfiguration
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// RTP of IVR and queue calls, on its own threads (`media.threads`).
    let mediaGroup: MultiThreadedEventLoopGroup
    let eventLoop: any EventLoop
    let transport: SIPTransport
    let dialplans: DialplanStore
    let legs: JournalLegSink?
    /// Accounts whose paid access ended (billing), refreshed from PostgreSQL on its own thread.
    let access: AccessCache?
    let operations: DaemonOperations
    let prompts: PromptCache
    let mediaPorts: MediaPortPool
    /// Created on the event loop in `run()`; touched only there.
    var layer: TransactionLayer?
    var handler: B2BUA?
    /// What strangers and floods get, before the layer sees them (event loop only).
    var edge: EdgePolicy?
    var edgeMirrors: EdgeCounterMirrors?
    /// Watchdog and status tasks, and the mirrors of the engine's counters (event loop only).
    var repeatedTasks: [RepeatedTask] = []
    var mirrors: EngineCounterMirrors?
    /// The engine's observer for the call-timing histograms (held here: the engine's is weak).
    var callTiming: CallTimingMetrics?
    /// Agents' credentials and bindings (nil without a database); the registrar itself is
    /// made on the event loop (`SIPService+Registrar`).
    let agents: AgentRegistry?
    var registrar: Registrar?
    var registrarMirrors: RegistrarCounterMirrors?

    init(configuration: SwitchboardConfiguration, dialplans: DialplanStore, legs: JournalLegSink?,
         access: AccessCache? = nil, agents: AgentRegistry? = nil, operations: DaemonOperations = .init(),
         prompts: PromptCache, logger: Logger) {
        self.configuration = configuration
        self.agents = agents
        self.operations = operations
        self.dialplans = dialplans
        self.legs = legs
        self.access = access
        self.prompts = prompts
        self.mediaPorts = MediaPortPool(range: configuration.media.ports)
        self.logger = logger
        // One loop holds all protocol state: no locks on the hot path (see design.md
        // "Concurrency"). Sharding by Call-ID comes when benchmarks show the need.
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.eventLoop = group.next()
        self.mediaGroup = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.media.threadCount(cores: System.coreCount))
        let endpoints = configuration.listen.map {
            SIPTransportConfiguration.Endpoint(transport: $0.transport == "tcp" ? .tcp : .udp, host: $0.host, port: $0.port)
        }
        var limits = SIPLimits()
        limits.maxMessageSize = configuration.limits.maxMessageSize
        let transportConfig = SIPTransportConfiguration(
            endpoints: endpoints, limits: limits,
            stallTimeout: .milliseconds(Int64(configuration.limits.tcpStallTimeoutSeconds * 1000)),
            idleTimeout: .milliseconds(Int64(configuration.limits.tcpIdleTimeoutSeconds * 1000)),
            maxConnections: configuration.limits.maxTCPConnections,
            maxConnectionsPerSource: configuration.limits.maxTCPConnectionsPerSource,
            firstRequestTimeout: .milliseconds(Int64(configuration.limits.tcpFirstRequestTimeoutSeconds * 1000)),
            maxOutboundConnections: configuration.limits.maxTCPOutboundConnections)
        self.transport = SIPTransport(configuration: transportConfig, eventLoop: eventLoop, logger: logger)
    }

    func run() async throws {
        try await eventLoop.submit {
            let timers = TransactionTimers(
                t1: .milliseconds(self.configuration.timers.t1),
                t2: .milliseconds(self.configuration.timers.t2),
                t4: .milliseconds(self.configuration.timers.t4))
            let layer = TransactionLayer(
                transport: TransportAdapter(transport: self.transport, metrics: self.operations.metrics),
                clock: EventLoopTransactionClock(eventLoop: self.eventLoop),
                configuration: .init(timers: timers), logger: self.logger)
            let clock = EventLoopTransactionClock(eventLoop: self.eventLoop)
            let engine = CallEngine(layer: layer, clock: clock, configuration: self.engineConfiguration(),
                                    dialplans: self.dialplans, sink: self.legs,
                                    resolver: SIPServerResolver(eventLoop: self.eventLoop,
                                                                 server: self.configuration.dnsServer.map { ($0.host, $0.port) }),
                                    logger: self.logger)
            engine.media = MediaServices(eventLoop: self.eventLoop, sessionLoops: self.mediaGroup,
                                         pool: self.mediaPorts, prompts: self.prompts,
                                         address: self.configuration.media.address,
                                         timeout: .milliseconds(Int64(self.configuration.media.timeoutSeconds * 1000)))
            if let metrics = self.operations.metrics {
                let timing = CallTimingMetrics(registry: metrics.registry)
                self.callTiming = timing
                engine.observer = timing
            }
            if let access = self.access {
                engine.accessPolicy = { access.isBlocked(account: $0) ? AccessCache.blockedReason : nil }
            }
            let configuration = self.configuration
            let handler = B2BUA(layer: layer, engine: engine, isTrusted: { configuration.isTrusted($0) },
                                serverHeader: configuration.serverHeader, logger: self.logger)
            layer.user = handler
            self.layer = layer
            self.handler = handler
            let logger = self.logger, ban = self.configuration.security.banSeconds
            let edge = EdgePolicy(configuration: Self.edgeConfiguration(configuration.security),
                                  isTrusted: { configuration.isTrusted($0) },
                                  isInDialog: { [unowned engine] request, host in engine.isOwnDialog(request, from: host) },
                                  clock: ContinuousEdgeClock())
            // One line per ban (bounded by the ban time per address), never one per packet.
            edge.onBan = { address in
                logger.warning("source banned for flooding", metadata: ["sip.peer.address": "\(address)", "ban.seconds": "\(ban)"])
            }
            self.edge = edge
            self.startRegistrar(engine: engine, handler: handler, edge: edge)
            if let metrics = self.operations.metrics { self.edgeMirrors = EdgeCounterMirrors(metrics.edge) }
            self.startEdgeSummary()
            self.transport.onMessage = { [unowned self, unowned layer] message, peer in
                self.receiveAtEdge(message, from: peer, edge: edge, layer: layer)
            }
            self.transport.answersMalformed = { peer in edge.admitMalformed(from: peer) == .reject }
            self.transport.acceptsSource = { peer in edge.acceptsPacket(from: peer) }
            // A request the transport could not send after all (TCP connect failed) ends its
            // transaction now: the leg fails at once instead of at its ring timeout.
            self.transport.onSendFailure = { [unowned layer] message, peer in
                layer.transportFailed(sending: message, to: peer)
            }
        }.get()
        try await transport.start()
        logger.notice("switchboardd ready", metadata: ["sip.listen": "\(transport.boundEndpoints.map(\.description).joined(separator: ","))"])
        try await eventLoop.submit { self.startOperations() }.get()

        try? await gracefulShutdown()

        logger.notice("shutting down")
        await drain()
        await transport.stop()
        try? await eventLoop.submit {
            self.repeatedTasks.forEach { $0.cancel() }
            self.repeatedTasks = []
            self.layer?.user = nil
            self.handler = nil
            self.edge = nil
            self.registrar = nil
            self.layer = nil
        }.get()
        try await group.shutdownGracefully()
        // After the SIP loop: the drain's session closes have been queued on the media loops.
        try await mediaGroup.shutdownGracefully()
    }

    func engineConfiguration() -> CallEngineConfiguration {
        let first = configuration.listen.first
        let calls = configuration.calls
        let trunks = configuration.trunks.map { t in
            CallEngineConfiguration.Trunk(
                name: t.name, host: t.host, port: t.port, transport: t.transport == "tcp" ? .tcp : .udp,
                prefixes: t.prefixes, stripPlus: t.stripPlus, dialPrefix: t.dialPrefix,
                forwarding: CallEngineConfiguration.Trunk.Forwarding(rawValue: t.forwarding) ?? .diversion)
        }
        var host = configuration.advertisedAddress ?? first?.host ?? "127.0.0.1"
        if host == "0.0.0.0" || host == "::" { host = "127.0.0.1" }
        return CallEngineConfiguration(
            advertisedHost: host, advertisedPort: first?.port ?? 5060,
            defaultTransport: .udp, trunks: trunks,
            maxCallDuration: .milliseconds(Int64(calls.maxDurationSeconds * 1000)),
            maxConcurrentCalls: calls.maxConcurrent, maxCallsPerSecondPerSource: calls.maxPerSecondPerSource,
            maxCallsPerNumber: calls.maxPerNumber, retryAfterSeconds: calls.retryAfterSeconds,
            t1: .milliseconds(configuration.timers.t1), t2: .milliseconds(configuration.timers.t2),
            defaultRegion: configuration.defaultRegion)
    }
}
