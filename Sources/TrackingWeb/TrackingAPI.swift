import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Tracking

/// The handlers of `switchboard web`: the public session endpoints the snippet calls, the
/// snippet itself, and the admin API. Every input is checked here and refused with a 4xx and
/// a reason; the lease logic is `Tracking.LeaseStore`.
struct TrackingAPI: Sendable {
    let configuration: WebConfiguration
    let pools: PoolDirectory
    let database: DatabasePool

    // MARK: Public (the snippet)

    /// `POST /v1/sessions`
    func createSession(_ request: Request, context: WebRequestContext) async throws -> Response {
        var request = request
        let body: SessionRequest = try await decode(&request)
        if let problem = body.problem() { throw APIError(.badRequest, problem) }
        let account = try allowedAccount(key: body.key, request: request)
        guard pools.pool(account: account.name, name: body.pool) != nil else {
            let known = pools.pools[account.name].map { $0.keys.sorted().joined(separator: ", ") } ?? ""
            throw APIError(.notFound, "unknown pool '\(body.pool)' for account '\(account.name)'"
                           + (known.isEmpty ? " (it has no pools)" : " (pools: \(known))"))
        }
        let policy = configuration.sessions
        let lease: SessionLease
        do {
            lease = try await database.withStore { try $0.createSession(account: account.name, request: body, policy: policy) }
        } catch let error as LeaseError {
            switch error {
            case .poolEmpty(let a, let p):
                throw APIError(.serviceUnavailable, "pool '\(p)' of account '\(a)' has no numbers in the database yet",
                               headers: cors(request, account) + [.retryAfter: "30"])
            case .poolBusy(let a, let p):
                throw APIError(.serviceUnavailable, "every number of pool '\(p)' of account '\(a)' is being leased right now",
                               headers: cors(request, account) + [.retryAfter: "1"])
            }
        }
        let display = NumberDisplay(e164: lease.number)
        let payload = SessionResponse(sessionID: lease.sessionID.uuidString.lowercased(), number: lease.number,
                                      national: display.national, international: display.international,
                                      region: display.region, expiresAt: lease.expiresAt,
                                      heartbeatSeconds: policy.heartbeatInterval, tookOver: lease.tookOver)
        return try json(payload, status: .created, headers: cors(request, account))
    }

