import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately dumb SIP peer for wire tests: sends raw bytes (torture messages, garbage)
/// over UDP or TCP on loopback and collects whatever comes back within a timeout.
public final class RawSIPClient {
    public enum Kind { case udp, tcp }

    private(set) var fd: Int32
    let kind: Kind

    /// - Parameter host: "127.0.0.1" or "::1".
    /// - Parameter localHost: the loopback address to send from (e.g. "127.0.0.5", an untrusted
    ///   source when only 127.0.0.1 is trusted); the kernel's choice when nil.
    public init(_ kind: Kind, host: String = "127.0.0.1", port: Int, receiveTimeout: TimeInterval = 1,
                localHost: String? = nil) throws {
        self.kind = kind
        let v6 = host.contains(":")
        let family = v6 ? AF_INET6 : AF_INET
        let type = kind == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        fd = socket(family, type, 0)
        guard fd >= 0 else { throw RawSIPClientError.socket(errno) }
        var tv = timeval(tv_sec: Int(receiveTimeout), tv_usec: Int((receiveTimeout - Double(Int(receiveTimeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let localHost, !v6 {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            inet_pton(AF_INET, localHost, &local.sin_addr)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { let e = errno; close(fd); fd = -1; throw RawSIPClientError.connect(e) }
        }
        let rc: Int32
        if v6 {
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET6, host, &addr.sin6_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &addr.sin_addr)
            rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard rc == 0 else { let e = errno; close(fd); fd = -1; throw RawSIPClientError.connect(e) }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// The local port, to build Via headers that point back at this client.
    public var localPort: Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        let family = storage.ss_family
        return withUnsafePointer(to: &storage) { p -> Int in
            if family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }

    public func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    public func send(_ text: String) { send(Array(text.utf8)) }

    /// Sends `text` in pieces of `step` bytes with `pause` between them (a slow drip).
    public func drip(_ text: String, step: Int = 1, pause: TimeInterval = 0.002) {
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            send(Array(bytes[i..<min(i + step, bytes.count)]))
            i += step
            usleep(useconds_t(pause * 1_000_000))
        }
    }

    /// Aborts a TCP connection with a RST (SO_LINGER 0) instead of a FIN; the client is
    /// unusable afterwards.
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(fd)
        fd = -1
    }

    /// Everything received until the timeout passes with nothing new (or the peer closes).
    public func receiveAll() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[0..<n]
        }
        return out
    }

    /// Receives until the peer closes the connection or `timeout` passes; true if it closed.
    public func waitForClose(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n < 0, errno != EAGAIN, errno != EWOULDBLOCK { return true }
        }
        return false
    }

    /// Status codes of every response line found in `bytes`, in order.
    public static func statusCodes(in bytes: [UInt8]) -> [Int] {
        let text = String(decoding: bytes, as: UTF8.self)
        var codes: [Int] = []
        for line in text.components(separatedBy: "\r\n") where line.hasPrefix("SIP/2.0 ") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let c = Int(parts[1]) { codes.append(c) }
        }
        return codes
    }
}

public enum RawSIPClientError: Error {
    case socket(Int32)
    case connect(Int32)
}
