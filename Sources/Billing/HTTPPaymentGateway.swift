import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// A Stripe-style processor over HTTPS: `POST {baseURL}/v1/payment_intents` (form-encoded:
/// customer, payment_method, amount, currency, confirm=true, off_session=true), bearer
/// secret, `Idempotency-Key` = our charge id. Timeouts, connection errors, 429 and 5xx are
/// retried here with backoff and the SAME key (the processor answers a repeated key with the
/// first result, so nothing is charged twice); 402 is a decline; other 4xx are failures.
public final class HTTPPaymentGateway: PaymentGateway, @unchecked Sendable {
    public struct Configuration: Sendable, CustomStringConvertible {
        public var baseURL: URL
        /// The API secret. Never logged (`description` redacts it).
        public var secretKey: String
        /// Per request.
        public var timeout: TimeInterval = 20
        /// Tries per charge within one send (first + retries).
        public var maxAttempts = 4
        /// Backoff before the first retry, doubled per retry.
        public var initialBackoff: TimeInterval = 0.5

        public init(baseURL: URL, secretKey: String) {
            self.baseURL = baseURL
            self.secretKey = secretKey
        }

        /// The secret from `SWITCHBOARD_PAYMENT_SECRET`, or from the first line of a file
        /// (`secretFile`, e.g. a systemd credential).
        public static func load(baseURL: URL, secretFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Configuration {
            if let secretFile {
                let text = try String(contentsOfFile: secretFile, encoding: .utf8)
                let secret = text.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
                guard !secret.isEmpty else { throw BillingError.invalid("payment secret file \(secretFile) is empty") }
                return Configuration(baseURL: baseURL, secretKey: secret)
            }
            guard let s = environment["SWITCHBOARD_PAYMENT_SECRET"], !s.isEmpty else {
                throw BillingError.invalid("no payment secret: set SWITCHBOARD_PAYMENT_SECRET or give a secret file")
            }
            return Configuration(baseURL: baseURL, secretKey: s)
        }

        public var description: String {
            "HTTPPaymentGateway.Configuration(baseURL: \(baseURL), secretKey: <redacted>, timeout: \(timeout), maxAttempts: \(maxAttempts))"
        }
    }

