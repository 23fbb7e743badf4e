import ArgumentParser
import Foundation
import LegStore
import Registrar
import SwitchboardConfig
import Postgres

/// `switchboard agents add|passwd|remove|list|show` (the logic is `AgentStore`). Passwords
/// are read from standard input or a terminal prompt, never from the command line (argv is
/// visible to every user in `ps`), and only their HA1 digests are stored.
struct AgentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agents",
        abstract: "Agents: SIP accounts that register and receive calls (agent:NAME targets).",
        subcommands: [Add.self, Passwd.self, Remove.self, List.self, Show.self])

    /// Database, and the realm/MD5 policy from the daemon's config (or options).
    struct AgentOptions: ParsableArguments {
        @Option(help: "PostgreSQL connection string; default the config's database, else $SWITCHBOARD_DATABASE_URL.")
        var database: String?
        @Option(help: "The daemon's configuration (for database, registrar.realm and registrar.auth).")
        var config: String?

        func settings() throws -> SwitchboardConfiguration? { try config.map { try ConfigurationFile.load($0) } }

        func open() throws -> (AgentStore, SwitchboardConfiguration.Registrar) {
            let s = try settings()
            guard let url = database ?? s?.database ?? ProcessInfo.processInfo.environment["SWITCHBOARD_DATABASE_URL"], !url.isEmpty else {
                throw ValidationError("give --database, --config with a database, or set SWITCHBOARD_DATABASE_URL")
            }
            return (AgentStore(connection: try PostgresConnection(url)), s?.registrar ?? .init())
        }
    }

    struct PasswordInput: ParsableArguments {
        @Flag(help: "Read the password from standard input (first line) instead of prompting.")
        var passwordStdin = false

        func read() throws -> String { try Self.read(fromStandardInput: passwordStdin) }

        static func read(fromStandardInput: Bool) throws -> String {
            if fromStandardInput || isatty(STDIN_FILENO) == 0 {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("no password on standard input")
                }
                return line
            }
            guard let first = getpass("Password: ").map({ String(cString: $0) }),
                  let again = getpass("Again: ").map({ String(cString: $0) }) else { throw ValidationError("no password") }
            guard first == again else { throw ValidationError("the passwords differ") }
            return first
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an agent of ACCOUNT (set its password with --password-stdin or `passwd`).")
        @OptionGroup var options: AgentOptions
        @Argument(help: "The dialplan's account name.") var account: String
        @Argument(help: "The agent's name: its SIP username and agent:NAME in dialplans.") var name: String
        @Option(help: "Tracking number (E.164): the agent's direct line and outbound caller ID.") var number: String?
        @Flag(help: "Also read a password from standard input.") var passwordStdin = false

        func run() throws {
            let (store, registrar) = try options.open()
            do {
                try store.add(account: account, name: name, number: number, realm: registrar.realm)
                if passwordStdin {
                    try store.setPassword(name: name, password: try PasswordInput.read(fromStandardInput: true),
                                          realm: registrar.realm, md5: registrar.algorithms.contains("MD5"))
                }
            } catch let e as AgentStore.Failure {
                throw ValidationError(e.description)
            }
            print("added agent \(name) to \(account)\(passwordStdin ? "" : " (no password yet: switchboard agents passwd \(name))")")
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set an agent's password (stored as HA1 digests only).")
        @OptionGroup var options: AgentOptions
        @OptionGroup var input: PasswordInput
        @Argument var name: String

        func run() throws {
            let (store, registrar) = try options.open()
            do {
                try store.setPassword(name: name, password: try input.read(), realm: registrar.realm,
                                      md5: registrar.algorithms.contains("MD5"))
            } catch let e as AgentStore.Failure {
                throw ValidationError(e.description)
            }
            print("password set for \(name)\(registrar.algorithms.contains("MD5") ? " (SHA-256 and MD5)" : " (SHA-256)")")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an agent and its bindings.")
        @OptionGroup var options: AgentOptions
        @Argument var name: String

        func run() throws {
            let (store, _) = try options.open()
            do { try store.remove(name: name) } catch let e as AgentStore.Failure { throw ValidationError(e.description) }
            print("removed agent \(name)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Agents, with their number and live binding count.")
        @OptionGroup var options: AgentOptions
        @Option(help: "Only this account's agents.") var account: String?

        func run() throws {
            let (store, _) = try options.open()
            for a in try store.list(account: account) {
                let password = a.hasPassword ? (a.md5 ? "sha-256+md5" : "sha-256") : "no-password"
                print("\(a.account)\t\(a.name)\t\(a.number ?? "-")\t\(password)\t\(a.liveBindings) binding\(a.liveBindings == 1 ? "" : "s")")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One agent and its live bindings (contact, flow, expiry).")
        @OptionGroup var options: AgentOptions
        @Argument var name: String

        func run() throws {
            let (store, _) = try options.open()
            let a: AgentStore.Listing
            do { a = try store.agent(named: name) } catch let e as AgentStore.Failure { throw ValidationError(e.description) }
            print("agent:    \(a.name)\naccount:  \(a.account)\nnumber:   \(a.number ?? "none")\npassword: \(a.hasPassword ? "set" : "not set")")
            let bindings = try store.bindings(agent: name)
            print("bindings: \(bindings.count)")
            let now = Date()
            for b in bindings {
                var line = "  \(b.contact) via \(b.flow) expires in \(max(0, Int(b.expires.timeIntervalSince(now))))s"
                if b.outbound { line += " ob" }
                if !b.path.isEmpty { line += " path \(b.path.joined(separator: ","))" }
                if let ua = b.userAgent { line += " (\(ua))" }
                print(line)
            }
        }
    }
}
