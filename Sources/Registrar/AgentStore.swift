import Foundation
import SIPMessage
import Postgres

/// Agents and bindings in PostgreSQL, for the CLI (`switchboard agents`) and the daemon's
/// store thread. Blocking (libpq): never call it on an event loop.
public struct AgentStore {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unknownAgent(String)
        case exists(String)
        case numberTaken(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unknownAgent(let n): "no agent named '\(n)'"
            case .exists(let n): "an agent named '\(n)' already exists"
            case .numberTaken(let n): "\(n) is already another agent's number"
            case .invalid(let why): why
            }
        }
    }

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    static let agentColumns = "account, name, number, realm, ha1_sha256, ha1_md5"

    public func add(account: String, name: String, number: String?, realm: String) throws {
        guard name.range(of: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
            throw Failure.invalid("agent names are 1–64 letters, digits, '.', '_' or '-' (a SIP username)")
        }
        if let number, number.range(of: "^\\+[1-9][0-9]{1,14}$", options: .regularExpression) == nil {
            throw Failure.invalid("--number must be E.164, like +14155550123")
        }
        do {
            try connection.execute("INSERT INTO agents (account, name, number, realm) VALUES ($1, $2, $3, $4)",
                                   [account, name, number, realm])
        } catch let e as PostgresError where e.sqlState == "23505" {
            if e.message.contains("agents_number_key") { throw Failure.numberTaken(number ?? "") }
            throw Failure.exists(name)
        }
    }

    /// Stores the HA1s of `password` (SHA-256 always; MD5 when `md5`), never the password.
    public func setPassword(name: String, password: String, realm: String, md5: Bool) throws {
        guard password.count >= 8 else { throw Failure.invalid("passwords have at least 8 characters") }
        let sha = DigestAlgorithm.sha256.ha1(username: name, realm: realm, password: password)
        let m = md5 ? DigestAlgorithm.md5.ha1(username: name, realm: realm, password: password) : nil
        let r = try connection.execute("""
        UPDATE agents SET ha1_sha256 = $2, ha1_md5 = $3, realm = $4, password_set_at = now() WHERE name = $1
        """, [name, sha, m, realm])
        guard r.affectedRows == 1 else { throw Failure.unknownAgent(name) }
    }

    public func remove(name: String) throws {
        let r = try connection.execute("DELETE FROM agents WHERE name = $1", [name])
        guard r.affectedRows == 1 else { throw Failure.unknownAgent(name) }
    }

    public struct Listing: Sendable, Equatable {
        public var account: String
        public var name: String
        public var number: String?
        public var hasPassword: Bool
        public var md5: Bool
        public var liveBindings: Int
    }

    public func list(account: String? = nil) throws -> [Listing] {
        try connection.execute("""
        SELECT a.account, a.name, a.number, a.ha1_sha256 IS NOT NULL, a.ha1_md5 IS NOT NULL,
               (SELECT count(*) FROM agent_bindings b WHERE b.agent = a.name AND b.expires_at > now())
        FROM agents a WHERE $1::text IS NULL OR a.account = $1 ORDER BY a.account, a.name
        """, [account]).rows.map {
            Listing(account: $0[0] ?? "", name: $0[1] ?? "", number: $0[2], hasPassword: $0[3] == "t",
                    md5: $0[4] == "t", liveBindings: Int($0[5] ?? "0") ?? 0)
        }
    }

    /// Every agent's credentials (the daemon's `AgentDirectory`).
    public func credentials() throws -> [AgentCredentials] {
        try connection.execute("SELECT \(Self.agentColumns) FROM agents WHERE ha1_sha256 IS NOT NULL").rows.map {
            AgentCredentials(account: $0[0] ?? "", name: $0[1] ?? "", number: $0[2], realm: $0[3] ?? "",
                             ha1SHA256: $0[4] ?? "", ha1MD5: $0[5])
        }
    }

    public func agent(named name: String) throws -> Listing {
        guard let a = try list().first(where: { $0.name == name }) else { throw Failure.unknownAgent(name) }
        return a
    }

    // MARK: bindings

    /// Bindings not expired (all agents, or one), each with the node that registered it.
    public func bindingsWithNodes(agent: String? = nil) throws -> [(binding: Binding, node: String?)] {
        try connection.execute("""
        SELECT agent, account, contact, flow_transport, flow_host, flow_port, path, call_id, cseq,
               extract(epoch FROM expires_at)::float8, instance, reg_id, outbound, user_agent, node
        FROM agent_bindings WHERE expires_at > now() AND ($1::text IS NULL OR agent = $1)
        ORDER BY agent, updated_at, binding_key
        """, [agent]).rows.map { r in (Self.binding(r), r[14]) }
    }

    public func bindings(agent: String? = nil) throws -> [Binding] { try bindingsWithNodes(agent: agent).map(\.binding) }

    static func binding(_ r: [String?]) -> Binding {
        Binding(agent: r[0] ?? "", account: r[1] ?? "", contact: r[2] ?? "",
                    flow: SIPPeer(transport: SIPTransportProtocol(rawValue: r[3] ?? "UDP") ?? .udp, host: r[4] ?? "",
                                  port: Int(r[5] ?? "") ?? 5060),
                    path: (r[6] ?? "").split(separator: "\n").map(String.init), callID: r[7] ?? "",
                    cseq: UInt32(r[8] ?? "") ?? 0,
                    expires: Date(timeIntervalSince1970: Double(r[9] ?? "") ?? 0), instance: r[10],
                    regID: r[11].flatMap { Int($0) }, outbound: r[12] == "t", userAgent: r[13])
    }

    /// Replaces the agent's rows this `node` registered by `bindings` in one transaction (what
    /// its registrar holds); other nodes' rows for the agent stay. A contact registered here
    /// that another node held before becomes this node's.
    public func replaceBindings(agent: String, with bindings: [Binding], node: String?) throws {
        try connection.execute("BEGIN")
        do {
            try connection.execute("DELETE FROM agent_bindings WHERE agent = $1 AND node IS NOT DISTINCT FROM $2", [agent, node])
            for b in bindings {
                // An agent removed meanwhile: its bindings go with it (no row to refer to).
                try connection.execute("""
                INSERT INTO agent_bindings (agent, binding_key, account, contact, flow_transport, flow_host, flow_port,
                    path, call_id, cseq, expires_at, instance, reg_id, outbound, user_agent, node)
                SELECT $1, $2, $3, $4, $5, $6, $7::int, $8, $9, $10::bigint, to_timestamp($11::float8), $12, $13::int,
                       $14::boolean, $15, $16
                WHERE EXISTS (SELECT 1 FROM agents WHERE name = $1)
                ON CONFLICT (agent, binding_key) DO UPDATE SET account = EXCLUDED.account, contact = EXCLUDED.contact,
                    flow_transport = EXCLUDED.flow_transport, flow_host = EXCLUDED.flow_host, flow_port = EXCLUDED.flow_port,
                    path = EXCLUDED.path, call_id = EXCLUDED.call_id, cseq = EXCLUDED.cseq, expires_at = EXCLUDED.expires_at,
                    instance = EXCLUDED.instance, reg_id = EXCLUDED.reg_id, outbound = EXCLUDED.outbound,
                    user_agent = EXCLUDED.user_agent, node = EXCLUDED.node, updated_at = now()
                """, [agent, b.key, b.account, b.contact, b.flow.transport.rawValue, b.flow.host, String(b.flow.port),
                      b.path.joined(separator: "\n"), b.callID, String(b.cseq), String(b.expires.timeIntervalSince1970),
                      b.instance, b.regID.map(String.init), b.outbound ? "true" : "false", b.userAgent, node])
            }
            try connection.execute("COMMIT")
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Deletes rows expired before `now` (any node's): the table does not grow forever.
    @discardableResult
    public func deleteExpired() throws -> Int {
        try connection.execute("DELETE FROM agent_bindings WHERE expires_at <= now()").affectedRows
    }
}
