#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking DNS-over-UDP client for one IPv4 name server. Call it from a background queue,
/// never from an event loop: each query waits up to `timeout` seconds, `attempts` times.
/// Answers that do not match the query (id, source, question) are ignored. Truncated
/// answers are used as they are (no TCP retry).
public struct DNSClient: Sendable {
    public var server: String
    public var port: Int
    public var timeoutSeconds: Int
    public var attempts: Int

    public init(server: String, port: Int = 53, timeoutSeconds: Int = 2, attempts: Int = 2) {
        self.server = server
        self.port = port
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
    }

    /// The first IPv4 `nameserver` of resolv.conf, or nil.
    public static func systemNameServer(resolvConf path: String = "/etc/resolv.conf") -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let fields = String(cString: line).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if fields.count >= 2, fields[0] == "nameserver", isIPv4(String(fields[1])) { return String(fields[1]) }
        }
        return nil
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    public enum QueryError: Error, Equatable {
        case badName
        case badServer
        case socket(Int32)
        case timeout
    }

    /// Sends the query and returns the first matching answer, whatever its rcode.
    public func query(_ name: String, type: DNSRecordType) throws(QueryError) -> DNSResponse {
        let id = UInt16.random(in: 0...UInt16.max)
        guard let packet = DNSMessage.query(id: id, name: name, type: type) else { throw .badName }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard (1...65535).contains(port), inet_pton(AF_INET, server, &address.sin_addr) == 1 else { throw .badServer }

        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw .socket(errno) }
        defer { close(fd) }
        // connect(): the kernel then drops datagrams from any other source.
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw .socket(errno) }

        var buffer = [UInt8](repeating: 0, count: 4096)
        let wanted = DNSMessage.normalize(name)
        for _ in 0..<max(1, attempts) {
            guard send(fd, packet, packet.count, 0) == packet.count else { throw .socket(errno) }
            let deadline = Self.now() + Double(timeoutSeconds)
            while true {
                let remaining = deadline - Self.now()
                if remaining <= 0 { break }
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, Int32(remaining * 1000) + 1)
                if ready < 0 && errno == EINTR { continue }
                if ready <= 0 { break }
                let count = recv(fd, &buffer, buffer.count, 0)
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    if errno == ECONNREFUSED { break }   // ICMP port unreachable: try again, then give up
                    throw .socket(errno)
                }
                guard let response = try? DNSMessage.parse(Array(buffer[0..<count])),
                      response.id == id, response.questionName == wanted, response.questionType == type.rawValue
                else { continue }
                return response
            }
        }
        throw .timeout
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
