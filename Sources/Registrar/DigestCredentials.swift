/// The `Authorization` header of a REGISTER (RFC 7616 §3.4, RFC 3261 §22.4): what the client
/// claims and the response it computed. Parsing is strict about the syntax and lenient about
/// order and case of parameter names; anything malformed is nil (answered like a wrong
/// password, so the parser's opinion leaks nothing).
public struct DigestCredentials: Sendable, Equatable {
    public var username: String
    public var realm: String
    public var nonce: String
    public var uri: String
    public var response: String
    public var algorithm: DigestAlgorithm
    public var cnonce: String?
    public var opaque: String?
    public var qop: String?
    /// `nc` as sent (8 hex digits) and as a number.
    public var nc: String?
    public var nonceCount: UInt32?

    /// Longest header value looked at: a real one is ~300 bytes.
    static let maxLength = 4096

    public init?(header: String) {
        guard header.utf8.count <= Self.maxLength, let params = Self.parameters(header) else { return nil }
        guard let username = params["username"], let realm = params["realm"], let nonce = params["nonce"],
              let uri = params["uri"], let response = params["response"] else { return nil }
        // RFC 7616 §3.3: no algorithm means MD5.
        let algorithm: DigestAlgorithm
        if let a = params["algorithm"] {
            guard let parsed = DigestAlgorithm(token: a) else { return nil }
            algorithm = parsed
        } else {
            algorithm = .md5
        }
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response.lowercased()
        self.algorithm = algorithm
        self.cnonce = params["cnonce"]
        self.opaque = params["opaque"]
        self.qop = params["qop"]
        self.nc = params["nc"]
        if let qop = self.qop {
            // qop=auth needs nc (8 hex digits) and cnonce; auth-int is not offered.
            guard qop.lowercased() == "auth", let nc = self.nc, nc.utf8.count == 8, let count = UInt32(nc, radix: 16),
                  self.cnonce?.isEmpty == false else { return nil }
            self.qop = "auth"
            self.nonceCount = count
        } else if self.nc != nil || self.cnonce != nil {
            return nil
        }
    }

    /// `Digest k=v, k="v", …` → lower-cased names to unquoted values; nil when it is not
    /// Digest, a name repeats, or the syntax is broken.
    static func parameters(_ header: String) -> [String: String]? {
        var s = Substring(header)
        s = s.drop(while: { $0 == " " || $0 == "\t" })
        guard s.count > 6, s.prefix(6).lowercased() == "digest", s.dropFirst(6).first.map({ $0 == " " || $0 == "\t" }) == true else {
            return nil
        }
        s = s.dropFirst(6)
        var result: [String: String] = [:]
        while true {
            s = s.drop(while: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            if s.isEmpty { break }
            let name = s.prefix(while: { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            guard !name.isEmpty else { return nil }
            s = s.dropFirst(name.count).drop(while: { $0 == " " || $0 == "\t" })
            guard s.first == "=" else { return nil }
            s = s.dropFirst().drop(while: { $0 == " " || $0 == "\t" })
            var value = ""
            if s.first == "\"" {
                s = s.dropFirst()
                var closed = false
                while let c = s.first {
                    s = s.dropFirst()
                    if c == "\\" {
                        guard let escaped = s.first else { return nil }
                        value.append(escaped)
                        s = s.dropFirst()
                    } else if c == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { return nil }
            } else {
                let token = s.prefix(while: { $0 != "," && $0 != " " && $0 != "\t" })
                guard !token.isEmpty else { return nil }
                value = String(token)
                s = s.dropFirst(token.count)
            }
            let key = name.lowercased()
            guard result[key] == nil else { return nil }
            result[key] = value
            s = s.drop(while: { $0 == " " || $0 == "\t" })
            if s.isEmpty { break }
            guard s.first == "," else { return nil }
            s = s.dropFirst()
        }
        return result
    }

    /// True when `response` is what the holder of `ha1` would have sent for `method`.
    public func matches(ha1: String, method: String) -> Bool {
        let expected = algorithm.response(ha1: ha1, nonce: nonce, nc: nc, cnonce: cnonce, qop: qop,
                                          method: method, uri: uri)
        return DigestHash.constantTimeEquals(expected, response)
    }
}
