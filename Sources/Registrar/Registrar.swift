import Foundation
import SIPMessage

/// The registrar (RFC 3261 §10.3) with digest authentication (RFC 7616, RFC 8760) for
/// agents. It answers one REGISTER at a time from memory — credentials from the
/// `AgentDirectory`, bindings in the `BindingTable` — and reports every change of an agent's
/// bindings through `onChange`, which the daemon hands to the store's writer thread, so
/// nothing here blocks the event loop.
///
/// Enumeration: a known and an unknown username get the same challenge and, when the
/// response is wrong, the same 403 (an unknown user is checked against a random HA1, so even
/// the work done is the same). Brute force: `FailureLimiter` blocks a source after repeated
/// failures; a blocked source gets that same 403 whatever it sends, right password included.
///
/// Not thread-safe: it lives on the SIP event loop.
public final class Registrar {
    public struct Statistics: Sendable, Equatable {
        /// REGISTERs that changed or listed bindings (200 OK).
        public var registrations = 0
        public var authenticationsOK = 0
        public var authenticationsFailed = 0
        /// Sources blocked by the failure limiter.
        public var blocks = 0
        /// REGISTERs refused because their source was blocked.
        public var blockedRequests = 0
        /// 401s sent (first challenges and stale ones).
        public var challenges = 0
        public init() {}
    }

    public let configuration: RegistrarConfiguration
    public let directory: AgentDirectory
    public let bindings: BindingTable
    let nonces: NonceAuthority
    let limiter: FailureLimiter
    let now: () -> Date
    /// An agent's complete list of bindings after a change (empty: all removed).
    public var onChange: ((_ agent: String, _ account: String, _ bindings: [Binding]) -> Void)?
    /// Called once per source blocked (the daemon logs one line per block).
    public var onBlock: ((_ source: String) -> Void)?
    public internal(set) var statistics = Statistics()
    /// HA1s for unknown users: random, so no response ever matches them.
    private let decoyHA1: [DigestAlgorithm: String]

    public init(configuration: RegistrarConfiguration, directory: AgentDirectory, bindings: BindingTable,
                monotonic: @escaping () -> Duration, now: @escaping () -> Date = Date.init) {
        self.configuration = configuration
        self.directory = directory
        self.bindings = bindings
        self.nonces = NonceAuthority(lifetime: configuration.nonceLifetime, now: monotonic)
        self.limiter = FailureLimiter(configuration: configuration.failures, now: monotonic)
        self.now = now
        let secret = UUID().uuidString + UUID().uuidString
        decoyHA1 = Dictionary(uniqueKeysWithValues: DigestAlgorithm.allCases.map {
            ($0, $0.ha1(username: "", realm: configuration.realm, password: secret))
        })
    }

    public var activeBlocks: Int { limiter.activeBlocks }

    /// Answers a REGISTER received from `source` (its real address, port and transport).
    public func handle(_ request: SIPRequest, from source: SIPPeer) -> SIPResponse {
        let host = source.host
        if limiter.isBlocked(host) {
            statistics.blockedRequests += 1
            return reply(request, 403)
        }
        guard let rawUser = request.to.uri.user, !rawUser.isEmpty else { return reply(request, 400, "Bad Request (no user in To)") }
        let user = rawUser.removingPercentEncoding ?? rawUser
        if let domain = configuration.domain, request.uri.host.lowercased() != domain.lowercased() {
            return reply(request, 403)
        }
        switch verify(request, source: host, user: user, header: "Authorization") {
        case .challenge(let stale): return challenge(request, source: host, stale: stale)
        case .failed(let claimed): return fail(request, source: host, user: claimed)
        case .authenticated(let agent):
            statistics.authenticationsOK += 1
            return updateBindings(request, agent: agent, source: source)
        }
    }

    /// What the digest in `header` of `request` proves (shared by REGISTER's `Authorization`
    /// and an agent's INVITE's `Proxy-Authorization`, RFC 3261 §22.3). `user`: the identity
    /// the request claims (a REGISTER's To user); nil: the credentials' username is the claim.
    enum Verification: Equatable {
        /// No credentials for our realm, or a nonce that proves nothing: challenge (again).
        case challenge(stale: Bool)
        /// Wrong response, unknown user, or malformed: the same refusal for all of them.
        case failed(user: String)
        case authenticated(AgentCredentials)
    }

    func verify(_ request: SIPRequest, source host: String, user claimedUser: String?, header: String) -> Verification {
        let offered = request.headers.values(header)
        guard !offered.isEmpty else { return .challenge(stale: false) }
        // The credentials for our realm (a phone may carry others for proxies on the way).
        let parsed = offered.compactMap(DigestCredentials.init(header:))
        guard let credentials = parsed.first(where: { $0.realm == configuration.realm }) else {
            return .failed(user: claimedUser ?? "")
        }
        let user = claimedUser ?? credentials.username
        // A nonce that is not ours (or not for this address), or a replay, proves nothing
        // either way: a fresh challenge, and the password is not even looked at.
        let verdict = nonces.verify(credentials.nonce, source: host, nc: credentials.nonceCount)
        switch verdict {
        case .invalid, .replayed: return .challenge(stale: false)
        case .valid, .stale: break
        }
        guard configuration.algorithms.contains(credentials.algorithm) else { return .challenge(stale: false) }
        let agent = credentials.username == user ? directory.agent(named: user) : nil
        let known = agent.flatMap { $0.realm == configuration.realm ? $0.ha1(credentials.algorithm) : nil }
        let ha1 = known ?? decoyHA1[credentials.algorithm]!
        // qop=auth is required: RFC 2069 responses (no cnonce, no nc) are not accepted.
        let matches = credentials.qop != nil && credentials.matches(ha1: ha1, method: request.method.rawValue)
        guard matches, known != nil, let agent else { return .failed(user: user) }
        if verdict == .stale { return .challenge(stale: true) }
        return .authenticated(agent)
    }

