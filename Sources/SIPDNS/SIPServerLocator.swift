/// RFC 3263 §4.2 server location for a SIP URI whose transport is already known (from its
/// `transport` parameter or the default; NAPTR, §4.1, is not done):
/// - an IP literal: that address, on the URI's port or 5060;
/// - a host name with a port: its A/AAAA addresses on that port;
/// - a host name without a port: SRV `_sip._udp.host` / `_sip._tcp.host` (`_sips._tcp` for
///   TLS), ordered by RFC 2782, each target's addresses from the additional section, an A
///   query or the system resolver; no SRV record at all: the host's addresses on 5060.
///
/// Blocking: run it on a background queue.
public struct SIPServerLocator: Sendable {
    public struct Target: Sendable, Equatable {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) { self.host = host; self.port = port }
    }

    /// SRV (and A) queries go here; nil: no SRV lookups, A/AAAA only.
    public var client: DNSClient?
    /// Also ask `client` for A records when the system resolver knows no address (set when the
    /// name server is configured explicitly, so names only it knows still resolve).
    public var queryAddressesWithClient: Bool
    /// The system resolver (getaddrinfo): addresses of a name, IPv4 first; empty on failure.
    public var systemLookup: @Sendable (String) -> [String]

    public init(client: DNSClient?, queryAddressesWithClient: Bool, systemLookup: @escaping @Sendable (String) -> [String]) {
        self.client = client
        self.queryAddressesWithClient = queryAddressesWithClient
        self.systemLookup = systemLookup
    }

    public static func srvName(host: String, transport: String) -> String {
        switch transport.lowercased() {
        case "tcp": "_sip._tcp." + DNSMessage.normalize(host)
        case "tls": "_sips._tcp." + DNSMessage.normalize(host)
        default: "_sip._udp." + DNSMessage.normalize(host)
        }
    }

    public func locate(host: String, port: Int?, transport: String) -> [Target] {
        if Self.isIPLiteral(host) { return [Target(host: host, port: port ?? 5060)] }
        if let port { return addresses(of: host).map { Target(host: $0, port: port) } }
        if let client, let response = try? client.query(Self.srvName(host: host, transport: transport), type: .srv),
           response.rcode == 0, !response.srvRecords.isEmpty {
            return targets(of: response, client: client)
        }
        return addresses(of: host).map { Target(host: $0, port: 5060) }
    }

    /// The SRV answer's targets in RFC 2782 order. Records exist, so there is no fallback to
    /// the host's own addresses: a lone "." target says the service is not offered there.
    func targets(of response: DNSResponse, client: DNSClient) -> [Target] {
        var result: [Target] = []
        for record in SRVOrdering.order(response.srvRecords.filter { $0.target != "." }) {
            var found = response.addresses(of: record.target)
            if found.isEmpty, let answer = try? client.query(record.target, type: .a), answer.rcode == 0 {
                found = answer.answers.compactMap { if case .a(let address) = $0.data { address } else { nil } }
            }
            if found.isEmpty { found = systemLookup(record.target) }
            for address in found where !result.contains(Target(host: address, port: Int(record.port))) {
                result.append(Target(host: address, port: Int(record.port)))
            }
        }
        return result
    }

    func addresses(of host: String) -> [String] {
        let found = systemLookup(host)
        if found.isEmpty, queryAddressesWithClient, let client,
           let answer = try? client.query(host, type: .a), answer.rcode == 0 {
            return answer.answers.compactMap { if case .a(let address) = $0.data { address } else { nil } }
        }
        return found
    }

    public static func isIPLiteral(_ host: String) -> Bool {
        if host.contains(":") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
