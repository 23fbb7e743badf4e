import CallEngine
import Foundation
import Logging
import Registrar
import SIPMessage
import SwitchboardConfig

/// The daemon's registrar side (issue 15): the agents' credentials and bindings in memory,
/// the store thread that keeps PostgreSQL in step, and the `AgentLocator` the call engine
/// asks for `agent:NAME` targets. The `Registrar` itself is made on the SIP event loop and
/// used only there.
public final class AgentRegistry: AgentLocator, @unchecked Sendable {
    let directory = AgentDirectory()
    let bindings = BindingTable()
    let configuration: RegistrarConfiguration
    let store: RegistrarStoreWorker
    let logger: Logger

    public init(settings: SwitchboardConfiguration, database: String, logger: Logger) {
        self.configuration = Self.configuration(settings.registrar)
        self.logger = logger
        // The node names its own rows: each node rewrites only the bindings it registered.
        self.store = RegistrarStoreWorker(connectionString: database, directory: directory, bindings: bindings,
                                          node: settings.nodeID ?? ProcessInfo.processInfo.hostName,
                                          refreshInterval: settings.registrar.refreshSeconds,
                                          logger: Logger(label: "switchboard.registrar.store"))
    }

    static func configuration(_ r: SwitchboardConfiguration.Registrar) -> RegistrarConfiguration {
        var c = RegistrarConfiguration()
        c.realm = r.realm
        c.domain = r.domain
        c.algorithms = r.algorithms.compactMap { DigestAlgorithm(token: $0) }
        c.minExpires = r.minExpires
        c.maxExpires = r.maxExpires
        c.defaultExpires = r.defaultExpires
        c.maxContactsPerAgent = r.maxContacts
        c.nonceLifetime = .milliseconds(Int64(r.nonceLifetimeSeconds * 1000))
        c.failures.maxPerSource = r.failuresPerSource
        c.failures.maxPerUser = r.failuresPerUser
        c.failures.window = .milliseconds(Int64(r.failureWindowSeconds * 1000))
        c.failures.block = .milliseconds(Int64(r.blockSeconds * 1000))
        return c
    }

    /// Loads agents and live bindings (blocking: before the loops run), then starts the store thread.
    public func start() {
        if store.loadInitial() {
            logger.info("registrar loaded", metadata: ["agents": "\(directory.count)", "bindings": "\(bindings.count)",
                                                       "bindings.other_nodes": "\(bindings.othersCount)"])
        }
        store.start()
    }

    public func stop() { store.stop() }

    /// The registrar, on the SIP event loop (call it there).
    func makeRegistrar() -> Registrar {
        let registrar = Registrar(configuration: configuration, directory: directory, bindings: bindings,
                                  monotonic: { .nanoseconds(Int64(DispatchTime.now().uptimeNanoseconds)) })
        registrar.onChange = { [store] agent, _, list in store.enqueue(agent: agent, bindings: list) }
        let logger = self.logger, block = configuration.failures.block
        // One line per block, never per attempt; never a password or a response hash.
        registrar.onBlock = { source in
            logger.warning("source blocked after failed authentications",
                           metadata: ["sip.peer.address": "\(source)", "block.seconds": "\(block.components.seconds)"])
        }
        return registrar
    }

    /// The edge's exception for strangers' REGISTERs: only for our domain when one is set.
    /// Whether a new INVITE's From names one of our agents (its call is then an agent's).
    func names(_ request: SIPRequest) -> Bool {
        guard let user = request.from.uri.user, !user.isEmpty else { return false }
        return directory.agent(named: user.removingPercentEncoding ?? user) != nil
    }

    func admits(_ request: SIPRequest) -> Bool {
        guard let domain = configuration.domain else { return true }
        return request.uri.host.lowercased() == domain.lowercased()
    }

    // MARK: AgentLocator

    public func contacts(ofAgent agent: String, account: String) -> [AgentContact] {
        // Another account's agent of the same name is never rung.
        bindings.bindings(of: agent).filter { $0.account == account }.compactMap { b in
            guard let uri = SIPURI(parsing: Substring(b.contact)) else { return nil }
            let route = b.path.flatMap(Self.splitList).compactMap { NameAddress(parsing: Substring($0)) }
            return AgentContact(uri: uri, flow: b.flow, route: route)
        }
    }

    public func agent(withNumber number: String) -> (account: String, agent: String)? {
        directory.agent(withNumber: number).map { ($0.account, $0.name) }
    }

    /// Splits a header value list at commas outside <> and quotes (Path: <a>, <b>).
    static func splitList(_ value: String) -> [String] {
        var parts: [String] = [], current = "", angle = false, quoted = false
        for c in value {
            switch c {
            case "<" where !quoted: angle = true
            case ">" where !quoted: angle = false
            case "\"": quoted.toggle()
            case "," where !angle && !quoted:
                parts.append(current.trimmingCharacters(in: .whitespaces)); current = ""; continue
            default: break
            }
            current.append(c)
        }
        if !current.trimmingCharacters(in: .whitespaces).isEmpty { parts.append(current.trimmingCharacters(in: .whitespaces)) }
        return parts
    }
}
