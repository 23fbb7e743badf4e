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
import SwitchboardOperations

/// The SIP side of the daemon as a `Service`: `sip.threads` event loops ("shards"), each with
/// its transport, transaction layer and UAS core, started when the group runs and drained on
/// graceful shutdown (SIGTERM).
///
/// A call lives on the shard its Call-ID names (`CallIDSharding`): every loop's transport
/// peeks the Call-ID of what it receives and hands the bytes to the owner, which parses and
/// runs them; each shard sends from its own socket bound to the same address (SO_REUSEPORT).
/// Shared between shards, without a lock on the hot path: the dialplan table (an atomic
/// reference), admission limits (`Admission`: atomics and striped locks), metrics (atomics;
/// the engines' counters summed at scrape). The edge policy is one, behind a short lock
/// (`SharedEdge`). Queue calls live on shard 0 (`SIPService+QueueHome`). With one thread this
/// is the single-loop daemon of before.
public final class SIPService: Service, @unchecked Sendable {
    let configuration: SwitchboardConfiguration
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// RTP of IVR and queue calls, on its own threads (`media.threads`).
    let mediaGroup: MultiThreadedEventLoopGroup
    let shards: [SIPShard]
    let dialplans: DialplanStore
    let legs: JournalLegSink?
    /// Accounts whose paid access ended (billing), refreshed from PostgreSQL on its own thread.
    let access: AccessCache?
    let operations: DaemonOperations
    let prompts: PromptCache
    let mediaPorts: MediaPortPool
    /// The node's admission limits, shared by every shard's engine.
    let admission: Admission
    /// What strangers and floods get, before a layer sees them (every shard, one lock).
    let edge: SharedEdge
    /// The first shard's loop: the watchdog, the status line, the metric mirrors live here.
    var eventLoop: any EventLoop { shards[0].eventLoop }
    /// Watchdog and status tasks (on `eventLoop`).
    var repeatedTasks: [RepeatedTask] = []
    /// Mirrors of the engines' and the edge's counters (on `eventLoop`).
    var mirrors: EngineCounterMirrors?
    var edgeMirrors: EdgeCounterMirrors?
    var shardCalls: [CounterMirror] = []
    /// Agents' credentials and bindings (nil without a database). The registrar itself lives
    /// on the first shard (`SIPService+Registrar`): every REGISTER is handed there.
    let agents: AgentRegistry?
    var registrar: Registrar?
    var registrarMirrors: RegistrarCounterMirrors?

    public init(configuration: SwitchboardConfiguration, dialplans: DialplanStore, legs: JournalLegSink?,
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
        let threads = configuration.sip.threadCount(cores: System.coreCount)
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.mediaGroup = MultiThreadedEventLoopGroup(
            numberOfThreads: configuration.media.threadCount(cores: System.coreCount))
        let endpoints = configuration.listen.map {
            SIPTransportConfiguration.Endpoint(transport: SIPTransportProtocol(rawValue: $0.transport.uppercased()) ?? .udp,
                                               host: $0.host, port: $0.port)
        }
        var limits = SIPLimits()
        limits.maxMessageSize = configuration.limits.maxMessageSize
        // TCP listeners are the first loop's only (see `run()`), so the inbound caps hold for
        // the node as before; the outbound cap is split over the loops (each opens its own).
        func share(_ n: Int) -> Int { max(1, (n + threads - 1) / threads) }
        var transportConfig = SIPTransportConfiguration(
            endpoints: endpoints, limits: limits,
            stallTimeout: .milliseconds(Int64(configuration.limits.tcpStallTimeoutSeconds * 1000)),
            idleTimeout: .milliseconds(Int64(configuration.limits.tcpIdleTimeoutSeconds * 1000)),
            maxConnections: configuration.limits.maxTCPConnections,
            maxConnectionsPerSource: configuration.limits.maxTCPConnectionsPerSource,
            firstRequestTimeout: .milliseconds(Int64(configuration.limits.tcpFirstRequestTimeoutSeconds * 1000)),
            maxOutboundConnections: share(configuration.limits.maxTCPOutboundConnections))
        transportConfig.reusePort = threads > 1
        transportConfig.tls = configuration.tls.map(Self.tlsSettings)
        for trunk in configuration.trunks where trunk.transport == "tls" {
            if let name = trunk.tlsServerName { transportConfig.tlsServerNames[SIPPeer(transport: .tls, host: trunk.host, port: trunk.port)] = name }
        }
        transportConfig.webSocketOrigins = WebSocketOriginPolicy(allowed: configuration.webSocket.allowedOrigins,
                                                                 allowMissing: configuration.webSocket.allowMissingOrigin)
        var shards: [SIPShard] = []
        for (index, loop) in group.makeIterator().enumerated() {
            var shardLogger = logger
            if threads > 1 { shardLogger[metadataKey: "sip.shard"] = "\(index)" }
            let transport = SIPTransport(configuration: transportConfig, eventLoop: loop, logger: shardLogger)
            shards.append(SIPShard(index: index, eventLoop: loop, transport: transport, logger: shardLogger))
        }
        self.shards = shards
        let calls = configuration.calls
        self.admission = Admission(maxCalls: calls.maxConcurrent, maxPerNumber: calls.maxPerNumber,
                                   ratePerSource: calls.maxPerSecondPerSource)
        let ban = configuration.security.banSeconds
        let policy = EdgePolicy(configuration: Self.edgeConfiguration(configuration.security),
                                isTrusted: { configuration.isTrusted($0) },
                                // Asked on the loop that owns the request's call: its engine.
                                isInDialog: { request, host in
                                    shards.first { $0.eventLoop.inEventLoop }?.engine?.isOwnDialog(request, from: host) ?? false
                                },
                                clock: ContinuousEdgeClock())
        // One line per ban (bounded by the ban time per address), never one per packet.
        policy.onBan = { address in
            logger.warning("source banned for flooding", metadata: ["sip.peer.address": "\(address)", "ban.seconds": "\(ban)"])
        }
        // Agents register from anywhere (issue 15): their REGISTERs pass the edge, still
        // counted by its flood buckets.
        if let agents { policy.admitsRegister = { [unowned agents] request in agents.admits(request) } }
        // ...and so do their INVITEs (issue 15 item 4): challenged statelessly with 407
        // (`agentInviteStatelessAnswer`), still counted by the flood and new-call buckets.
        if agents != nil { policy.admitsAgentInvite = { _ in true } }
        self.edge = SharedEdge(policy)
    }

