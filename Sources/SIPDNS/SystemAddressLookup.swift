import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The system resolver (getaddrinfo(3): /etc/hosts, then resolv.conf's name servers) as the
/// SIP side uses it: the numeric addresses of a name, IPv4 first, each once; empty when the
/// name does not resolve. Blocking: `SIPServerResolution` runs it off the event loops.
public enum SystemAddressLookup {
    public static func addresses(of host: String) -> [String] {
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
