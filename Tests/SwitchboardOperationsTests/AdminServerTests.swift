import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwitchboardConfig
import SwitchboardOperations
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The admin endpoint over real loopback TCP: what curl, Prometheus and `switchboard` see.
@Suite(.serialized) struct AdminServerTests {
    /// One request on a fresh connection, read to the end (the server closes after an
    /// HTTP/1.0 answer or `Connection: close`). The blocking socket calls run on a dispatch
    /// thread: on the cooperative pool (two threads on a 2-core machine) they could hold the
    /// very threads the server's handlers need, and the answer would never come.
    static func exchange(port: Int, _ request: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingExchange(port: port, request) })
            }
        }
    }

    private static func blockingExchange(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        // Generous (bounded): the server answers from Swift tasks, which wait for a
        // cooperative thread while the rest of the suite runs in parallel.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            answer += buffer[..<n]
        }
        return String(decoding: answer, as: UTF8.self)
    }

    /// Runs an endpoint on a kernel-chosen loopback port for `body`, then shuts it down.
    static func withServer(token: AdminToken? = nil, bansLifted: @escaping @Sendable (String) -> Bool = { _ in false },
                           _ body: (Int) async throws -> Void) async throws {
        let metrics = DaemonMetrics()
        metrics.callsStarted.increment(by: 2)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let server = AdminServer(
            host: "127.0.0.1", port: 0, metrics: metrics, access: AdminAccess(token: token, listensOnLoopback: true),
            logger: Logger(label: "admin-test"),
            refresh: { loop.makeSucceededVoidFuture() },
            queues: { reveal in loop.makeSucceededFuture(Array(#"{"queues":[],"reveal":\#(reveal)}"#.utf8) + [0x0A]) },
            bans: BanControl(list: { loop.makeSucceededFuture(Array(#"{"bans":[]}"#.utf8)) },
                             lift: { loop.makeSucceededFuture(bansLifted($0)) }))
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: Logger(label: "admin-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Bounded, and generous: with the whole suite running in parallel the server's
            // task may wait a long time for a cooperative thread.
            let deadline = ContinuousClock.now + .seconds(60)
            while server.boundPort == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            let port = try #require(server.boundPort)
            defer { Task { await group.triggerGracefulShutdown() } }
            try await body(port)
        }
    }

    @Test func http10RequestsAreAnsweredInHTTP10AndClosed() async throws {
        try await Self.withServer { port in
            let answer = try await Self.exchange(port: port, "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.0 200 OK\r\n"), "\(answer)")
            #expect(answer.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), "\(answer)")
            #expect(answer.lowercased().contains("connection: close\r\n"), "\(answer)")
            #expect(answer.contains("switchboard_calls_started_total 2"), "\(answer)")
            let missing = try await Self.exchange(port: port, "GET /nowhere?x=1 HTTP/1.0\r\n\r\n")
            #expect(missing.hasPrefix("HTTP/1.0 404 Not Found\r\n"), "\(missing)")
            #expect(missing.hasSuffix("\r\n\r\nnot found: try /metrics, /queues or /bans\n"), "\(missing)")
        }
    }

    @Test func http11KeepsTheConnectionForTheNextRequest() async throws {
        try await Self.withServer { port in
            let two = try await Self.exchange(port: port, "GET /queues HTTP/1.1\r\nHost: x\r\n\r\nGET /bans HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(two.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 3, "\(two)")
            #expect(two.contains(#"{"queues":[],"reveal":false}"#), "\(two)")
            #expect(two.hasSuffix(#"{"bans":[]}"#), "\(two)")
            #expect(two.contains("Content-Type: application/json\r\n"), "\(two)")
        }
    }

    @Test func tokensAndBansOverTheWire() async throws {
        let token = AdminToken("0123456789abcdef-secret")!
        try await Self.withServer(token: token, bansLifted: { $0 == "192.0.2.7" }) { port in
            let wrong = try await Self.exchange(port: port, "GET /metrics HTTP/1.0\r\nAuthorization: Bearer 0123456789abcdef-secreX\r\n\r\n")
            #expect(wrong.hasPrefix("HTTP/1.0 401 Unauthorized\r\n"), "\(wrong)")
            #expect(wrong.contains("WWW-Authenticate: Bearer realm=\"switchboard\"\r\n"), "\(wrong)")
            #expect(wrong.hasSuffix("the bearer token does not match admin-token-file\n"), "\(wrong)")
            #expect(!wrong.contains("0123456789abcdef"))
            let revealed = try await Self.exchange(port: port, "GET /queues HTTP/1.0\r\nAuthorization: Bearer 0123456789abcdef-secret\r\n\r\n")
            #expect(revealed.contains(#""reveal":true"#), "\(revealed)")
            let unauthorizedLift = try await Self.exchange(port: port, "DELETE /bans/192.0.2.7 HTTP/1.0\r\n\r\n")
            #expect(unauthorizedLift.hasPrefix("HTTP/1.0 401"), "\(unauthorizedLift)")
            let lifted = try await Self.exchange(port: port, "DELETE /bans/192.0.2.7 HTTP/1.0\r\nAuthorization: Bearer 0123456789abcdef-secret\r\n\r\n")
            #expect(lifted.hasPrefix("HTTP/1.0 200 OK\r\n") && lifted.hasSuffix("lifted 192.0.2.7\n"), "\(lifted)")
            let notBanned = try await Self.exchange(port: port, "DELETE /bans/192.0.2.8 HTTP/1.0\r\nAuthorization: Bearer 0123456789abcdef-secret\r\n\r\n")
            #expect(notBanned.hasPrefix("HTTP/1.0 404") && notBanned.hasSuffix("192.0.2.8 is not banned\n"), "\(notBanned)")
            let head = try await Self.exchange(port: port, "HEAD /metrics HTTP/1.0\r\n\r\n")
            #expect(head.hasPrefix("HTTP/1.0 200"), "\(head)")
            #expect(head.hasSuffix("\r\n\r\n"), "\(head)")
            let post = try await Self.exchange(port: port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n")
            #expect(post.hasPrefix("HTTP/1.0 405") && post.contains("Allow: GET, HEAD\r\n"), "\(post)")
        }
    }
}