    public let configuration: Configuration
    private let session: URLSession
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "switchboard.billing.gateway")) {
        self.configuration = configuration
        self.logger = logger
        let c = URLSessionConfiguration.ephemeral
        c.timeoutIntervalForRequest = configuration.timeout
        c.timeoutIntervalForResource = configuration.timeout
        c.httpMaximumConnectionsPerHost = 2
        session = URLSession(configuration: c)
    }

    deinit { session.invalidateAndCancel() }

    public func charge(_ r: ChargeRequest) -> ChargeOutcome {
        withRetries(charge: r.chargeID.uuidString) { send(r) }
    }

    /// `GET /v1/payment_intents/{id}`: reads a payment in flight, never creates one.
    /// Transport errors, 429 and 5xx are retried here like a send; still no answer is
    /// `.failed` (the caller asks again later, the payment stays in flight).
    public func status(of reference: String) -> ChargeOutcome {
        withRetries(charge: reference) {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let id = reference.addingPercentEncoding(withAllowedCharacters: allowed) ?? reference
            var req = URLRequest(url: configuration.baseURL.appendingPathComponent("v1/payment_intents/\(id)"))
            req.httpMethod = "GET"
            return perform(req)
        }
    }

    private func withRetries(charge: String, _ attemptOnce: () -> Step) -> ChargeOutcome {
        var backoff = configuration.initialBackoff
        var lastError = "not sent"
        for attempt in 1...max(1, configuration.maxAttempts) {
            switch attemptOnce() {
            case .final(let outcome): return outcome
            case .retry(let why):
                lastError = why
                logger.notice("payment request failed; retrying (same idempotency key)",
                              metadata: ["charge": "\(charge)", "attempt": "\(attempt)", "error": "\(why)"])
            }
            if attempt < configuration.maxAttempts {
                Thread.sleep(forTimeInterval: backoff)
                backoff *= 2
            }
        }
        return .failed(lastError)
    }

    enum Step { case final(ChargeOutcome), retry(String) }

    static func formBody(_ r: ChargeRequest) -> String {
        var fields: [(String, String)] = []
        if let c = r.customer { fields.append(("customer", c)) }
        fields += [("payment_method", r.paymentMethod), ("amount", String(r.amount)), ("currency", r.currency.lowercased()),
                   ("confirm", "true"), ("off_session", "true"), ("description", r.description),
                   ("metadata[charge_id]", r.chargeID.uuidString.lowercased())]
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { k, v in
            (k.addingPercentEncoding(withAllowedCharacters: allowed) ?? k) + "=" + (v.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
    }

    private func send(_ r: ChargeRequest) -> Step {
        var req = URLRequest(url: configuration.baseURL.appendingPathComponent("v1/payment_intents"))
        req.httpMethod = "POST"
        req.setValue(r.idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        req.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        req.httpBody = Data(Self.formBody(r).utf8)
        return perform(req)
    }

    private func perform(_ request: URLRequest) -> Step {
        var req = request
        req.timeoutInterval = configuration.timeout
        req.setValue("Bearer \(configuration.secretKey)", forHTTPHeaderField: "Authorization")
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: req) { data, response, error in
            box.set(data, response as? HTTPURLResponse, error)
            done.signal()
        }
        task.resume()
        // URLSession enforces the timeout; this guard only covers a task that never calls back.
        if done.wait(timeout: .now() + configuration.timeout + 5) == .timedOut {
            task.cancel()
            return .retry("no answer within \(configuration.timeout) s")
        }
        let (data, response, error) = box.get()
        if let error { return .retry("transport: \(error.localizedDescription)") }
        guard let response else { return .retry("no HTTP response") }
        let json = data.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        let status = response.statusCode
        switch status {
        case 200..<300:
            guard let id = json?["id"] as? String else { return .retry("2xx without a payment intent id") }
            return .final(Self.outcome(ofIntent: id, json ?? [:]))
        case 402:
            let err = json?["error"] as? [String: Any]
            let code = (err?["decline_code"] as? String) ?? (err?["code"] as? String) ?? "card_declined"
            return .final(.declined(code: code, message: err?["message"] as? String ?? "declined"))
        case 409, 429, 500...599:
            return .retry("HTTP \(status)")
        default:
            let err = json?["error"] as? [String: Any]
            return .final(.failed("HTTP \(status): \(err?["message"] as? String ?? "rejected")"))
        }
    }
}

extension HTTPPaymentGateway {
    /// A payment intent's `status` as an outcome. `processing` (the bank has not answered
    /// yet, e.g. a debit) and `requires_action` / `requires_confirmation` /
    /// `requires_capture` (waiting on something else) are neither paid nor declined: in
    /// flight, polled by id. Re-sending them would only replay the same answer and, counted
    /// as failures, make an account past_due for money that arrives.
    /// `requires_payment_method` (the attempt failed) and `canceled` are declines.
    static func outcome(ofIntent id: String, _ json: [String: Any]) -> ChargeOutcome {
        let state = json["status"] as? String ?? "succeeded"
        switch state {
        case "succeeded":
            return .succeeded(reference: id)
        case "processing", "requires_action", "requires_confirmation", "requires_capture":
            return .inFlight(reference: id)
        default:
            let err = json["last_payment_error"] as? [String: Any]
            let code = (err?["decline_code"] as? String) ?? (err?["code"] as? String) ?? state
            return .declined(code: code, message: err?["message"] as? String ?? "payment \(id) is \(state)")
        }
    }
}

private final class ResponseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Data?, HTTPURLResponse?, Error?) = (nil, nil, nil)
    func set(_ d: Data?, _ r: HTTPURLResponse?, _ e: Error?) { lock.lock(); value = (d, r, e); lock.unlock() }
    func get() -> (Data?, HTTPURLResponse?, Error?) { lock.lock(); defer { lock.unlock() }; return value }
}
