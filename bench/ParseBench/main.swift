// Parse + serialise cost of a typical INVITE (with SDP) and a 200 OK:
// libosip2 alone (osip_message_parse + osip_message_to_str + free) vs our layer
// (SIPMessageParser.parse, i.e. our checks + libosip2 parse + Swift values, then serialize()).
// Run: swift run -c release ParseBench [iterations]   (see bench/README.md)
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SIPMessage

let sdp = """
    v=0\r
    o=alice 2890844526 2890844526 IN IP4 198.51.100.7\r
    s=-\r
    c=IN IP4 198.51.100.7\r
    t=0 0\r
    m=audio 49170 RTP/AVP 0 8 101\r
    a=rtpmap:0 PCMU/8000\r
    a=rtpmap:8 PCMA/8000\r
    a=rtpmap:101 telephone-event/8000\r
    a=fmtp:101 0-15\r
    a=sendrecv\r
    a=ptime:20\r

    """

let invite = Array(("""
    INVITE sip:+18005550100@switchboard.example.com;user=phone SIP/2.0\r
    Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport\r
    Max-Forwards: 70\r
    Record-Route: <sip:sbc.carrier.example.net;lr>\r
    From: "Alice Caller" <sip:+14155550123@carrier.example.net>;tag=1928301774\r
    To: <sip:+18005550100@switchboard.example.com>\r
    Call-ID: a84b4c76e66710@carrier.example.net\r
    CSeq: 314159 INVITE\r
    Contact: <sip:alice@198.51.100.7:5060>\r
    Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE\r
    Supported: timer, 100rel\r
    User-Agent: CarrierSBC/4.2\r
    P-Asserted-Identity: <sip:+14155550123@carrier.example.net>\r
    Content-Type: application/sdp\r
    Content-Length: \(sdp.utf8.count)\r
    \r

    """ + sdp).utf8)

let ok = Array("""
    SIP/2.0 200 OK\r
    Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK776asdhds;rport=5060;received=198.51.100.7\r
    Record-Route: <sip:sbc.carrier.example.net;lr>\r
    From: "Alice Caller" <sip:+14155550123@carrier.example.net>;tag=1928301774\r
    To: <sip:+18005550100@switchboard.example.com>;tag=as83kd9\r
    Call-ID: a84b4c76e66710@carrier.example.net\r
    CSeq: 314159 INVITE\r
    Contact: <sip:b2bua@203.0.113.5:5060>\r
    Server: Switchboard\r
    Content-Length: 0\r
    \r

    """.utf8)

if CommandLine.arguments.contains("--profile-ours") {
    // A plain loop of our parse, for `perf record` (bounded like everything else).
    SIPMessageParser.bootstrap(logger: Logger(label: "parsebench"))
    var n = 0
    for _ in 0..<200_000 { if case .success = SIPMessageParser.parse(invite) { n += 1 } }
    print(n)
    exit(0)
}

/// Bounded: 1,000 … 2,000,000 iterations.
let iterations = min(max(CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 200_000, 1_000), 2_000_000)

var logger = Logger(label: "parsebench")
logger.logLevel = CommandLine.arguments.contains("--trace") ? .trace : .warning
SIPMessageParser.bootstrap(logger: logger)

/// Nanoseconds per call of `body` over one run of `iterations` calls.
func run(_ body: () -> Int) -> Double {
    var sink = 0
    let start = ContinuousClock.now
    for _ in 0..<iterations { sink &+= body() }
    let d = ContinuousClock.now - start
    if sink == 42 { print("") }   // keep the work alive
    return (Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9) / Double(iterations)
}

/// Best of five rounds, the two sides alternating within each round so that load from other
/// processes on this shared machine hits both alike.
func compare(_ a: () -> Int, _ b: () -> Int) -> (Double, Double) {
    for _ in 0..<min(iterations / 10, 10_000) { _ = a(); _ = b() }   // warm-up
    var bestA = Double.infinity, bestB = Double.infinity
    for _ in 0..<5 {
        bestA = min(bestA, run(a))
        bestB = min(bestB, run(b))
    }
    return (bestA, bestB)
}

func ours(_ bytes: [UInt8]) -> Int {
    switch SIPMessageParser.parse(bytes) {
    case .success(let m): return m.serialize().count
    case .failure: return -1
    }
}

// Sanity: both sides must accept the samples.
for (name, bytes) in [("INVITE", invite), ("200 OK", ok)] {
    guard SIPMessageParser.libosip2RoundTrip(bytes) > 0, ours(bytes) > 0 else {
        print("sample \(name) rejected: libosip2 \(SIPMessageParser.libosip2RoundTrip(bytes)), ours \(SIPMessageParser.parse(bytes))")
        exit(1)
    }
}

func fmt(_ x: Double, _ digits: Int = 2) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let v = (x * p).rounded() / p
    return "\(v)"
}

print("iterations: \(iterations) per run, best of 5 alternating rounds; one thread")
print("message        bytes  libosip2 µs  msg/s       ours µs  msg/s       ours/libosip2")
for (name, bytes) in [("INVITE+SDP", invite), ("200 OK", ok)] {
    let (aNs, bNs) = compare({ SIPMessageParser.libosip2RoundTrip(bytes) }, { ours(bytes) })
    let a = aNs / 1000, b = bNs / 1000
    let pad = { (s: String, n: Int) in s + String(repeating: " ", count: max(0, n - s.count)) }
    print(pad(name, 15) + pad("\(bytes.count)", 7) + pad(fmt(a), 13) + pad("\(Int(1e6 / a))", 12)
          + pad(fmt(b), 9) + pad("\(Int(1e6 / b))", 12) + fmt(b / a))
}

if CommandLine.arguments.contains("--breakdown") {
    print("breakdown (µs): libosip2 parse only | our parse only | our serialize only")
    for (name, bytes) in [("INVITE+SDP", invite), ("200 OK", ok)] {
        guard case .success(let m) = SIPMessageParser.parse(bytes) else { continue }
        let (a, b) = compare({ SIPMessageParser.libosip2ParseOnly(bytes) }, {
            if case .success = SIPMessageParser.parse(bytes) { return 1 } else { return 0 }
        })
        let (c, _) = compare({ m.serialize().count }, { 0 })
        print("\(name): \(fmt(a / 1000)) | \(fmt(b / 1000)) | \(fmt(c / 1000))")
    }
}