    public func run() async throws {
        let owner: (@Sendable ([UInt8]) -> SIPTransport?)?
        if shards.count > 1 {
            let transports = shards.map(\.transport), count = shards.count
            owner = { bytes in
                guard let callID = CallIDSharding.peekCallID(bytes) else { return nil }
                return transports[CallIDSharding.shard(ofCallID: callID, count: count)]
            }
        } else {
            owner = nil
        }
        for shard in shards {
            try await shard.eventLoop.submit { self.setUp(shard, owner: owner) }.get()
        }
        // The first shard binds the configured addresses; the others the UDP ones it got (a
        // configured port 0 is the kernel's choice). Every loop reads and sends UDP on its own
        // socket; TCP is accepted on the first loop only, so the inbound connection caps stay
        // exact, and its messages are handed to their loops like datagrams (those answer over
        // the connection). TCP is not where the load is.
        try await shards[0].transport.start()
        let bound = shards[0].transport.boundEndpoints
        for shard in shards.dropFirst() { try await shard.transport.start(binding: bound.filter { $0.transport == .udp }) }
        logger.notice("switchboardd ready", metadata: [
            "sip.listen": "\(bound.map(\.description).joined(separator: ","))", "sip.threads": "\(shards.count)"])
        let readyStatus = try await statusLine().get()
        try await eventLoop.submit { self.startOperations(readyStatus: readyStatus) }.get()

        try? await gracefulShutdown()

        logger.notice("shutting down")
        await drain()
        for shard in shards { await shard.transport.stop() }
        try? await eventLoop.submit {
            self.repeatedTasks.forEach { $0.cancel() }
            self.repeatedTasks = []
            self.registrar = nil
        }.get()
        for shard in shards {
            try? await shard.eventLoop.submit {
                shard.layer?.user = nil
                shard.handler = nil
                shard.layer = nil
            }.get()
        }
        try await group.shutdownGracefully()
        // After the SIP loops: the drain's session closes have been queued on the media loops.
        try await mediaGroup.shutdownGracefully()
    }

