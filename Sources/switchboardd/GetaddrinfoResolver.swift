import CallEngine
import Dispatch
import Foundation
import NIOCore

/// A/AAAA lookups with getaddrinfo on a small dispatch queue (it blocks), answered back on
/// the SIP event loop. SIPServerResolver adds RFC 3263 SRV on top of `lookup`.
final class GetaddrinfoResolver: HostResolver, @unchecked Sendable {
    let eventLoop: any EventLoop
    private let queue = DispatchQueue(label: "switchboard.dns", attributes: .concurrent)

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func resolve(_ host: String, _ completion: @escaping ([String]) -> Void) {
        nonisolated(unsafe) let completion = completion
        let loop = eventLoop
        queue.async {
            let addresses = Self.lookup(host)
            loop.execute { completion(addresses) }
        }
    }

    static func lookup(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [] }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(info.pointee.ai_addr, info.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            cursor = info.pointee.ai_next
        }
        // Prefer IPv4: our default listeners are IPv4 and most carriers still are.
        return addresses.filter { !$0.contains(":") } + addresses.filter { $0.contains(":") }
    }
}
