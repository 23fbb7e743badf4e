/// `GET /bans` on the admin endpoint: the sources the SIP edge has banned for flooding, as
/// the daemon encodes it and `switchboard bans` reads it.
public struct BanDocument: Codable, Equatable, Sendable {
    public struct Ban: Codable, Equatable, Sendable {
        public var address: String
        /// Whole seconds until the ban ends, rounded up.
        public var remainingSeconds: Int
        public var droppedRequests: Int

        public init(address: String, remainingSeconds: Int, droppedRequests: Int) {
            self.address = address
            self.remainingSeconds = remainingSeconds
            self.droppedRequests = droppedRequests
        }

        enum CodingKeys: String, CodingKey {
            case address
            case remainingSeconds = "remaining_seconds"
            case droppedRequests = "dropped_requests"
        }
    }

    public var bans: [Ban]

    public init(bans: [Ban]) { self.bans = bans }
}
