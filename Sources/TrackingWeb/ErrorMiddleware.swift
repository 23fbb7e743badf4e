import Foundation
import HTTPTypes
import Hummingbird
import LegStore
import Logging
import NIOCore
import Postgres

/// Turns every error a handler throws into a JSON response with a reason: client mistakes
/// into their 4xx, a database outage into 503 (retry later), so no request ends in a bare 500.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = WebRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch is NIOTooManyBytesError {
            return APIError(.contentTooLarge, "request body larger than \(APIError.maximumBodySize) bytes").response()
        } catch let error as PostgresError {
            context.logger.error("database error", metadata: ["error": "\(error)"])
            return APIError(.serviceUnavailable, "database unavailable, try again later", headers: [.retryAfter: "5"]).response()
        } catch let error as HTTPError {
            return APIError(error.status, error.body ?? error.status.reasonPhrase).response()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, error.status.reasonPhrase).response()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            return APIError(.serviceUnavailable, "temporary failure, try again later", headers: [.retryAfter: "5"]).response()
        }
    }
}
