import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for tests that start real processes: asks the kernel for a port free on
/// both UDP and TCP, so parallel tests never collide.
public enum FreePort {
    public static func next(host: String = "127.0.0.1") -> Int {
        for _ in 0..<100 {
            let port = bind(Int32(SOCK_STREAM.rawValue), host: host, port: 0)
            if port > 0, bind(Int32(SOCK_DGRAM.rawValue), host: host, port: port) == port { return port }
        }
        fatalError("no free loopback port")
    }

    /// Binds a socket of `type` and returns the bound port (0 on failure); closes it again.
    public static func bind(_ type: Int32, host: String, port: Int) -> Int {
        let fd = socket(AF_INET, Int32(type), 0)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { return 0 }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: bound.sin_port))
    }
}
