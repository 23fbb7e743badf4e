/// A parsed SIP message: a request or a response (RFC 3261 §7).
///
/// Values only: no C pointers survive parsing. `SIPMessageParser` (the one file that
/// talks to libosip2) builds these; `serialize()` turns them back into wire bytes.
public enum SIPMessage: Sendable, Equatable {
    case request(SIPRequest)
    case response(SIPResponse)

    public var callID: String {
        switch self {
        case .request(let r): return r.callID
        case .response(let r): return r.callID
        }
    }
}

/// RFC 3261 §7.1.
public struct SIPRequest: Sendable, Equatable {
    public var method: SIPMethod
    public var uri: SIPURI
    /// Top-most first.
    public var vias: [Via]
    public var from: NameAddress
    public var to: NameAddress
    public var callID: String
    public var cSeq: CSeq
    /// nil when absent (RFC 2543 peers); the transaction user assumes 70.
    public var maxForwards: Int?
    public var contacts: [NameAddress]
    public var routes: [NameAddress]
    public var recordRoutes: [NameAddress]
    public var contentType: String?
    /// Every other header, in order, names as received (unknown ones included).
    public var headers: SIPHeaders
    public var body: [UInt8]
    /// Set by the parser: Via, From, To and CSeq as the peer wrote them, for responses.
    public var receivedText: ReceivedHeaderText? {
        get { receivedTextSlot.text }
        set { receivedTextSlot.text = newValue }
    }
    var receivedTextSlot = ReceivedTextSlot()

    public init(method: SIPMethod, uri: SIPURI, vias: [Via], from: NameAddress, to: NameAddress,
                callID: String, cSeq: CSeq, maxForwards: Int? = 70, contacts: [NameAddress] = [],
                routes: [NameAddress] = [], recordRoutes: [NameAddress] = [], contentType: String? = nil,
                headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.vias = vias
        self.from = from
        self.to = to
        self.callID = callID
        self.cSeq = cSeq
        self.maxForwards = maxForwards
        self.contacts = contacts
        self.routes = routes
        self.recordRoutes = recordRoutes
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    public var topVia: Via? { vias.first }
}

/// RFC 3261 §7.2.
public struct SIPResponse: Sendable, Equatable {
    public var statusCode: Int
    public var reasonPhrase: String
    public var vias: [Via]
    public var from: NameAddress
    public var to: NameAddress
    public var callID: String
    public var cSeq: CSeq
    public var contacts: [NameAddress]
    public var recordRoutes: [NameAddress]
    public var contentType: String?
    /// Every other header, in order, names as received (unknown ones included).
    public var headers: SIPHeaders
    public var body: [UInt8]
    /// The request's header text, copied back by `serialize()` where the values are unchanged.
    public var echo: ReceivedHeaderText? {
        get { echoSlot.text }
        set { echoSlot.text = newValue }
    }
    var echoSlot = ReceivedTextSlot()

    public init(statusCode: Int, reasonPhrase: String? = nil, vias: [Via], from: NameAddress, to: NameAddress,
                callID: String, cSeq: CSeq, contacts: [NameAddress] = [], recordRoutes: [NameAddress] = [],
                contentType: String? = nil, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase ?? SIPResponse.defaultReason(for: statusCode)
        self.vias = vias
        self.from = from
        self.to = to
        self.callID = callID
        self.cSeq = cSeq
        self.contacts = contacts
        self.recordRoutes = recordRoutes
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// RFC 3261 §8.2.6.2: a response copies Via, From, To (adding our tag if it has none),
    /// Call-ID and CSeq from the request — as text, when the request was parsed.
    public init(to request: SIPRequest, statusCode: Int, reasonPhrase: String? = nil, toTag: String? = nil) {
        var to = request.to
        if to.tag == nil, let toTag, statusCode != 100 { to.tag = toTag }
        self.init(statusCode: statusCode, reasonPhrase: reasonPhrase, vias: request.vias, from: request.from,
                  to: to, callID: request.callID, cSeq: request.cSeq)
        echo = request.receivedText
    }

    public var topVia: Via? { vias.first }

    /// 1xx provisional, 2xx success, … 6xx global failure.
    public var statusClass: Int { statusCode / 100 }
    public var isProvisional: Bool { statusCode < 200 }
}

/// A method token. Unknown methods are kept verbatim (RFC 3261 §7.1, RFC 4475 §3.1.1.2).
public struct SIPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let invite = SIPMethod("INVITE")
    public static let ack = SIPMethod("ACK")
    public static let bye = SIPMethod("BYE")
    public static let cancel = SIPMethod("CANCEL")
    public static let options = SIPMethod("OPTIONS")
    public static let register = SIPMethod("REGISTER")
    public static let info = SIPMethod("INFO")
    public static let update = SIPMethod("UPDATE")
    public static let prack = SIPMethod("PRACK")
    public static let subscribe = SIPMethod("SUBSCRIBE")
    public static let notify = SIPMethod("NOTIFY")
    public static let refer = SIPMethod("REFER")
    public static let message = SIPMethod("MESSAGE")
    public static let publish = SIPMethod("PUBLISH")
}

extension SIPResponse {
    /// RFC 3261 §21 reason phrases for the codes we send.
    public static func defaultReason(for code: Int) -> String {
        switch code {
        case 100: return "Trying"
        case 180: return "Ringing"
        case 181: return "Call Is Being Forwarded"
        case 182: return "Queued"
        case 183: return "Session Progress"
        case 200: return "OK"
        case 202: return "Accepted"
        case 300: return "Multiple Choices"
        case 301: return "Moved Permanently"
        case 302: return "Moved Temporarily"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 410: return "Gone"
        case 413: return "Request Entity Too Large"
        case 414: return "Request-URI Too Long"
        case 415: return "Unsupported Media Type"
        case 416: return "Unsupported URI Scheme"
        case 420: return "Bad Extension"
        case 421: return "Extension Required"
        case 480: return "Temporarily Unavailable"
        case 481: return "Call/Transaction Does Not Exist"
        case 482: return "Loop Detected"
        case 483: return "Too Many Hops"
        case 484: return "Address Incomplete"
        case 486: return "Busy Here"
        case 487: return "Request Terminated"
        case 488: return "Not Acceptable Here"
        case 491: return "Request Pending"
        case 500: return "Server Internal Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Server Time-out"
        case 505: return "Version Not Supported"
        case 513: return "Message Too Large"
        case 600: return "Busy Everywhere"
        case 603: return "Decline"
        case 604: return "Does Not Exist Anywhere"
        case 606: return "Not Acceptable"
        default: return "Unknown"
        }
    }
}
