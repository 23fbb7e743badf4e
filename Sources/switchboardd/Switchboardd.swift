import ArgumentParser
import Billing
import CallEngine
import Dialplan
import Foundation
import Logging
import ServiceLifecycle
import SIPMessage
import SwitchboardConfig
import SwitchboardDaemon
import SwitchboardOperations

@main
struct Switchboardd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboardd",
        abstract: "Switchboard SIP call-routing daemon.",
        version: SwitchboardVersion.description)

    @Option(name: .long, help: "Configuration file (YAML). Without it the embedded default runs: loopback only, Dialplans/ in the current directory.")
    var config: String?

    func run() async throws {
        let settings: SwitchboardConfiguration
        if let config {
            do {
                settings = try SwitchboardConfiguration.load(path: config)
            } catch {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(78)  // EX_CONFIG
            }
        } else {
            settings = SwitchboardConfiguration()
        }
        LogLevelControl.shared.level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in KeyValueLogHandler(label: label) }
        let logger = Logger(label: "switchboardd")

        // libosip2's parser_init() must run once before any event loop parses (design.md).
        SIPMessageParser.bootstrap(logger: Logger(label: "libosip2"))

        if let pidFile = settings.pidFile {
            try? "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        }
        // Nothing half-loaded ever runs: every dialplan must compile before we listen.
        let (store, loaded) = DialplanStore.load(directory: settings.dialplanDirectory)
        for diagnostic in loaded.diagnostics {
            FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
        }
        guard let store else {
            logger.critical("dialplans have errors; not starting", metadata: ["dialplans": "\(settings.dialplanDirectory)"])
            throw ExitCode(78)
        }
        logger.info("dialplans loaded", metadata: [
            "dialplan.accounts": "\(store.current.accountCount)", "dialplan.numbers": "\(store.current.numberCount)",
        ])
        var legs: JournalLegSink?
        if let journal = settings.journalDirectory {
            do {
                legs = try JournalLegSink(configuration: settings, journalDirectory: journal, logger: Logger(label: "switchboard.legs"))
            } catch {
                logger.critical("cannot open the leg journal; not starting", metadata: ["journal": "\(journal)", "error": "\(error)"])
                throw ExitCode(73)  // EX_CANTCREAT
            }
            legs?.start()
        }
        defer { legs?.stop() }

        var operations = DaemonOperations()
        operations.notifier = SystemdNotifier()
        operations.drainGrace = .milliseconds(Int64(settings.drainGraceSeconds * 1000))
        if settings.metrics != nil { operations.metrics = DaemonMetrics(journal: legs) }
        var access: AccessCache?
        if let database = settings.database {
            access = AccessCache(connectionString: database, refreshInterval: settings.accessRefreshSeconds)
            access?.startInBackground()
        }
        defer { access?.stop() }
        // Agents register and are rung where they are (issue 15): only with a database.
        var agents: AgentRegistry?
        if let database = settings.database, settings.registrar.enabled {
            agents = AgentRegistry(settings: settings, database: database, logger: logger)
            agents?.start()
        }
        defer { agents?.stop() }

        let prompts = PromptCache()
        for (path, error) in prompts.preload(table: store.current) {
            logger.error("prompt not loaded", metadata: ["prompt": "\(path)", "error": "\(error)"])
        }
        let reloader = DialplanReloader(store: store, configPath: config, logger: logger, prompts: prompts)
        reloader.onReloadStart = { [notifier = operations.notifier] in
            notifier?.send(["RELOADING=1", "MONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())"])
        }
        reloader.onReloadEnd = { [operations] outcome in
            operations.reloads.last = outcome
            operations.metrics?.reloaded(outcome)
            // READY=1 either way: a refused reload leaves the old state serving.
            let status = outcome.succeeded ? "Ready: reloaded (\(outcome.summary))" : "Ready; \(outcome.summary)"
            operations.notifier?.send(["READY=1", SystemdNotifier.status(status)])
        }
        reloader.install()

        let sip = SIPService(configuration: settings, dialplans: store, legs: legs, access: access, agents: agents, operations: operations, prompts: prompts, logger: logger)
        reloader.prepareTLS = { [sip] tls in try sip.prepareTLSReload(tls) }
        var services: [any Service] = []
        // The metrics server comes first so the group stops it last: it answers during a drain.
        if let endpoint = settings.metrics, let metrics = operations.metrics {
            let access = AdminAccess(token: settings.adminToken, listensOnLoopback: endpoint.isLoopback)
            services.append(AdminServer(host: endpoint.host, port: endpoint.port, metrics: metrics, access: access,
                                        logger: logger, refresh: { sip.refreshMetrics() },
                                        queues: { sip.queueDocument(revealCallers: $0) },
                                        bans: BanControl(list: { sip.banDocument() }, lift: { sip.liftBan($0) })))
        }
        services.append(sip)
        let group = ServiceGroup(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        try await group.run()
        if let pidFile = settings.pidFile { try? FileManager.default.removeItem(atPath: pidFile) }
    }
}
