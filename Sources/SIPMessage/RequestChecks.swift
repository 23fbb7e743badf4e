/// UAS/B2BUA checks made after a successful parse, before a request reaches the transaction
/// user (RFC 3261 §8.2.2-8.2.3, §16.3; RFC 4475 §3.2-3.3). Pure Swift, no C.
///
/// The parser only refuses what is malformed; these are about what this element can do with
/// a well-formed request, so the daemon decides which to apply through `Configuration`.
public struct RequestChecks: Sendable {
    public struct Configuration: Sendable {
        /// Request-URI schemes we route (RFC 3261 §8.2.2.1); others get 416.
        public var supportedSchemes: Set<String>
        /// Option tags we implement (RFC 3261 §8.2.2.3); none by default.
        public var supportedOptionTags: Set<String>
        /// Methods this element answers itself even with Max-Forwards 0 (RFC 3261 §16.3 item 3
        /// lets an element answer OPTIONS as a UAS); every other request would be forwarded by
        /// the B2BUA, so Max-Forwards 0 gets 483. Empty by default (RFC 4475 §3.3.11).
        public var locallyAnsweredMethods: Set<SIPMethod>
        /// Body types we accept on INVITE (RFC 3261 §8.2.3); others get 415 with `Accept`.
        public var acceptedBodyTypes: [String]

        public init(supportedSchemes: Set<String> = ["sip", "sips", "tel"], supportedOptionTags: Set<String> = [],
                    locallyAnsweredMethods: Set<SIPMethod> = [], acceptedBodyTypes: [String] = ["application/sdp"]) {
            self.supportedSchemes = supportedSchemes
            self.supportedOptionTags = supportedOptionTags
            self.locallyAnsweredMethods = locallyAnsweredMethods
            self.acceptedBodyTypes = acceptedBodyTypes
        }
    }

    /// The response to send instead of processing the request.
    public struct Rejection: Sendable, Equatable, Error {
        public var status: Int
        public var reason: String
        /// Extra headers the status requires: `Unsupported` (420), `Accept` (415).
        public var headers: [SIPHeaders.Field]

        public init(status: Int, reason: String, headers: [SIPHeaders.Field] = []) {
            self.status = status
            self.reason = reason
            self.headers = headers
        }

        /// The response to send, per RFC 3261 §8.2.6.
        public func response(to request: SIPRequest, toTag: String) -> SIPResponse {
            var r = SIPResponse(to: request, statusCode: status, toTag: toTag)
            for h in headers { r.headers.add(h.name, h.value) }
            return r
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) { self.configuration = configuration }

    /// nil when the request may proceed.
    public func check(_ request: SIPRequest) -> Rejection? {
        // RFC 4475 §3.2.1: a branch that is only the magic cookie identifies nothing.
        if let branch = request.topVia?.branch, branch == "z9hG4bK" {
            return Rejection(status: 400, reason: "Via branch is only the magic cookie")
        }
        // RFC 3261 §16.3 item 3: never forward a request with Max-Forwards 0.
        if request.maxForwards == 0, request.method != .ack, !configuration.locallyAnsweredMethods.contains(request.method) {
            return Rejection(status: 483, reason: "Max-Forwards is 0")
        }
        // RFC 3261 §8.2.2.1.
        if !configuration.supportedSchemes.contains(request.uri.scheme) {
            return Rejection(status: 416, reason: "Unsupported Request-URI scheme \(request.uri.scheme)")
        }
        // RFC 3261 §8.2.2.3 (Require) and §16.3 item 6 (Proxy-Require): a B2BUA is both ends.
        // ACK and CANCEL are exempt: they cannot be rejected this way.
        if request.method != .ack, request.method != .cancel {
            var unknown: [String] = []
            for name in ["Require", "Proxy-Require"] {
                for value in request.headers.values(name) {
                    for tag in value.split(separator: ",") {
                        let t = tag.trimmingWhitespace
                        if !t.isEmpty, !configuration.supportedOptionTags.contains(t), !unknown.contains(t) { unknown.append(t) }
                    }
                }
            }
            if !unknown.isEmpty {
                return Rejection(status: 420, reason: "Unsupported option tags",
                                 headers: [SIPHeaders.Field(name: "Unsupported", value: unknown.joined(separator: ", "))])
            }
        }
        if request.method == .invite, !request.body.isEmpty {
            // RFC 3261 §8.2.3: a body we cannot read gets 415 listing what we can.
            let type = Self.mediaType(request.contentType ?? "application/sdp")
            let acceptable = configuration.acceptedBodyTypes.contains(type)
                || (type == "multipart/mixed" && Self.containsPart(request, of: configuration.acceptedBodyTypes))
            if !acceptable {
                return Rejection(status: 415, reason: "Unsupported body type \(type)",
                                 headers: [SIPHeaders.Field(name: "Accept", value: configuration.acceptedBodyTypes.joined(separator: ", "))])
            }
            // RFC 3261 §21.4.7 / RFC 4475 §3.3.15: our answer would be SDP, which the offerer
            // says it cannot accept.
            let accepts = request.headers.values("Accept").flatMap { $0.split(separator: ",") }.map { Self.mediaType(String($0)) }
            if !request.headers.values("Accept").isEmpty,
               !accepts.contains(where: { $0 == "*/*" || $0 == "application/*" || configuration.acceptedBodyTypes.contains($0) }) {
                return Rejection(status: 406, reason: "Accept does not allow application/sdp")
            }
        }
        return nil
    }

    /// `type/subtype`, lower-cased, parameters dropped.
    static func mediaType(_ s: String) -> String {
        let t = s.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return t.trimmingWhitespace.lowercased()
    }

    /// A multipart/mixed body containing a part of an accepted type (a shallow look, enough to
    /// tell SDP is there; RFC 5621 §3).
    static func containsPart(_ r: SIPRequest, of types: [String]) -> Bool {
        let text = String(decoding: r.body, as: UTF8.self).lowercased()
        return types.contains { text.contains("content-type: \($0)") || text.contains("content-type:\($0)") }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
