import SIPMessage

/// Resolves a target's host name to IP addresses without blocking the event loop.
/// `completion` must be called on the engine's event loop, with an empty list on failure.
public protocol HostResolver: AnyObject {
    func resolve(_ host: String, _ completion: @escaping ([String]) -> Void)
    /// RFC 3263 §4.2 server location for a `sip:` URI's host name: `port` is the URI's
    /// explicit port (nil: none, so SRV applies), `transport` the one the URI asks for.
    /// Answers addresses with their ports, best first; empty on failure.
    func locate(_ host: String, port: Int?, transport: SIPTransportProtocol,
                _ completion: @escaping ([(host: String, port: Int)]) -> Void)
}

extension HostResolver {
    /// Without SRV support: the host's addresses on the URI's port or 5060.
    public func locate(_ host: String, port: Int?, transport: SIPTransportProtocol,
                       _ completion: @escaping ([(host: String, port: Int)]) -> Void) {
        resolve(host) { addresses in completion(addresses.map { (host: $0, port: port ?? 5060) }) }
    }
}
