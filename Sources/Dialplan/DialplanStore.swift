import Atomics
import Logging

/// Holds the running `DialplanTable` and swaps it atomically on reload.
///
/// Readers take a reference to the whole table with one atomic load (a retain, no copy,
/// no lock: every SIP loop reads it for each new call, issue 12 item 4) and keep using it;
/// a call therefore sees one generation from start to end, even when a reload swaps in
/// the next one. swift-atomics' strong references make the load safe against a
/// concurrent swap (the old table lives while anyone holds it).
public final class DialplanStore: Sendable {
    /// The directory `reload()` reads.
    public let directory: String
    private let table: ManagedAtomic<DialplanTable>
    /// The files as last read: a reload parses only what changed (issue 17 item 3).
    private let files: DialplanDirectory

    /// Creates a store around an already loaded table (see `load(directory:)`); its first
    /// reload reads every file.
    public convenience init(directory: String, table: DialplanTable) {
        self.init(directory: directory, table: table, files: DialplanDirectory(directory: directory))
    }

    private init(directory: String, table: DialplanTable, files: DialplanDirectory) {
        self.directory = directory
        self.table = ManagedAtomic(table)
        self.files = files
    }

    /// Loads `directory`; nil table in the result means it had errors and no store was made.
    public static func load(directory: String) -> (store: DialplanStore?, result: DialplanLoader.Result) {
        let files = DialplanDirectory(directory: directory)
        let result = files.reload()
        return (result.table.map { DialplanStore(directory: directory, table: $0, files: files) }, result)
    }

    /// What a reload did (the benchmark, tests).
    public struct ReloadWork: Sendable, Equatable {
        /// Files read again (their stat changed, or was too recent to trust).
        public var read = 0
        /// Files parsed (their content changed, or they are new).
        public var parsed = 0
        /// Files that went away.
        public var removed = 0
    }

    /// What the last load or reload read and parsed.
    public var lastReloadWork: ReloadWork { files.lastWork }

    /// The table to use for a new call. O(1): one atomic load, one retain.
    public var current: DialplanTable { table.load(ordering: .acquiring) }

    /// Compiles the directory again (re-parsing only the files that changed) and swaps
    /// only when all of it is valid; otherwise the running table stays and the diagnostics
    /// say why. The result is the same as a full load of the directory as it now is.
    /// Blocking (file reads, CPU): call it off the event loops.
    /// With a logger, each diagnostic and the outcome are logged.
    @discardableResult
    public func reload(logger: Logger? = nil) -> DialplanLoader.Result {
        let result = files.reload()
        if let fresh = result.table { swap(to: fresh) }
        guard let logger else { return result }
        for diagnostic in result.diagnostics {
            let level: Logger.Level = diagnostic.severity == .error ? .error : .warning
            logger.log(level: level, "\(diagnostic)", metadata: ["dialplan.path": "\(diagnostic.path)"])
        }
        if let table = result.table {
            logger.info("dialplans reloaded", metadata: [
                "dialplan.accounts": "\(table.accountCount)", "dialplan.numbers": "\(table.numberCount)",
            ])
        } else {
            logger.error("dialplan reload refused: keeping the running dialplans", metadata: [
                "dialplan.errors": "\(result.diagnostics.filter { $0.severity == .error }.count)",
            ])
        }
        return result
    }

    /// Replaces the table (reload, tests). Returns the previous one.
    @discardableResult
    public func swap(to fresh: DialplanTable) -> DialplanTable {
        table.exchange(fresh, ordering: .acquiringAndReleasing)
    }
}
