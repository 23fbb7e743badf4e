import ArgumentParser
import Dialplan
import Dispatch
import Foundation
import Logging
import Tracking
import TrackingWeb

/// `switchboard web --config /etc/switchboard/web.yaml`: the call-tracking web service
/// (dynamic number insertion for website pools, issue 16). Its own process and systemd unit
/// (`switchboard-web.service`); `--check` loads the file and the dialplans and exits, like
/// `switchboard check`.
struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Serve website number pools: sessions, leases and the DNI snippet (docs/tracking.md).")

    @Option(help: "The web service's configuration file.")
    var config: String = "/etc/switchboard/web.yaml"

    @Flag(help: "Check the configuration and the dialplans' pools, print problems, and exit.")
    var check = false

    func run() throws {
        let loaded = WebConfiguration.load(path: config)
        for diagnostic in loaded.diagnostics { printError(diagnostic.description) }
        guard let configuration = loaded.configuration, let directory = configuration.dialplans else {
            throw ExitCode(1)
        }
        let dialplans = DialplanLoader.load(directory: directory)
        for diagnostic in dialplans.diagnostics { printError(diagnostic.description) }
        guard let table = dialplans.table else { throw ExitCode(1) }
        let pools = PoolDirectory(table: table)
        var problems = 0
        for name in configuration.accounts.keys.sorted() where table.accounts[name] == nil {
            printError("\(config): error: account '\(name)' has no dialplan file in \(directory)")
            problems += 1
        }
        if problems > 0 { throw ExitCode(1) }
        if check {
            let numbers = pools.all.reduce(0) { $0 + $1.numbers.count }
            let hooks = configuration.accounts.values.filter { $0.webhooks != nil }.count
            print("web configuration ok: \(configuration.accounts.count) accounts, \(pools.all.count) pools, \(numbers) pool numbers, \(hooks) with webhooks")
            return
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let server = TrackingWebServer(configuration: configuration, pools: pools)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await server.run() } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let failure {
            printError("switchboard web: \(failure)")
            throw ExitCode(1)
        }
    }
}
