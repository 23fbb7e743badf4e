import Foundation

/// An IPv4 or IPv6 network in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`, or a single
/// address meaning /32 or /128). Used for the trusted-carrier list: only these sources may
/// start calls (toll-fraud protection, see the developers' guide "Security by default").
public struct CIDR: Sendable, Hashable, CustomStringConvertible {
    /// 16 bytes; IPv4 stored as IPv4-mapped IPv6 (::ffff:a.b.c.d) so one comparison serves both.
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        let address = String(parts[0])
        guard let bytes = CIDR.parseAddress(address) else { return nil }
        let isV4 = !address.contains(":")
        let maxBits = isV4 ? 32 : 128
        var bits = maxBits
        if parts.count == 2 {
            guard let b = Int(parts[1]), (0...maxBits).contains(b) else { return nil }
            bits = b
        }
        prefixLength = isV4 ? bits + 96 : bits
        network = CIDR.mask(bytes, prefixLength)
        description = text
    }

    /// Whether `address` (an IP literal, IPv6 possibly in brackets) lies in this network.
    public func contains(_ address: String) -> Bool {
        guard let bytes = CIDR.parseAddress(address) else { return false }
        return CIDR.mask(bytes, prefixLength) == network
    }

    static func mask(_ bytes: [UInt8], _ bits: Int) -> [UInt8] {
        var out = bytes
        for i in 0..<16 {
            let keep = max(0, min(8, bits - i * 8))
            out[i] &= keep == 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        return out
    }

    /// Parses with inet_pton; IPv4 becomes IPv4-mapped IPv6.
    static func parseAddress(_ text: String) -> [UInt8]? {
        var host = text
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let pct = host.firstIndex(of: "%") { host = String(host[..<pct]) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let b = withUnsafeBytes(of: &v4) { Array($0) }
            return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + b
        }
        return nil
    }
}