    /// Builds one shard's layer, engine and handlers (on its loop).
    private func setUp(_ shard: SIPShard, owner: (@Sendable ([UInt8]) -> SIPTransport?)?) {
        let loop = shard.eventLoop
        let timers = TransactionTimers(
            t1: .milliseconds(configuration.timers.t1),
            t2: .milliseconds(configuration.timers.t2),
            t4: .milliseconds(configuration.timers.t4))
        let layer = TransactionLayer(
            transport: TransportAdapter(transport: shard.transport, metrics: operations.metrics),
            clock: EventLoopTransactionClock(eventLoop: loop),
            configuration: .init(timers: timers), logger: shard.logger)
        var engineConfiguration = self.engineConfiguration()
        engineConfiguration.callIDPrefix = CallIDSharding.prefix(shard: shard.index, of: shards.count)
        let engine = CallEngine(layer: layer, clock: EventLoopTransactionClock(eventLoop: loop),
                                configuration: engineConfiguration,
                                dialplans: dialplans, sink: legs,
                                resolver: SIPServerResolver(eventLoop: loop,
                                                             server: configuration.dnsServer.map { ($0.host, $0.port) }),
                                logger: shard.logger, admission: admission)
        engine.media = MediaServices(eventLoop: loop, sessionLoops: mediaGroup,
                                     pool: mediaPorts, prompts: prompts,
                                     address: configuration.media.address,
                                     timeout: .milliseconds(Int64(configuration.media.timeoutSeconds * 1000)))
        if let metrics = operations.metrics {
            let timing = CallTimingMetrics(registry: metrics.registry)
            shard.callTiming = timing
            engine.observer = timing
        }
        if let access {
            engine.accessPolicy = { access.isBlocked(account: $0) ? AccessCache.blockedReason : nil }
            engine.spendPolicy = { account, limit in access.spendRefusal(account: account, limit: limit) }
        }
        let configuration = self.configuration
        let handler = B2BUA(layer: layer, engine: engine, isTrusted: { configuration.isTrusted($0) },
                            serverHeader: configuration.serverHeader, logger: shard.logger)
        layer.user = handler
        shard.layer = layer
        shard.handler = handler
        startRegistrar(on: shard, engine: engine, handler: handler)
        let edge = self.edge
        shard.transport.owner = owner
        shard.transport.onMessage = { [unowned self, unowned shard] message, peer in
            self.receive(message, from: peer, on: shard)
        }
        shard.transport.answersMalformed = { peer in edge.admitMalformed(from: peer) == .reject }
        shard.transport.acceptsSource = { peer in edge.acceptsPacket(from: peer) }
        // A request the transport could not send after all (TCP connect failed) ends its
        // transaction now: the leg fails at once instead of at its ring timeout.
        shard.transport.onSendFailure = { [unowned layer] message, peer in
            layer.transportFailed(sending: message, to: peer)
        }
    }

    static func tlsSettings(_ tls: SwitchboardConfiguration.TLS) -> SIPTLSSettings {
        SIPTLSSettings(certificateFile: tls.certificateFile, privateKeyFile: tls.privateKeyFile,
                       clientCAFile: tls.clientCAFile, verifyClients: tls.verifyClients, trustedCAFile: tls.trustedCAFile)
    }

    /// SIGHUP, first phase: reads and checks the new certificate, key and CAs (throws on any
    /// problem, and nothing changes); the returned closure serves them on every SIP loop.
    public func prepareTLSReload(_ tls: SwitchboardConfiguration.TLS) throws -> @Sendable () -> Void {
        let contexts = try SIPTransport.makeTLSContexts(Self.tlsSettings(tls))
        let transports = shards.map(\.transport)
        let logger = self.logger
        return {
            for transport in transports { transport.installTLS(contexts: contexts) }
            logger.notice("TLS certificate reloaded: new connections get it", metadata: ["tls.certificate": "\(tls.certificateFile)"])
        }
    }

    func engineConfiguration() -> CallEngineConfiguration {
        let first = configuration.listen.first
        let calls = configuration.calls
        let trunks = configuration.trunks.map { t in
            CallEngineConfiguration.Trunk(
                name: t.name, host: t.host, port: t.port, transport: SIPTransportProtocol(rawValue: t.transport.uppercased()) ?? .udp,
                prefixes: t.prefixes, stripPlus: t.stripPlus, dialPrefix: t.dialPrefix,
                forwarding: CallEngineConfiguration.Trunk.Forwarding(rawValue: t.forwarding) ?? .diversion)
        }
        var host = configuration.advertisedAddress ?? first?.host ?? "127.0.0.1"
        if host == "0.0.0.0" || host == "::" { host = "127.0.0.1" }
        // Each transport's first listener names us in Via and Contact on that transport.
        var ports: [SIPTransportProtocol: Int] = [:]
        for listen in configuration.listen {
            if let transport = SIPTransportProtocol(rawValue: listen.transport.uppercased()), ports[transport] == nil {
                ports[transport] = listen.port
            }
        }
        var engine = CallEngineConfiguration(
            advertisedHost: host, advertisedPort: first?.port ?? 5060,
            defaultTransport: .udp, trunks: trunks,
            maxCallDuration: .milliseconds(Int64(calls.maxDurationSeconds * 1000)),
            maxConcurrentCalls: calls.maxConcurrent, maxCallsPerSecondPerSource: calls.maxPerSecondPerSource,
            maxCallsPerNumber: calls.maxPerNumber, retryAfterSeconds: calls.retryAfterSeconds,
            t1: .milliseconds(configuration.timers.t1), t2: .milliseconds(configuration.timers.t2),
            defaultRegion: configuration.defaultRegion)
        engine.advertisedPorts = ports
        return engine
    }

    /// Runs `body` on every shard's loop; the results, in shard order, on the first loop.
    func onEveryShard<T: Sendable>(_ body: @escaping @Sendable (SIPShard) -> T) -> EventLoopFuture<[T]> {
        EventLoopFuture.whenAllSucceed(shards.map { shard in shard.eventLoop.submit { body(shard) } }, on: eventLoop)
    }
}
