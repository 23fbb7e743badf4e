/// JSON bodies of the API (see docs/tracking.openapi.yaml).
struct SessionResponse: Encodable, Sendable {
    var sessionID: String
    var number: String
    var national: String
    var international: String
    var region: String?
    var expiresAt: String
    var heartbeatSeconds: Int
    var tookOver: Bool

    enum CodingKeys: String, CodingKey {
        case number, national, international, region
        case sessionID = "session_id", expiresAt = "expires_at", heartbeatSeconds = "heartbeat_seconds", tookOver = "took_over"
    }
}

struct HeartbeatRequest: Decodable, Sendable {
    var key: String?
}

struct HeartbeatResponse: Encodable, Sendable {
    var number: String
    var expiresAt: String
    var heartbeatSeconds: Int

    enum CodingKeys: String, CodingKey {
        case number
        case expiresAt = "expires_at", heartbeatSeconds = "heartbeat_seconds"
    }
}
