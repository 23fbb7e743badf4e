import ArgumentParser
import CallEngine
import Dialplan
import Foundation
import Logging
import ServiceLifecycle
import SIPMessage
import SwitchboardConfig

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
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in KeyValueLogHandler(label: label, level: level) }
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
        let prompts = PromptCache()
        for (path, error) in prompts.preload(table: store.current) {
            logger.error("prompt not loaded", metadata: ["prompt": "\(path)", "error": "\(error)"])
        }
        let reloader = DialplanReloader(store: store, logger: logger, prompts: prompts)
        reloader.install()

        let sip = SIPService(configuration: settings, dialplans: store, prompts: prompts, logger: logger)
        let group = ServiceGroup(
            services: [sip],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        try await group.run()
        if let pidFile = settings.pidFile { try? FileManager.default.removeItem(atPath: pidFile) }
    }
}
