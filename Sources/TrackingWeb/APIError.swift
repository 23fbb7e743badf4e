import Foundation
import HTTPTypes
import Hummingbird

/// A client error with the one-line reason the response body carries:
/// `{"error": "<reason>"}`. Every refusal of the API is one of these, so none becomes a 500.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var reason: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ reason: String, headers: HTTPFields = [:]) {
        self.status = status
        self.reason = reason
        self.headers = headers
    }

    /// Bodies larger than this are refused with 413 before they are parsed.
    public static let maximumBodySize = 16 * 1024

    func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let body = (try? JSONEncoder().encode(["error": reason])) ?? Data("{\"error\":\"error\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
