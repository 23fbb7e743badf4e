import ArgumentParser
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
        let sip = SIPService(configuration: settings, logger: logger)
        let group = ServiceGroup(
            services: [sip],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        try await group.run()
        if let pidFile = settings.pidFile { try? FileManager.default.removeItem(atPath: pidFile) }
    }
}
