import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One signed webhook POST. The body is sent as stored; the signature covers
/// `<timestamp>.<body>` with the account's secret (`WebhookSignature`).
public final class WebhookSender: @unchecked Sendable {
    public enum Outcome: Sendable, Equatable {
        case delivered(status: Int)
        /// Retry later: a transport error, a timeout, or any status but 2xx.
        case failed(status: Int?, reason: String)
    }

    private let session: URLSession
    let timeout: TimeInterval

    public init(timeout: Int) {
        self.timeout = TimeInterval(timeout)
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = self.timeout
        c.timeoutIntervalForResource = self.timeout
        c.httpCookieStorage = nil
        c.urlCache = nil
        session = URLSession(configuration: c)
    }

    deinit { session.invalidateAndCancel() }

    public func send(_ event: WebhookOutbox.Claimed, secret: WebhookSecret, now: Int = Int(Date().timeIntervalSince1970)) -> Outcome {
        guard let url = URL(string: event.url) else { return .failed(status: nil, reason: "not a URL") }
        let body = Array(event.payload.utf8)
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("switchboard-webhooks/1", forHTTPHeaderField: "User-Agent")
        request.setValue(event.idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        request.setValue(event.event, forHTTPHeaderField: "Switchboard-Event")
        request.setValue(String(event.attempt), forHTTPHeaderField: "Switchboard-Attempt")
        request.setValue(WebhookSignature.sign(body: body, timestamp: now, secret: secret), forHTTPHeaderField: WebhookSignature.header)
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { _, response, error in
            box.set((response as? HTTPURLResponse)?.statusCode, error)
            done.signal()
        }
        task.resume()
        // URLSession enforces the timeout; this only covers a task that never calls back.
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            return .failed(status: nil, reason: "no answer within \(Int(timeout)) s")
        }
        let (status, error) = box.get()
        if let error { return .failed(status: nil, reason: "transport: \(error.localizedDescription)") }
        guard let status else { return .failed(status: nil, reason: "no HTTP response") }
        return (200..<300).contains(status) ? .delivered(status: status) : .failed(status: status, reason: "HTTP \(status)")
    }

    private final class Box: @unchecked Sendable {
        private let lock = NSLock()
        private var status: Int?
        private var error: (any Error)?
        func set(_ s: Int?, _ e: (any Error)?) { lock.lock(); status = s; error = e; lock.unlock() }
        func get() -> (Int?, (any Error)?) { lock.lock(); defer { lock.unlock() }; return (status, error) }
    }
}
