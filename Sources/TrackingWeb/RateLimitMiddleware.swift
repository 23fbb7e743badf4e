import Foundation
import HTTPTypes
import Hummingbird
import Tracking

/// 429 with Retry-After once a client address has used its token bucket.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext
    let buckets: TokenBuckets
    let configuration: WebConfiguration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]
        let key = configuration.clientAddress(peer: context.clientAddress, forwardedFor: forwarded) ?? "unix"
        if let wait = buckets.take(key, now: Date().timeIntervalSince1970) {
            throw APIError(.tooManyRequests, "too many requests from \(key)",
                           headers: [.retryAfter: String(Int(wait.rounded(.up)))])
        }
        return try await next(request, context)
    }
}