    /// Forgets expired bindings (and nonce counts); the daemon calls it every few seconds.
    public func removeExpired() {
        nonces.prune()
        let removed = bindings.removeExpired(at: now())
        for agent in Set(removed.map(\.agent)) {
            guard let first = removed.first(where: { $0.agent == agent }) else { continue }
            onChange?(agent, first.account, bindings.ownBindings(of: agent, at: now()))
        }
    }

    // MARK: RFC 3261 §10.3 steps 6–8

    private func updateBindings(_ request: SIPRequest, agent: AgentCredentials, source: SIPPeer) -> SIPResponse {
        let at = now()
        let headerExpires = request.headers["Expires"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        // Only this node's bindings: another node's are its registrar's to change.
        var current = bindings.ownBindings(of: agent.name, at: at)
        let before = current

        if request.headers.values("Contact").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "*" }) {
            // `Contact: *` removes every binding, and only with Expires: 0 (§10.2.2).
            guard request.contacts.isEmpty, headerExpires == 0 else { return reply(request, 400, "Bad Request (Contact: * needs Expires: 0)") }
            if current.contains(where: { $0.callID == request.callID && request.cSeq.sequence <= $0.cseq }) {
                return reply(request, 500, "Server Internal Error (CSeq out of order)")
            }
            current = []
        } else {
            // Every contact's expiry is checked before anything changes (423 aborts all).
            var planned: [(NameAddress, Int)] = []
            for contact in request.contacts {
                let asked = contact.parameter("expires").flatMap { $0.flatMap { Int($0) } } ?? headerExpires ?? configuration.defaultExpires
                if asked > 0, asked < configuration.minExpires {
                    var response = reply(request, 423)
                    response.headers.add("Min-Expires", "\(configuration.minExpires)")
                    return response
                }
                planned.append((contact, min(max(asked, 0), configuration.maxExpires)))
            }
            let path = request.headers.values("Path")
            let userAgent = request.headers["User-Agent"]
            for (contact, expires) in planned {
                let instance = contact.parameter("+sip.instance").flatMap { $0 }
                let regID = contact.parameter("reg-id").flatMap { $0.flatMap { Int($0) } }
                let ob = contact.uri.parameter("ob") != nil
                let binding = Binding(agent: agent.name, account: agent.account, contact: contact.uri.description,
                                      flow: source, path: path, callID: request.callID, cseq: request.cSeq.sequence,
                                      expires: at.addingTimeInterval(TimeInterval(expires)), instance: instance,
                                      regID: regID, outbound: ob, userAgent: userAgent)
                if let index = current.firstIndex(where: { $0.key == binding.key }) {
                    let existing = current[index]
                    if existing.callID == request.callID, request.cSeq.sequence <= existing.cseq {
                        return reply(request, 500, "Server Internal Error (CSeq out of order)")
                    }
                    if expires == 0 { current.remove(at: index) } else { current[index] = binding }
                } else if expires > 0 {
                    current.append(binding)
                }
            }
            // Beyond the limit the oldest go: the phone registering now is the one in use.
            if current.count > configuration.maxContactsPerAgent {
                current.removeFirst(current.count - configuration.maxContactsPerAgent)
            }
        }
        if current != before {
            bindings.replace(agent.name, with: current)
            onChange?(agent.name, agent.account, current)
        }
        statistics.registrations += 1
        var response = reply(request, 200)
        response.contacts = current.compactMap { b in
            SIPURI(parsing: Substring(b.contact)).map {
                NameAddress(uri: $0, parameters: [("expires", "\(max(0, Int(b.expires.timeIntervalSince(at).rounded())))")])
            }
        }
        // RFC 3327 §5.3: the Path we stored goes back in the 200 so the phone sees it.
        for value in request.headers.values("Path") { response.headers.add("Path", value) }
        response.headers.add("Date", dateFormatter.string(from: at))
        if request.contacts.contains(where: { $0.uri.parameter("ob") != nil && $0.parameter("reg-id") != nil }),
           request.headers.values("Supported").contains(where: { $0.lowercased().contains("outbound") }) {
            response.headers.add("Require", "outbound")  // RFC 5626 §6
        }
        return response
    }

    // MARK: responses

    /// 401 with `WWW-Authenticate` for REGISTER; 407 with `Proxy-Authenticate` for an agent's
    /// INVITE (RFC 3261 §22.3): one per algorithm, SHA-256 first.
    func challenge(_ request: SIPRequest, source: String, stale: Bool, proxy: Bool = false) -> SIPResponse {
        statistics.challenges += 1
        var response = reply(request, proxy ? 407 : 401)
        for algorithm in configuration.algorithms {
            let c = DigestChallenge(realm: configuration.realm, nonce: nonces.issue(for: source), algorithm: algorithm, stale: stale)
            response.headers.add(proxy ? "Proxy-Authenticate" : "WWW-Authenticate", c.headerValue)
        }
        return response
    }

    func fail(_ request: SIPRequest, source: String, user: String) -> SIPResponse {
        statistics.authenticationsFailed += 1
        if limiter.recordFailure(source: source, user: user) {
            statistics.blocks += 1
            onBlock?(source)
        }
        return reply(request, 403)
    }

    func reply(_ request: SIPRequest, _ status: Int, _ reason: String? = nil) -> SIPResponse {
        SIPResponse(to: request, statusCode: status, reasonPhrase: reason,
                    toTag: SIPToken.tag())
    }

    /// RFC 3261 §20.17 Date (RFC 1123 form, GMT); one formatter, used on the loop only.
    private let dateFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f
    }()
}
