import Dialplan
import Dispatch
import Foundation
import Logging
import CallEngine

/// SIGHUP recompiles every dialplan off the event loops and swaps the table only when all of
/// it is valid (design.md "Dialplans"); errors are logged with their positions and the
/// running plans stay in force.
final class DialplanReloader: @unchecked Sendable {
    let store: DialplanStore
    let logger: Logger
    /// Prompts of the new plans are read here, off the event loops, after a successful swap.
    let prompts: PromptCache?
    private var source: (any DispatchSourceSignal)?
    private let queue = DispatchQueue(label: "switchboard.dialplan-reload")

    init(store: DialplanStore, logger: Logger, prompts: PromptCache? = nil) {
        self.store = store
        self.logger = logger
        self.prompts = prompts
    }

    func install() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        source.setEventHandler { [store, logger, prompts] in
            logger.notice("SIGHUP: reloading dialplans")
            let result = store.reload()
            for diagnostic in result.diagnostics {
                logger.log(level: diagnostic.severity == .error ? .error : .warning, "\(diagnostic)")
            }
            if let table = result.table {
                for (path, error) in prompts?.preload(table: table) ?? [:] {
                    logger.error("prompt not loaded", metadata: ["prompt": "\(path)", "error": "\(error)"])
                }
                logger.notice("dialplans reloaded", metadata: [
                    "dialplan.accounts": "\(table.accountCount)", "dialplan.numbers": "\(table.numberCount)",
                ])
            } else {
                logger.error("dialplan reload refused: the running dialplans stay in force")
            }
        }
        source.resume()
        self.source = source
    }
}
