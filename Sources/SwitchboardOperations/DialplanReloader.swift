import Dialplan
import Dispatch
import Foundation
import Logging
import SwitchboardConfig
import CallEngine

/// SIGHUP re-reads the configuration file (for the settings that can change without a
/// restart: the log level) and recompiles every dialplan off the event loops; it swaps in
/// the new state only when all of it is valid (design.md "Dialplans"). Errors are logged
/// with their positions and the running state stays in force.
public final class DialplanReloader: @unchecked Sendable {
    /// What one reload did, for `STATUS=`, metrics and logs.
    public struct Outcome: Sendable {
        public var succeeded: Bool
        /// One line: "12 accounts, 40 numbers" or "2 errors in dialplans (…)".
        public var summary: String
        public var time: Date

        public init(succeeded: Bool, summary: String, time: Date) {
            self.succeeded = succeeded
            self.summary = summary
            self.time = time
        }
    }

    public let store: DialplanStore
    public let configPath: String?
    public let logger: Logger
    /// Called on the reload queue before anything is read (systemd: RELOADING=1).
    public var onReloadStart: (@Sendable () -> Void)?
    /// Called on the reload queue when the reload is over, applied or refused (READY=1).
    public var onReloadEnd: (@Sendable (Outcome) -> Void)?
    /// The TLS certificate's reload, in two phases: read and check (throws, and the whole
    /// reload is refused), then serve it once the dialplans compiled too. Set by the daemon.
    public var prepareTLS: (@Sendable (SwitchboardConfiguration.TLS) throws -> @Sendable () -> Void)?
    private var source: (any DispatchSourceSignal)?
    private let queue = DispatchQueue(label: "switchboard.dialplan-reload")

    /// Prompts of the new plans are read here, off the event loops, after a successful swap.
    public let prompts: PromptCache?

    public init(store: DialplanStore, configPath: String?, logger: Logger, prompts: PromptCache? = nil) {
        self.store = store
        self.configPath = configPath
        self.logger = logger
        self.prompts = prompts
    }

    public func install() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        source.setEventHandler { [self] in _ = reload() }
        source.resume()
        self.source = source
    }

    /// Runs one reload on the calling thread (the signal handler calls it on `queue`).
    public func reload() -> Outcome {
        onReloadStart?()
        logger.notice("SIGHUP: reloading configuration and dialplans")
        let outcome = reloadEverything()
        if !outcome.succeeded {
            logger.error("reload refused: the running configuration and dialplans stay in force",
                         metadata: ["reload.problem": "\(outcome.summary)"])
        }
        onReloadEnd?(outcome)
        return outcome
    }

    private func reloadEverything() -> Outcome {
        // The configuration first: a broken file refuses the whole reload, so what runs is
        // always one consistent generation of config and dialplans.
        var newLevel: Logger.Level?
        var commitTLS: (@Sendable () -> Void)?
        if let configPath {
            do {
                let settings = try SwitchboardConfiguration.load(path: configPath)
                newLevel = Logger.Level(rawValue: settings.logLevel)
                if let tls = settings.tls, let prepareTLS {
                    do {
                        commitTLS = try prepareTLS(tls)
                    } catch {
                        logger.error("TLS certificate not reloaded", metadata: ["error": "\(error)"])
                        return Outcome(succeeded: false, summary: "reload failed: TLS certificate (\(error))", time: Date())
                    }
                }
            } catch {
                for diagnostic in error.diagnostics { logger.error("\(diagnostic)") }
                let first = error.diagnostics.first.map { "\($0.path):\($0.line):\($0.column)" } ?? configPath
                return Outcome(succeeded: false, summary: "reload failed: \(Self.count(error.diagnostics.count, "error")) in configuration (first at \(first))", time: Date())
            }
        }
        let result = store.reload()
        for diagnostic in result.diagnostics {
            logger.log(level: diagnostic.severity == .error ? .error : .warning, "\(diagnostic)")
        }
        guard let table = result.table else {
            let errors = result.diagnostics.filter { $0.severity == .error }
            let first = errors.first.map { "\($0.path):\($0.line):\($0.column)" } ?? store.directory
            return Outcome(succeeded: false,
                           summary: "reload failed: \(Self.count(errors.count, "error")) in dialplans (first at \(first))",
                           time: Date())
        }
        for (path, error) in prompts?.preload(table: table) ?? [:] {
            logger.error("prompt not loaded", metadata: ["prompt": "\(path)", "error": "\(error)"])
        }
        commitTLS?()
        if let newLevel, newLevel != LogLevelControl.shared.level {
            logger.notice("log level changed", metadata: ["log.level": "\(newLevel)"])
            LogLevelControl.shared.level = newLevel
        }
        logger.notice("dialplans reloaded", metadata: [
            "dialplan.accounts": "\(table.accountCount)", "dialplan.numbers": "\(table.numberCount)",
        ])
        return Outcome(succeeded: true, summary: "\(table.accountCount) accounts, \(table.numberCount) numbers", time: Date())
    }

    public static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
