import Foundation
import SIPTestKit
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL 15 cluster for one test suite: `initdb` in a temp directory,
/// listening on a free loopback port (TCP, trust auth; its Unix socket in the data
/// directory). PostgreSQL refuses to run as root, so as root every server command runs as
/// the `postgres` user via `runuser` on a directory it owns; otherwise they run as the
/// current user. `stop()`/`kill()` and `start()` again on the same data directory serve
/// outage tests; deinit stops the server (by its own pg_ctl, never anyone else's cluster)
/// and deletes the directory.
public final class PostgresCluster: @unchecked Sendable {
    public static let binDirectory = ProcessInfo.processInfo.environment["PG_BINDIR"] ?? "/usr/lib/postgresql/15/bin"

    public let port: Int
    public let directory: URL
    public var dataDirectory: String { directory.path }
    private let lock = NSLock()
    private var running = false

    /// `host=127.0.0.1 port=… user=postgres dbname=postgres`.
    public var connectionString: String { connectionString(database: "postgres") }

    public func connectionString(database: String) -> String {
        "host=127.0.0.1 port=\(port) user=postgres dbname=\(database)"
    }

    /// - Parameter fsync: off by default (tests get speed; a stop, even `kill()`, loses
    ///   nothing while the OS keeps running). The benchmark turns it on.
    public init(port: Int = FreePort.next(), fsync: Bool = false) throws {
        self.port = port
        directory = try Self.makeDataDirectory()
        do {
            try Self.run("initdb", ["-D", directory.path, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
            let conf = """
            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(directory.path)'
            fsync = \(fsync ? "on" : "off")
            max_connections = 40
            shared_buffers = 64MB
            logging_collector = off

            """
            // postgresql.conf is owned by postgres; appending as root keeps its owner.
            let handle = try FileHandle(forWritingTo: directory.appendingPathComponent("postgresql.conf"))
            handle.seekToEndOfFile()
            handle.write(Data(conf.utf8))
            try handle.close()
            try start()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// A new, empty data directory as PostgreSQL demands it: mode 0700 and, when the tests
    /// run as root (PostgreSQL refuses to), owned by the `postgres` user.
    static func makeDataDirectory() throws -> URL {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pgtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw ClusterError.noPostgresUser }
            guard chown(directory.path, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else { throw ClusterError.command("chown", errno) }
        }
        chmod(directory.path, 0o700)
        return directory
    }

    /// A streaming-replication standby of `primary` (`pg_basebackup -R`: it copies the
    /// primary's data and writes `primary_conninfo` and `standby.signal`), on its own port,
    /// read-only until `promote()`. For failover tests: stop the primary, promote this one.
    public init(standbyOf primary: PostgresCluster, port: Int = FreePort.next()) throws {
        self.port = port
        directory = try Self.makeDataDirectory()
        do {
            try Self.run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primary.port), "-U", "postgres",
                                           "-D", directory.path, "-R", "-X", "stream", "-c", "fast"])
            // The copied postgresql.conf names the primary's port and socket directory; the
            // last setting of a key wins.
            let handle = try FileHandle(forWritingTo: directory.appendingPathComponent("postgresql.conf"))
            handle.seekToEndOfFile()
            handle.write(Data("port = \(port)\nunix_socket_directories = '\(directory.path)'\n".utf8))
            try handle.close()
            try start()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// Ends recovery on a standby: it becomes a primary that accepts writes (`pg_ctl promote -w`).
    public func promote() throws {
        try Self.run("pg_ctl", ["-D", directory.path, "-w", "-t", "30", "promote"])
    }

    deinit { destroy() }

    /// Stops the server (immediate) and deletes its directory. Idempotent.
    public func destroy() {
        stop(mode: "immediate")
        try? FileManager.default.removeItem(at: directory)
        Self.registry.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }
    }

    /// Safety net for paths where no deinit or defer runs (a global never released, a
    /// runner that calls exit() with a scope still open): at process exit, stop every
    /// cluster this process started and is still running. Only our own data directories.
    private static let registry: Registry = {
        atexit {
            for dir in PostgresCluster.registry.withLock({ Array($0.values) }) {
                try? PostgresCluster.run("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "-t", "30", "stop"])
                try? FileManager.default.removeItem(atPath: dir)
            }
        }
        return Registry()
    }()

    /// Running clusters by object (NSLock rather than Synchronization.Mutex: macOS 14).
    private final class Registry: @unchecked Sendable {
        private let lock = NSLock()
        private var dirs: [ObjectIdentifier: String] = [:]
        func withLock<R>(_ body: (inout [ObjectIdentifier: String]) -> R) -> R {
            lock.lock(); defer { lock.unlock() }
            return body(&dirs)
        }
    }

    /// Starts (again) on the same data directory and waits until it accepts connections.
    public func start() throws {
        lock.lock(); defer { lock.unlock() }
        guard !running else { return }
        // -l: the postmaster must not inherit our pipes, or waiting on them never ends.
        try Self.run("pg_ctl", ["-D", directory.path, "-l", directory.appendingPathComponent("server.log").path,
                                "-w", "-t", "30", "start"])
        running = true
        let path = directory.path
        Self.registry.withLock { $0[ObjectIdentifier(self)] = path }
    }

    /// Clean shutdown (`-m fast`: disconnects clients, checkpoints).
    public func stop() { stop(mode: "fast") }

    /// Crash-like shutdown (`-m immediate`: no checkpoint; recovery replays WAL on start).
    public func kill() { stop(mode: "immediate") }

    private func stop(mode: String) {
        lock.lock(); defer { lock.unlock() }
        guard running else { return }
        try? Self.run("pg_ctl", ["-D", directory.path, "-m", mode, "-w", "-t", "30", "stop"])
        running = false
        Self.registry.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }
    }

    /// Creates a database (so tests sharing one cluster stay apart) and returns its
    /// connection string.
    public func createDatabase(_ name: String = "t_" + UUID().uuidString.prefix(8).lowercased()) throws -> String {
        try Self.run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres",
                              "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        return connectionString(database: name)
    }

    /// The server log, for failure messages.
    public func log() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    /// Runs a PostgreSQL binary, as `postgres` when we are root; throws on a non-zero exit.
    /// posix_spawn + waitpid rather than Foundation.Process: Process.waitUntilExit was seen
    /// to hang forever after `pg_ctl start` (whose postmaster daemonizes) inside the test
    /// runner. Output goes to a file, not a pipe, so the daemonized server holds nothing of ours.
    static func run(_ tool: String, _ arguments: [String]) throws {
        let binary = tool == "psql" ? "/usr/bin/psql" : binDirectory + "/" + tool
        let argv = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", binary] + arguments : [binary] + arguments
        let outPath = NSTemporaryDirectory() + "pgcmd-\(UUID().uuidString).log"
        defer { unlink(outPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw ClusterError.command("spawn \(argv[0])", rc) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw ClusterError.command("waitpid", errno) }
        }
        let exited = (status & 0x7f) == 0, code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            throw ClusterError.failed(tool, exited ? code : -1, output)
        }
    }

    public enum ClusterError: Error, CustomStringConvertible {
        case noPostgresUser
        case command(String, Int32)
        case failed(String, Int32, String)

        public var description: String {
            switch self {
            case .noPostgresUser: "running as root but there is no postgres user"
            case .command(let c, let e): "\(c): errno \(e)"
            case .failed(let tool, let status, let output): "\(tool) exited \(status): \(output)"
            }
        }
    }
}
