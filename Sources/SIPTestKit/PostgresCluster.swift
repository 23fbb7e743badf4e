import Foundation
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
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("pgtest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        if getuid() == 0 {
            guard let pw = getpwnam("postgres") else { throw ClusterError.noPostgresUser }
            guard chown(directory.path, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0 else { throw ClusterError.command("chown", errno) }
        }
        chmod(directory.path, 0o700)
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

    deinit {
        stop(mode: "immediate")
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts (again) on the same data directory and waits until it accepts connections.
    public func start() throws {
        lock.lock(); defer { lock.unlock() }
        guard !running else { return }
        // -l: the postmaster must not inherit our pipes, or waiting on them never ends.
        try Self.run("pg_ctl", ["-D", directory.path, "-l", directory.appendingPathComponent("server.log").path,
                                "-w", "-t", "30", "start"])
        running = true
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
    static func run(_ tool: String, _ arguments: [String]) throws {
        let p = Process()
        let binary = tool == "psql" ? "/usr/bin/psql" : binDirectory + "/" + tool
        if getuid() == 0 {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", "postgres", "--", binary] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = arguments
        }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.currentDirectoryURL = URL(fileURLWithPath: "/tmp")  // postgres may not read our cwd
        try p.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ClusterError.failed(tool, p.terminationStatus, String(decoding: output, as: UTF8.self))
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
