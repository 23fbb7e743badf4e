import Foundation
import Glibc
import ProcessTestKit
import SIPTestKit

/// What a SIPp caller does once our 200 is ACKed, in order.
enum CallerStep {
    /// An RFC 4733 key press sent as RTP from a SIPp capture (Debian's dtmf_2833_*.pcap).
    case rtpDigit(String)
    /// A key press in SIP INFO (application/dtmf-relay).
    case infoDigit(String)
    case pause(Int)
    /// A re-INVITE with our media `direction` (sendonly: hold); the 200 must carry `expect`.
    case reinvite(direction: String, expect: String)
}

/// SIPp caller scenarios for calls the daemon answers itself, written per test because a
/// pcap path must be an attribute (SIPp `-key` values only reach message text).
struct AnchoredCaller {
    /// Builds the scenario: INVITE with SDP (media port `mediaPort`, else SIPp's -mp; no SDP
    /// at all when `lateOffer`), our 200 must carry our SDP (s=switchboard), ACK (with the
    /// answer on a late offer), the steps, then BYE.
    static func scenario(steps: [CallerStep], mediaPort: Int? = nil, lateOffer: Bool = false) throws -> String {
        let port = mediaPort.map(String.init) ?? "[media_port]"
        let sdp = """
              v=0
              o=caller 53655765 2353687637 IN IP4 [local_ip]
              s=-
              c=IN IP4 127.0.0.1
              t=0 0
              m=audio \(port) RTP/AVP 0 101
              a=rtpmap:0 PCMU/8000
              a=rtpmap:101 telephone-event/8000
              a=fmtp:101 0-15
              a=ptime:20
        """
        let common = """
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
              Max-Forwards: 70
              From: "Caller" <sip:+14155550123@[local_ip]:[local_port]>;tag=[call_number]-[pid]
              To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
              Call-ID: [call_id]
        """
        var cseq = 1
        var xml = """
        <?xml version="1.0" encoding="ISO-8859-1" ?>
        <!DOCTYPE scenario SYSTEM "sipp.dtd">
        <scenario name="anchored-caller">
          <send retrans="500">
            <![CDATA[
              INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
              Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
              Max-Forwards: 70
              From: "Caller" <sip:+14155550123@[local_ip]:[local_port]>;tag=[call_number]-[pid]
              To: <sip:[service]@[remote_ip]:[remote_port]>
              Call-ID: [call_id]
              CSeq: 1 INVITE
              Contact: <sip:+14155550123@[local_ip]:[local_port]>
        \(lateOffer ? "      Content-Length: 0\n" : "      Content-Type: application/sdp\n      Content-Length: [len]\n\n" + sdp)
            ]]>
          </send>
          <recv response="100" optional="true"/>
          <recv response="180" optional="true"/>
          <recv response="200" rrs="true">
            <action>
              <ereg regexp="s=switchboard" search_in="body" check_it="true" assign_to="ours"/>
            </action>
          </recv>
          <send>
            <![CDATA[
              ACK [next_url] SIP/2.0
        \(common)
              CSeq: 1 ACK
        \(lateOffer ? "      Content-Type: application/sdp\n      Content-Length: [len]\n\n" + sdp : "      Content-Length: 0\n")
            ]]>
          </send>

        """
        for step in steps {
            switch step {
            case .pause(let ms):
                xml += "  <pause milliseconds=\"\(ms)\"/>\n"
            case .rtpDigit(let digit):
                let name = digit == "#" ? "pound" : digit == "*" ? "star" : digit
                xml += """
                  <nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_\(name).pcap"/></action></nop>
                  <pause milliseconds="400"/>

                """
            case .reinvite(let direction, let expect):
                cseq += 1
                xml += """
                  <send retrans="500">
                    <![CDATA[
                      INVITE [next_url] SIP/2.0
                \(common)
                      CSeq: \(cseq) INVITE
                      Contact: <sip:+14155550123@[local_ip]:[local_port]>
                      Content-Type: application/sdp
                      Content-Length: [len]

                \(sdp.replacingOccurrences(of: "53655765 2353687637", with: "53655765 2353687638"))
                      a=\(direction)
                    ]]>
                  </send>
                  <recv response="100" optional="true"/>
                  <recv response="200">
                    <action>
                      <ereg regexp="a=\(expect)" search_in="body" check_it="true" assign_to="dir\(cseq)"/>
                    </action>
                  </recv>
                  <send>
                    <![CDATA[
                      ACK [next_url] SIP/2.0
                \(common)
                      CSeq: \(cseq) ACK
                      Content-Length: 0
                    ]]>
                  </send>
                  <Reference variables="dir\(cseq)"/>

                """
            case .infoDigit(let digit):
                cseq += 1
                xml += """
                  <send retrans="500">
                    <![CDATA[
                      INFO [next_url] SIP/2.0
                \(common)
                      CSeq: \(cseq) INFO
                      Content-Type: application/dtmf-relay
                      Content-Length: [len]

                      Signal=\(digit)
                      Duration=160
                    ]]>
                  </send>
                  <recv response="200"/>

                """
            }
        }
        cseq += 1
        xml += """
          <send retrans="500">
            <![CDATA[
              BYE [next_url] SIP/2.0
        \(common)
              CSeq: \(cseq) BYE
              Content-Length: 0
            ]]>
          </send>
          <recv response="200" crlf="true"/>
          <Reference variables="ours"/>
        </scenario>

        """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("anchored-caller-\(UUID().uuidString).xml")
        try xml.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// A caller that sends no RTP after the ACK and waits for the daemon's BYE.
    static func scenarioAwaitingBye() throws -> String {
        let path = try scenario(steps: [])
        var xml = try String(contentsOfFile: path, encoding: .utf8)
        let byeStart = xml.range(of: "  <send retrans=\"500\">\n    <![CDATA[\n      BYE")!.lowerBound
        let tail = xml.range(of: "  <Reference")!.lowerBound
        xml.replaceSubrange(byeStart..<tail, with: """
          <recv request="BYE" timeout="10000"/>
          <send>
            <![CDATA[
              SIP/2.0 200 OK
              [last_Via:]
              [last_From:]
              [last_To:]
              [last_Call-ID:]
              [last_CSeq:]
              Content-Length: 0
            ]]>
          </send>

        """)
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func run(_ daemon: DaemonProcess, steps: [CallerStep], calls: Int = 1, rate: Int = 1, mediaPort: Int? = nil,
                    lateOffer: Bool = false, timeout: Int = 30, concurrent: Int = 1) throws -> SIPpRun {
        var run = SIPpRun(scenario: try scenario(steps: steps, mediaPort: mediaPort, lateOffer: lateOffer),
                          target: "127.0.0.1:\(daemon.port)", calls: calls, rate: rate, timeoutSeconds: timeout)
        run.extraArguments += ["-s", "+13125550100"]
        if calls > 1 { run.extraArguments += ["-l", "\(concurrent)"] }  // calls at a time
        run.traceMessages = true
        return run
    }
}

/// The daemon's configuration for anchored media: its own RTP port range and media timeout.
func mediaConfig(timeout: String = "10s") -> String {
    let base = 30000 + Int.random(in: 0..<1400) * 20
    return "media: { address: 127.0.0.1, ports: \(base)-\(base + 19), timeout: \(timeout) }\n"
}

/// An 8 kHz mono µ-law WAV (format tag 7) holding `codes` as is.
func writeULawWAV(_ codes: [UInt8], to url: URL) throws {
    var bytes: [UInt8] = []
    func u32(_ v: Int) { bytes += withUnsafeBytes(of: UInt32(v).littleEndian, Array.init) }
    func u16(_ v: Int) { bytes += withUnsafeBytes(of: UInt16(v).littleEndian, Array.init) }
    bytes += Array("RIFF".utf8); u32(4 + 8 + 16 + 8 + codes.count)
    bytes += Array("WAVE".utf8)
    bytes += Array("fmt ".utf8); u32(16); u16(7); u16(1); u32(8000); u32(8000); u16(1); u16(8)
    bytes += Array("data".utf8); u32(codes.count)
    bytes += codes
    try Data(bytes).write(to: url)
}

/// A UDP socket standing in for a caller's RTP port: collects what the daemon sends.
final class RTPCapture {
    let fd: Int32
    let port: Int

    init() throws {
        let s = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        fd = s
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var bound: Int32 = -1
        var chosen = 0
        for _ in 0..<20 {
            chosen = FreePort.next()
            address.sin_port = in_port_t(UInt16(chosen).bigEndian)
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { break }
        }
        guard bound == 0 else { close(s); throw POSIXError(.EADDRINUSE) }
        port = chosen
        var tv = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Address of the first packet that arrives (the daemon's RTP port for this caller).
    func firstSource(deadline: Date) -> Int? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while Date() < deadline {
            var from = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let n = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            if n >= 12 { return Int(UInt16(bigEndian: from.sin_port)) }
        }
        return nil
    }

    /// Sends one PCMU packet to 127.0.0.1:`port`.
    func send(to port: Int, sequence: UInt16, timestamp: UInt32, payload: [UInt8]) {
        var packet: [UInt8] = [0x80, 0x00, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
        packet += withUnsafeBytes(of: timestamp.bigEndian, Array.init)
        packet += [0x12, 0x34, 0x56, 0x78] + payload
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    /// RTP packets (payload type, sequence, payload) until `until` says stop or `deadline`.
    func collect(deadline: Date, until done: ([(pt: UInt8, seq: UInt16, payload: [UInt8])]) -> Bool)
        -> [(pt: UInt8, seq: UInt16, payload: [UInt8])] {
        var packets: [(pt: UInt8, seq: UInt16, payload: [UInt8])] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        while Date() < deadline, !done(packets) {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n >= 12 else { continue }
            let csrc = Int(buffer[0] & 0x0F)
            let offset = 12 + 4 * csrc
            guard n >= offset else { continue }
            packets.append((buffer[1] & 0x7F, UInt16(buffer[2]) << 8 | UInt16(buffer[3]), Array(buffer[offset..<n])))
        }
        return packets
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs contiguously.
    func contains(run needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        while i <= count - needle.count {
            if self[i] == first, Array(self[i..<i + needle.count]) == needle { return true }
            i += 1
        }
        return false
    }
}

/// Waits (bounded) until `condition` holds.
func waitUntil(_ timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}
