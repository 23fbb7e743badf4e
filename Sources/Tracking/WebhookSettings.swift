import Foundation

/// The post-call events an account may subscribe to (issue 16 item 5).
public enum WebhookEvent: String, Sendable, CaseIterable, Codable {
    /// The call is over and somebody (a target, an agent) answered it.
    case completed = "call.completed"
    /// The call is over and no outbound leg was answered.
    case missed = "call.missed"
}

/// One account's webhook endpoints (`accounts.NAME.webhooks` in web.yaml).
public struct AccountWebhooks: Sendable, Equatable {
    public var urls: [String]
    public var events: [WebhookEvent]
    public var secret: WebhookSecret

    public init(urls: [String], events: [WebhookEvent] = WebhookEvent.allCases, secret: WebhookSecret) {
        self.urls = urls
        self.events = events
        self.secret = secret
    }

    /// More endpoints than this per account are refused: each is one request per call.
    public static let maximumURLs = 5
}

/// How the delivery worker of `switchboard web` retries (`webhooks:` in web.yaml). Every
/// value is whole seconds; the defaults suit a CRM that is down for minutes to hours.
public struct WebhookPolicy: Sendable, Equatable {
    /// Seconds between rounds (enqueue finished calls, then send what is due). Default 5.
    public var interval = 5
    /// Seconds one request may take (connect to last byte). Default 10.
    public var timeout = 10
    /// Attempts before an event is marked dead. Default 10 (≈ 8.5 h with the defaults).
    public var maxAttempts = 10
    /// Wait after the first failure; doubled after each one, up to `maxBackoff`. Default 30.
    public var initialBackoff = 30
    public var maxBackoff = 3600
    /// Calls that started longer ago than this are never enqueued: switching webhooks on
    /// does not replay an account's whole history. Default 24 h (a journal replay after a
    /// longer outage sends nothing for it; `switchboard export` still sees those calls).
    public var lookback = 86_400
    /// Events claimed per round and worker. Default 20.
    public var batch = 20

    public init() {}

    /// Seconds to wait after failed attempt `attempt` (1-based): initial × 2^(attempt−1), capped.
    public func backoff(afterAttempt attempt: Int) -> Int {
        let doublings = min(max(attempt - 1, 0), 30)
        return min(maxBackoff, initialBackoff * (1 << doublings))
    }

    /// How long a claim keeps other workers off an event in flight: longer than any request.
    public var claimSeconds: Int { timeout + 30 }
}

/// The per-account signing secret, read from a file only its owner may read. Never printed:
/// `description` names only its length.
public struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    public static let minimumLength = 16
    public static let maximumLength = 4096
    public let bytes: [UInt8]

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (Self.minimumLength...Self.maximumLength).contains(trimmed.utf8.count),
              trimmed.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        bytes = Array(trimmed.utf8)
    }

    public var description: String { "<webhook secret, \(bytes.count) characters>" }

    /// The error text is the diagnostic's message.
    public static func read(path: String) -> Result<WebhookSecret, WebhookSecretError> {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            return .failure(.init(message: "cannot read secret-file '\(path)': no such file"))
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            return .failure(.init(message: "secret-file '\(path)' may be read by other users (mode \(String(mode & 0o777, radix: 8))): chmod 600 it"))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.init(message: "cannot read secret-file '\(path)'"))
        }
        guard let secret = WebhookSecret(String(decoding: data, as: UTF8.self)) else {
            return .failure(.init(message: "secret-file '\(path)' must hold one secret of \(minimumLength) to \(maximumLength) printable characters (e.g. openssl rand -hex 32)"))
        }
        return .success(secret)
    }
}

public struct WebhookSecretError: Error, Sendable {
    public let message: String
}
