import Dispatch

/// RFC 3263 §4.2 server location (`SIPServerLocator`: SRV for host names without a port,
/// else A/AAAA) and plain A/AAAA lookups, run on a concurrent dispatch queue because the DNS
/// client and getaddrinfo block. Completions are called on that queue: the daemon's
/// `HostResolver` hands them back to the SIP event loop. NAPTR (§4.1) is not done: the
/// transport comes from the URI's `transport` parameter or defaults to UDP.
public final class SIPServerResolution: Sendable {
    public let locator: SIPServerLocator
    private let queue = DispatchQueue(label: "switchboard.dns.srv", attributes: .concurrent)

    /// - Parameter server: `dns-server:` from the configuration; nil: resolv.conf's first
    ///   name server (no SRV lookups when there is none).
    public init(server: (host: String, port: Int)?) {
        let client: DNSClient?
        if let server {
            client = DNSClient(server: server.host, port: server.port)
        } else {
            client = DNSClient.systemNameServer().map { DNSClient(server: $0) }
        }
        locator = SIPServerLocator(client: client, queryAddressesWithClient: server != nil,
                                   systemLookup: { SystemAddressLookup.addresses(of: $0) })
    }

    /// The addresses of `host` (system resolver), IPv4 first.
    public func resolve(_ host: String, _ completion: @escaping @Sendable ([String]) -> Void) {
        queue.async { completion(SystemAddressLookup.addresses(of: host)) }
    }

    /// Where to send a request for `host` (`port` from the URI, if any), in RFC 2782 order.
    public func locate(_ host: String, port: Int?, transport: String,
                       _ completion: @escaping @Sendable ([SIPServerLocator.Target]) -> Void) {
        let locator = self.locator
        queue.async { completion(locator.locate(host: host, port: port, transport: transport)) }
    }
}
