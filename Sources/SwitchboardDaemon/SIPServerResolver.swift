import CallEngine
import NIOCore
import SIPDNS
import SIPMessage

/// The engine's `HostResolver` on one SIP event loop: `SIPDNS.SIPServerResolution` does the
/// (blocking) RFC 3263 lookups on its own queue, and the answers are handed back here, on
/// the loop that owns the call.
final class SIPServerResolver: HostResolver, @unchecked Sendable {
    let eventLoop: any EventLoop
    let resolution: SIPServerResolution

    /// - Parameter server: `dns-server:` from the configuration; nil: resolv.conf's first name server.
    init(eventLoop: any EventLoop, server: (host: String, port: Int)?) {
        self.eventLoop = eventLoop
        resolution = SIPServerResolution(server: server)
    }

    func resolve(_ host: String, _ completion: @escaping ([String]) -> Void) {
        nonisolated(unsafe) let completion = completion
        let loop = eventLoop
        resolution.resolve(host) { addresses in loop.execute { completion(addresses) } }
    }

    func locate(_ host: String, port: Int?, transport: SIPTransportProtocol,
                _ completion: @escaping ([(host: String, port: Int)]) -> Void) {
        nonisolated(unsafe) let completion = completion
        let loop = eventLoop
        resolution.locate(host, port: port, transport: transport.rawValue) { targets in
            loop.execute { completion(targets.map { (host: $0.host, port: $0.port) }) }
        }
    }
}
