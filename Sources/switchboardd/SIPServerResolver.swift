import CallEngine
import Dispatch
import NIOCore
import SIPDNS
import SIPMessage

/// RFC 3263 §4.2 server location (SIPDNS.SIPServerLocator: SRV for host names without a
/// port, else A/AAAA) on a dispatch queue, since the DNS client and getaddrinfo block;
/// answers are handed back on the SIP event loop. NAPTR (§4.1) is not done: the transport
/// comes from the URI's `transport` parameter or defaults to UDP.
final class SIPServerResolver: HostResolver, @unchecked Sendable {
    let eventLoop: any EventLoop
    let locator: SIPServerLocator
    private let queue = DispatchQueue(label: "switchboard.dns.srv", attributes: .concurrent)

    /// - Parameter server: `dns-server:` from the configuration; nil: resolv.conf's first name server.
    init(eventLoop: any EventLoop, server: (host: String, port: Int)?) {
        self.eventLoop = eventLoop
        let client: DNSClient?
        if let server {
            client = DNSClient(server: server.host, port: server.port)
        } else {
            client = DNSClient.systemNameServer().map { DNSClient(server: $0) }
        }
        locator = SIPServerLocator(client: client, queryAddressesWithClient: server != nil,
                                   systemLookup: { GetaddrinfoResolver.lookup($0) })
    }

    func resolve(_ host: String, _ completion: @escaping ([String]) -> Void) {
        nonisolated(unsafe) let completion = completion
        let loop = eventLoop
        queue.async {
            let addresses = GetaddrinfoResolver.lookup(host)
            loop.execute { completion(addresses) }
        }
    }

    func locate(_ host: String, port: Int?, transport: SIPTransportProtocol,
                _ completion: @escaping ([(host: String, port: Int)]) -> Void) {
        nonisolated(unsafe) let completion = completion
        let loop = eventLoop
        let locator = self.locator
        queue.async {
            let targets = locator.locate(host: host, port: port, transport: transport.rawValue)
            loop.execute { completion(targets.map { (host: $0.host, port: $0.port) }) }
        }
    }
}
