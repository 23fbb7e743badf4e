import Foundation

/// An agent as the registrar and the router know it: never a password, only HA1 digests.
public struct AgentCredentials: Sendable, Equatable {
    public var account: String
    /// The SIP username (unique across accounts: one realm).
    public var name: String
    /// E.164 tracking number: the agent's direct line (and outbound caller ID).
    public var number: String?
    public var realm: String
    public var ha1SHA256: String
    /// Only kept when the agent's password was set with MD5 allowed.
    public var ha1MD5: String?

    public init(account: String, name: String, number: String?, realm: String, ha1SHA256: String, ha1MD5: String?) {
        self.account = account
        self.name = name
        self.number = number
        self.realm = realm
        self.ha1SHA256 = ha1SHA256
        self.ha1MD5 = ha1MD5
    }

    public func ha1(_ algorithm: DigestAlgorithm) -> String? {
        switch algorithm {
        case .sha256: ha1SHA256
        case .md5: ha1MD5
        }
    }
}

/// The agents' credentials in memory, swapped whole when the store is re-read (every few
/// seconds, off the event loop), so a REGISTER never waits for the database.
public final class AgentDirectory: @unchecked Sendable {
    private let lock = NSLock()
    private var byName: [String: AgentCredentials] = [:]
    private var byNumber: [String: AgentCredentials] = [:]
    public private(set) var loaded = false

    public init(_ agents: [AgentCredentials] = []) { replace(agents) }

    public func replace(_ agents: [AgentCredentials]) {
        let names = Dictionary(agents.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let numbers = Dictionary(agents.compactMap { a in a.number.map { ($0, a) } }, uniquingKeysWith: { a, _ in a })
        lock.lock(); defer { lock.unlock() }
        byName = names
        byNumber = numbers
        loaded = true
    }

    public func agent(named name: String) -> AgentCredentials? {
        lock.lock(); defer { lock.unlock() }
        return byName[name]
    }

    public func agent(withNumber number: String) -> AgentCredentials? {
        lock.lock(); defer { lock.unlock() }
        return byNumber[number]
    }

    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return byName.count
    }
}
