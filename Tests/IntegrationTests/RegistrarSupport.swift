import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Postgres
import Testing

/// A throwaway PostgreSQL with the whole schema (through `switchboard migrate`) and agents
/// made with the real CLI, for the registrar's tests.
final class AgentsDatabase: @unchecked Sendable {
    let cluster: PostgresCluster
    let url: String

    init() throws {
        cluster = try PostgresCluster()
        url = cluster.connectionString(database: try cluster.createDatabase())
        let migrated = try Self.run(["migrate", "--database", url])
        guard migrated.status == 0 else { throw POSIXError(.EIO) }
    }

    func stop() { cluster.stop() }

    /// `switchboard ARGS --database URL`, with `stdin` piped in.
    @discardableResult
    func cli(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try Self.run(arguments + ["--database", url], stdin: stdin)
    }

    /// stdin is always a pipe, closed once `stdin` is written: no command here waits for input.
    static func run(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try SwitchboardCLI.run(arguments, stdin: stdin ?? "")
    }

    /// Adds an agent with a password through the CLI (as an operator would).
    func addAgent(_ name: String, account: String = "test-account", password: String, number: String? = nil,
                  config: String? = nil) throws {
        var arguments = ["agents", "add", account, name, "--password-stdin"]
        if let number { arguments += ["--number", number] }
        if let config { arguments += ["--config", config] }
        let r = try cli(arguments, stdin: password + "\n")
        guard r.status == 0 else { throw AgentsDatabaseError.cli(r.output) }
    }

    func query(_ sql: String) throws -> [[String?]] {
        let c = try PostgresConnection(url)
        defer { c.close() }
        return try c.execute(sql).rows
    }

    /// Waits (bounded) until `sql`'s first value is `expected`: the store thread writes
    /// bindings off the event loop, a moment after the 200 OK.
    func waitFor(_ sql: String, toBe expected: String, timeout: TimeInterval = 10) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if try query(sql).first?.first ?? nil == expected { return true }
            usleep(100_000)
        } while Date() < deadline
        return false
    }
}

enum AgentsDatabaseError: Error { case cli(String) }

/// The daemon's configuration for registrar tests: its database, MD5 digest (SIPp 3.6 and
/// SIPVicious speak only MD5), metrics, and the registrar's refresh every second.
func registrarConfig(database: String, metricsPort: Int, algorithms: String = "[MD5]", extra: String = "") -> String {
    """
    database: "\(database)"
    metrics: 127.0.0.1:\(metricsPort)
    registrar:
      refresh: 1s
      auth: { algorithms: \(algorithms) }
    \(extra)
    """
}

extension TestDialplan {
    /// A dialplan whose number rings the agent alice (declared under `agents:`, with
    /// `outbound` lines of hers appended): what every registrar and agent suite starts from.
    static func ringsAlice(outbound: String = "") throws -> TestDialplan {
        try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"agent:alice\"], timeout: 10s }\n",
                         extra: "agents:\n  alice: ~\n" + outbound)
    }
}

/// Waits (bounded) until the daemon's registrar has loaded `count` agents from the database
/// (its `switchboard_registrar_agents` gauge); records an issue if it does not in `timeout`.
func waitForAgents(_ metricsPort: Int, count: Int, timeout: TimeInterval = 10) throws {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if let (_, m) = try? httpGet(port: metricsPort), sample(m, "switchboard_registrar_agents") == Double(count) { return }
        usleep(200_000)
    } while Date() < deadline
    Issue.record("the daemon did not load \(count) agent(s) in \(timeout) s")
}

extension SIPpRun {
    /// A phone registering `user` (digest with `password`) from `localPort`.
    static func register(_ scenario: String = "register.xml", daemon: DaemonProcess, user: String, password: String,
                         authUser: String? = nil, localPort: Int? = nil, transport: String = "u1", expires: Int = 300,
                         bindAddress: String? = nil) -> SIPpRun {
        var run = SIPpRun(scenario: scenarioPath(scenario), target: "127.0.0.1:\(daemon.port)", calls: 1,
                          transport: transport, timeoutSeconds: 20)
        run.localPort = localPort
        run.traceMessages = true
        run.extraArguments += ["-s", user, "-au", authUser ?? user, "-ap", password, "-key", "expires", "\(expires)"]
        if let bindAddress { run.extraArguments += ["-i", bindAddress] }
        return run
    }
}
