/// The digest algorithms SIP registrars offer (RFC 8760 §2.2, names as RFC 7616 §6.1
/// registers them). Only the non-session variants: `-sess` gains nothing for a registrar and
/// no phone we know needs it.
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable {
    case sha256 = "SHA-256"
    case md5 = "MD5"

    public func hash(_ text: String) -> String {
        switch self {
        case .sha256: DigestHash.hex(DigestHash.sha256(Array(text.utf8)))
        case .md5: DigestHash.hex(DigestHash.md5(Array(text.utf8)))
        }
    }

    /// HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2): what the store keeps
    /// instead of the password.
    public func ha1(username: String, realm: String, password: String) -> String {
        hash("\(username):\(realm):\(password)")
    }

    /// The expected `response` for `qop=auth` (RFC 7616 §3.4.1), or RFC 2069's form when the
    /// client sent no qop (only accepted where the configuration allows it: never by default).
    public func response(ha1: String, nonce: String, nc: String?, cnonce: String?, qop: String?,
                         method: String, uri: String) -> String {
        let ha2 = hash("\(method):\(uri)")
        if let qop, let nc, let cnonce {
            return hash("\(ha1):\(nonce):\(nc):\(cnonce):\(qop):\(ha2)")
        }
        return hash("\(ha1):\(nonce):\(ha2)")
    }

    /// Case-insensitive, as RFC 7616 §3.3 asks of algorithm values.
    public init?(token: String) {
        switch token.uppercased() {
        case "SHA-256": self = .sha256
        case "MD5": self = .md5
        default: return nil
        }
    }
}
