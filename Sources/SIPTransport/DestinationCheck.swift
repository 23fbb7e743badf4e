import NIOCore

/// Decides, before anything is handed to a socket, whether a destination is one the kernel
/// would accept from that socket. It matters because NIO's datagram channel treats only
/// EMSGSIZE and EHOSTUNREACH as per-write errors: any other `sendmsg` errno (EINVAL for port 0
/// or for a non-loopback address from a loopback-bound socket, EACCES for a broadcast address,
/// ENETUNREACH for an IPv4-mapped address on an IPv6 socket) closes the listening socket. A
/// response's destination comes from the request's Via, that is from whoever sent it, so one
/// forged header must not be able to do that (issue 13, item 0).
///
/// What cannot be decided here (routes, netfilter) is caught by the listener watch, which
/// reopens a socket that closed anyway (`SIPTransport+Listeners.swift`).
public enum DestinationCheck {
    public enum Refusal: String, Error, Sendable, CaseIterable {
        /// Not an IP literal (a Via with a host name and no `received`).
        case notAnAddress = "not_an_address"
        /// Port 0 or above 65535.
        case invalidPort = "invalid_port"
        /// 0.0.0.0/8, `::`.
        case unspecified
        /// 224.0.0.0/4, ff00::/8: we never answer a group.
        case multicast
        /// 255.255.255.255, 127.255.255.255 and the broadcast address of any local interface.
        case broadcast
        /// 240.0.0.0/4 (class E): the kernel refuses it (EINVAL).
        case reserved
        /// No listening socket of the destination's address family.
        case wrongFamily = "wrong_family"
        /// The socket is bound to a loopback address, which cannot reach anything else (EINVAL).
        case notLoopback = "not_loopback"
    }

    /// A destination that passed: the address to hand to the socket (an IPv4-mapped IPv6
    /// address becomes its IPv4 address) and whether it needs the IPv6 socket.
    public struct Accepted: Equatable, Sendable {
        public var host: String
        public var port: Int
        public var isIPv6: Bool
    }

    /// The parsed form of an IP literal, enough for the checks.
    enum Address: Equatable {
        case v4(UInt8, UInt8, UInt8, UInt8)
        case v6([UInt16])  // 8 groups
    }

    /// - Parameters:
    ///   - host: an IP literal (IPv6 with or without brackets).
    ///   - broadcasts: broadcast addresses of the local interfaces (as `SocketAddress.ipAddress` writes them).
    ///   - haveIPv4/haveIPv6: which families we have a socket for.
    ///   - loopbackOnly: the socket of the destination's family is bound to a loopback address.
    public static func check(host: String, port: Int, broadcasts: Set<String> = [],
                             haveIPv4: Bool, haveIPv6: Bool,
                             loopbackOnly: (_ isIPv6: Bool) -> Bool = { _ in false }) -> Result<Accepted, Refusal> {
        guard (1...65_535).contains(port) else { return .failure(.invalidPort) }
        guard var address = parse(host) else { return .failure(.notAnAddress) }
        if case .v6(let g) = address, g[0...4].allSatisfy({ $0 == 0 }), g[5] == 0xFFFF {
            // ::ffff:a.b.c.d is an IPv4 peer: send from the IPv4 socket.
            address = .v4(UInt8(g[6] >> 8), UInt8(g[6] & 0xFF), UInt8(g[7] >> 8), UInt8(g[7] & 0xFF))
        }
        let text: String
        let isLoopback: Bool
        switch address {
        case .v4(let a, let b, let c, let d):
            if a == 0 { return .failure(.unspecified) }
            if a >= 224, a <= 239 { return .failure(.multicast) }
            if a == 255, b == 255, c == 255, d == 255 { return .failure(.broadcast) }
            if a == 127, b == 255, c == 255, d == 255 { return .failure(.broadcast) }
            if a >= 240 { return .failure(.reserved) }
            text = "\(a).\(b).\(c).\(d)"
            if broadcasts.contains(text) { return .failure(.broadcast) }
            guard haveIPv4 else { return .failure(.wrongFamily) }
            isLoopback = a == 127
            if loopbackOnly(false), !isLoopback { return .failure(.notLoopback) }
            return .success(Accepted(host: text, port: port, isIPv6: false))
        case .v6(let g):
            if g.allSatisfy({ $0 == 0 }) { return .failure(.unspecified) }
            if g[0] >> 8 == 0xFF { return .failure(.multicast) }
            guard haveIPv6 else { return .failure(.wrongFamily) }
            isLoopback = g[0...6].allSatisfy({ $0 == 0 }) && g[7] == 1
            if loopbackOnly(true), !isLoopback { return .failure(.notLoopback) }
            text = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            return .success(Accepted(host: text, port: port, isIPv6: true))
        }
    }

    /// True for 127.0.0.0/8 and ::1 (what a loopback-bound socket can reach).
    public static func isLoopback(_ host: String) -> Bool {
        switch parse(host) {
        case .v4(let a, _, _, _): return a == 127
        case .v6(let g): return g[0...6].allSatisfy({ $0 == 0 }) && g[7] == 1
        case nil: return false
        }
    }

    /// Parses an IP literal through `SocketAddress` (inet_pton) and reads its bytes back.
    static func parse(_ host: String) -> Address? {
        var literal = Substring(host)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        guard let address = try? SocketAddress(ipAddress: String(literal), port: 0) else { return nil }
        switch address {
        case .v4:
            let parts = (address.ipAddress ?? "").split(separator: ".").compactMap { UInt8($0) }
            guard parts.count == 4 else { return nil }
            return .v4(parts[0], parts[1], parts[2], parts[3])
        case .v6:
            return parseIPv6(String(literal))
        default:
            return nil
        }
    }

    /// RFC 4291 §2.2 text forms (inet_pton already accepted it): groups, one `::`, and an
    /// optional dotted IPv4 tail.
    static func parseIPv6(_ text: String) -> Address? {
        func groups(_ part: Substring) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains(".") {
                    let q = piece.split(separator: ".").compactMap { UInt8($0) }
                    guard q.count == 4 else { return nil }
                    out.append(UInt16(q[0]) << 8 | UInt16(q[1]))
                    out.append(UInt16(q[2]) << 8 | UInt16(q[3]))
                } else {
                    guard let g = UInt16(piece, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        let halves = text.components(separatedBy: "::")
        if halves.count == 2 {
            guard let head = groups(Substring(halves[0])), let tail = groups(Substring(halves[1])),
                  head.count + tail.count <= 7 else { return nil }
            return .v6(head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail)
        }
        guard let all = groups(Substring(text)), all.count == 8 else { return nil }
        return .v6(all)
    }
}
