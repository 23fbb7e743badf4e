import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Stripe-like payment processor on 127.0.0.1 for gateway tests: a blocking socket
/// server, one thread per connection. Like the real thing it remembers the result of each
/// `Idempotency-Key` and answers a repeated key with it, never charging twice; it counts
/// every request and every charge per key so tests can assert exactly that.
final class TestPaymentServer: @unchecked Sendable {
    struct Request {
        var method: String
        var path: String
        var headers: [String: String]  // lower-cased names
        var form: [String: String]
        var receivedAt: Date
    }

    /// What to do with a request the server has no stored result for (n = requests seen
    /// for this key so far, counting this one).
    enum Action {
        /// Charge and answer 200 with a succeeded payment intent.
        case succeed
        /// Charge, store the result, but answer only after `delay` seconds (a client with
        /// a shorter timeout gives up and retries).
        case succeedSlowly(delay: TimeInterval)
        /// 402 card error (stored, like Stripe stores declines).
        case decline(code: String)
        /// 500 without charging or storing anything.
        case serverError
        /// Create the payment intent but answer 200 `status` (`processing`,
        /// `requires_action`); it settles after `polls` GETs of it: charged (`succeeds`) or
        /// `requires_payment_method` (the bank refused). The answer is stored for the key,
        /// like every other one.
        case inFlight(status: String, polls: Int, succeeds: Bool)
    }

    /// A payment intent created in flight (`inFlight`).
    private struct Intent {
        var key: String
        var status: String
        var pollsLeft: Int
        var succeeds: Bool
    }

    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var stored: [String: (Int, String)] = [:]
    private var intents: [String: Intent] = [:]
    private var _requests: [Request] = []
    private var _charges: [String: Int] = [:]
    private var script: @Sendable (_ key: String, _ n: Int) -> Action
    private var stopped = false

    init(script: @escaping @Sendable (_ key: String, _ n: Int) -> Action = { _, _ in .succeed }) throws {
        self.script = script
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard sock >= 0 else { throw POSIXError(.EIO) }
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(sock, 64) == 0 else { close(sock); throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    deinit { stop() }

    func stop() {
        lock.lock()
        let was = stopped
        stopped = true
        lock.unlock()
        if !was { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }
    /// POSTs (payment creations asked for) per idempotency key, replays included.
    var posts: [String: Int] {
        lock.lock(); defer { lock.unlock() }
        return _requests.filter { $0.method == "POST" }.reduce(into: [:]) { $0[$1.headers["idempotency-key"] ?? "", default: 0] += 1 }
    }
    /// Times each idempotency key was actually charged.
    var charges: [String: Int] { lock.lock(); defer { lock.unlock() }; return _charges }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            let t = Thread { [self] in handle(c) }
            t.start()
        }
    }

    private func handle(_ c: Int32) {
        defer { close(c) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        // Serve requests on this connection until the client closes it.
        while true {
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = find(buffer) { headerEnd = r; break }
                let n = recv(c, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            var headers: [String: String] = [:]
            for l in lines {
                guard let colon = l.firstIndex(of: ":") else { continue }
                headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = headerEnd! + 4
            while buffer.count < bodyStart + length {
                let n = recv(c, &chunk, chunk.count, 0)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let body = String(decoding: buffer[bodyStart..<(bodyStart + length)], as: UTF8.self)
            buffer.removeFirst(bodyStart + length)
            var form: [String: String] = [:]
            for pair in body.split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
                if kv.count == 2 { form[kv[0]] = kv[1] }
            }
            let req = Request(method: String(requestLine.first ?? ""), path: requestLine.count > 1 ? String(requestLine[1]) : "",
                              headers: headers, form: form, receivedAt: Date())
            let (status, json, delay) = respond(req)
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            let reason = status == 200 ? "OK" : status == 402 ? "Payment Required" : status == 401 ? "Unauthorized" : "Error"
            let response = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\nConnection: close\r\n\r\n\(json)"
            let bytes = Array(response.utf8)
            _ = bytes.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            return
        }
    }

    private func find(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }

    private func respond(_ req: Request) -> (Int, String, TimeInterval) {
        lock.lock(); defer { lock.unlock() }
        _requests.append(req)
        guard req.headers["authorization"] == "Bearer sk_test_secret" else {
            return (401, #"{"error":{"type":"invalid_request_error","message":"bad key"}}"#, 0)
        }
        if req.method == "GET", req.path.hasPrefix("/v1/payment_intents/") {
            let (status, json) = poll(String(req.path.dropFirst("/v1/payment_intents/".count)))
            return (status, json, 0)
        }
        guard req.method == "POST", req.path == "/v1/payment_intents", let key = req.headers["idempotency-key"] else {
            return (400, #"{"error":{"message":"bad request"}}"#, 0)
        }
        if let s = stored[key] { return (s.0, s.1, 0) }
        let n = _requests.filter { $0.headers["idempotency-key"] == key }.count
        switch script(key, n) {
        case .succeed, .succeedSlowly:
            _charges[key, default: 0] += 1
            let json = #"{"id":"pi_\#(key.prefix(8))","object":"payment_intent","status":"succeeded","amount":\#(req.form["amount"] ?? "0")}"#
            stored[key] = (200, json)
            if case .succeedSlowly(let d) = script(key, n) { return (200, json, d) }
            return (200, json, 0)
        case .decline(let code):
            let json = #"{"error":{"type":"card_error","code":"card_declined","decline_code":"\#(code)","message":"Your card was declined."}}"#
            stored[key] = (402, json)
            return (402, json, 0)
        case .serverError:
            return (500, #"{"error":{"type":"api_error","message":"try again"}}"#, 0)
        case .inFlight(let status, let polls, let succeeds):
            let id = "pi_" + key.prefix(8)
            intents[id] = Intent(key: key, status: status, pollsLeft: polls, succeeds: succeeds)
            let json = #"{"id":"\#(id)","object":"payment_intent","status":"\#(status)","amount":\#(req.form["amount"] ?? "0")}"#
            stored[key] = (200, json)
            return (200, json, 0)
        }
    }

    /// GET of a payment intent (lock held): its status now; an intent in flight settles
    /// after its polls.
    private func poll(_ id: String) -> (Int, String) {
        guard var intent = intents[id] else {
            return (404, #"{"error":{"type":"invalid_request_error","message":"No such payment_intent"}}"#)
        }
        if intent.pollsLeft > 0 {
            intent.pollsLeft -= 1
            if intent.pollsLeft == 0 {
                intent.status = intent.succeeds ? "succeeded" : "requires_payment_method"
                if intent.succeeds { _charges[intent.key, default: 0] += 1 }
            }
            intents[id] = intent
        }
        let error = intent.status == "requires_payment_method"
            ? #","last_payment_error":{"code":"card_declined","decline_code":"insufficient_funds","message":"The bank refused."}"# : ""
        return (200, #"{"id":"\#(id)","object":"payment_intent","status":"\#(intent.status)"\#(error)}"#)
    }
}