    /// `POST /v1/sessions/{id}/heartbeat`
    func heartbeat(_ request: Request, context: WebRequestContext) async throws -> Response {
        var request = request
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError(.badRequest, "session id must be a UUID")
        }
        let body: HeartbeatRequest = try await decode(&request)
        let account = try allowedAccount(key: body.key, request: request)
        let policy = configuration.sessions
        let outcome = try await database.withStore { try $0.heartbeat(sessionID: id, account: account.name, policy: policy) }
        let headers = cors(request, account)
        switch outcome {
        case .extended(let number, let expires):
            return try json(HeartbeatResponse(number: number, expiresAt: expires, heartbeatSeconds: policy.heartbeatInterval),
                            status: .ok, headers: headers)
        case .unknownSession:
            throw APIError(.notFound, "no session \(text) for this key", headers: headers)
        case .expired:
            throw APIError(.gone, "session expired: start a new one", headers: headers)
        case .takenOver:
            throw APIError(.gone, "session's number was given to another visitor: start a new one", headers: headers)
        }
    }

    /// `OPTIONS /v1/sessions…`: a CORS preflight (a page sending `application/json`). The key
    /// is in the body, which a preflight lacks, so any configured origin passes here and the
    /// real request is checked against its own account.
    func preflight(_ request: Request, context: WebRequestContext) async throws -> Response {
        guard let origin = request.headers[.origin],
              configuration.accounts.values.contains(where: { $0.allows(origin: origin) }) else {
            throw APIError(.forbidden, "origin not allowed")
        }
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlAllowMethods] = "POST, OPTIONS"
        headers[.accessControlAllowHeaders] = "Content-Type"
        headers[.accessControlMaxAge] = "600"
        headers[.vary] = "Origin"
        return Response(status: .noContent, headers: headers)
    }

    /// `GET /v1/snippet.js`
    func snippet(_ request: Request, context: WebRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/javascript; charset=utf-8"
        headers[.cacheControl] = "public, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: SnippetSource.javascript)))
    }

    // MARK: Admin (bearer token)

    /// `GET /v1/admin/pools`: numbers, leased, free and takeovers per pool.
    func poolStatus(_ request: Request, context: WebRequestContext) async throws -> Response {
        try requireAdmin(request)
        let status = try await database.withStore { try $0.poolStatus() }
        return try json(status, status: .ok)
    }

    /// `GET /v1/admin/metrics`: Prometheus text. Labels are the configured account and pool
    /// names only (a fixed set), never per-session values.
    func metrics(_ request: Request, context: WebRequestContext) async throws -> Response {
        try requireAdmin(request)
        let (status, unattributed, outbox) = try await database.withStore { store in
            (try store.poolStatus(), try store.unattributedCalls(), try WebhookOutbox(connection: store.connection).counts())
        }
        var text = ""
        func family(_ name: String, _ type: String, _ help: String, _ value: (PoolStatus) -> Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for p in status { text += "\(name){account=\"\(p.account)\",pool=\"\(p.pool)\"} \(value(p))\n" }
        }
        family("switchboard_dni_pool_numbers", "gauge", "Numbers in the pool.") { $0.numbers }
        family("switchboard_dni_pool_leased", "gauge", "Numbers leased to a live session.") { $0.leased }
        family("switchboard_dni_pool_free", "gauge", "Numbers free to lease.") { $0.free }
        family("switchboard_dni_takeovers_total", "counter", "Leases taken over because the pool was full.") { $0.takeovers }
        family("switchboard_dni_unattributed_calls_total", "counter", "Calls to a pool number nobody held.") {
            unattributed["\($0.account)/\($0.pool)"] ?? 0
        }
        family("switchboard_dni_pool_nearly_full", "gauge", "1 when more than 75 % of the pool is leased.") {
            PoolAdvice.isNearlyFull(leased: $0.leased, size: $0.numbers) ? 1 : 0
        }
        // Webhook events by state (dead ones wait for `switchboard webhooks retry`).
        text += "# HELP switchboard_webhook_events Webhook events in the outbox by state.\n# TYPE switchboard_webhook_events gauge\n"
        for account in configuration.accounts.values.filter({ $0.webhooks != nil }).map(\.name).sorted() {
            for state in ["pending", "delivered", "dead"] {
                let n = outbox.first { $0.account == account && $0.state == state }?.count ?? 0
                text += "switchboard_webhook_events{account=\"\(account)\",state=\"\(state)\"} \(n)\n"
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Logs a warning for each pool above 75 % leased, with how many numbers to add.
    func warnAboutFullPools(logger: Logger) async {
        guard let status = try? await database.withStore({ try $0.poolStatus() }) else { return }
        for p in status where PoolAdvice.isNearlyFull(leased: p.leased, size: p.numbers) {
            logger.warning("pool above 75 % leased", metadata: [
                "account": "\(p.account)", "pool": "\(p.pool)", "leased": "\(p.leased)", "numbers": "\(p.numbers)",
                "advice": "add \(PoolAdvice.numbersToAdd(size: p.numbers, peak: p.leased)) numbers (switchboard pools advise)"])
        }
    }

    // MARK: - Checks

    /// The account of `key`, if the request's `Origin` is one of its sites.
    private func allowedAccount(key: String?, request: Request) throws -> WebAccount {
        guard let key, !key.isEmpty else { throw APIError(.badRequest, "key is missing") }
        guard let account = configuration.account(publicKey: key) else { throw APIError(.forbidden, "unknown key") }
        guard let origin = request.headers[.origin] else {
            throw APIError(.forbidden, "Origin header missing (requests come from a page of the account's site)")
        }
        guard account.allows(origin: origin) else { throw APIError(.forbidden, "origin \(origin) not allowed for this key") }
        return account
    }

    func requireAdmin(_ request: Request) throws {
        guard let token = configuration.adminToken else {
            throw APIError(.forbidden, "admin API disabled (no admin-token-file configured)")
        }
        guard token.matches(authorization: request.headers[.authorization]) else {
            throw APIError(.unauthorized, "admin token required", headers: [.wwwAuthenticate: "Bearer"])
        }
    }

    private func cors(_ request: Request, _ account: WebAccount) -> HTTPFields {
        var headers = HTTPFields()
        if let origin = request.headers[.origin], account.allows(origin: origin) {
            headers[.accessControlAllowOrigin] = origin
        }
        headers[.vary] = "Origin"
        return headers
    }

    /// JSON body (sent as `application/json`, or `text/plain` by the snippet, which keeps the
    /// request "simple" so browsers skip the preflight round trip).
    private func decode<T: Decodable>(_ request: inout Request) async throws -> T {
        if let type = request.headers[.contentType]?.lowercased(),
           !(type.hasPrefix("application/json") || type.hasPrefix("text/plain")) {
            throw APIError(.unsupportedMediaType, "body must be JSON (Content-Type application/json or text/plain)")
        }
        let buffer = try await request.collectBody(upTo: APIError.maximumBodySize)
        guard buffer.readableBytes > 0 else { throw APIError(.badRequest, "body is empty (expected a JSON object)") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError(.badRequest, "missing field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw APIError(.badRequest, "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw APIError(.badRequest, "field '\(context.codingPath.map(\.stringValue).joined(separator: "."))' is null")
        } catch {
            throw APIError(.badRequest, "malformed JSON body")
        }
    }

    private func json<T: Encodable>(_ value: T, status: HTTPResponse.Status, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

extension HTTPFields {
    static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var result = lhs
        result.append(contentsOf: rhs)
        return result
    }
}
