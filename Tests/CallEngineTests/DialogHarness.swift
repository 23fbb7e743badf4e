import Dialplan
import Foundation
import Logging
import SIPMessage
import SIPTestKit
import SIPTransaction
import SIPTransport
@testable import CallEngine

/// The B2BUA without sockets: the real parser, transport Via stamping, transaction layer,
/// `B2BUA` and `CallEngine`, on a recording transport and a fake clock. Messages go in as
/// wire text and come out as values (and as the bytes we would send).
final class DialogHarness {
    static let carrier = SIPPeer(transport: .udp, host: "127.0.0.1", port: 5070)
    static let callee = SIPPeer(transport: .udp, host: "127.0.0.1", port: 5090)

    let clock = FakeClock()
    let transport: RecordingTransport
    let layer: TransactionLayer
    let engine: CallEngine
    let b2bua: B2BUA
    let directory: URL
    let carrier: SIPPeer

    static let deskPlan = "main:\n  ring-all: { targets: [\"sip:desk@127.0.0.1:5090\"], timeout: 30s }"

    /// `plans` is the YAML under `plans:` (the number routes to `main`), `agents` the YAML
    /// under `agents:` for plans naming `agent:` targets.
    init(carrierTransport: SIPTransportProtocol = .udp, plans: String = deskPlan, agents: String? = nil) throws {
        carrier = SIPPeer(transport: carrierTransport, host: Self.carrier.host, port: Self.carrier.port)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dialog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let indent = { (yaml: String) in yaml.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") }
        let agentSection = agents.map { "agents:\n" + indent($0) + "\n" } ?? ""
        try """
        account: a
        timezone: UTC
        caller-id: caller
        \(agentSection)numbers:
          "+13125550100": { plan: main, source: s }
        plans:
        \(indent(plans))

        """.write(to: directory.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        let loaded = DialplanStore.load(directory: directory.path)
        guard let store = loaded.store else { throw HarnessError.dialplan("\(loaded.result.diagnostics)") }
        transport = RecordingTransport(clock: clock)
        var quiet = Logger(label: "dialog-tests")
        quiet.logLevel = .critical
        layer = TransactionLayer(transport: transport, clock: clock, logger: quiet)
        let configuration = CallEngineConfiguration(advertisedHost: "127.0.0.1", advertisedPort: 5060,
                                                    t1: .milliseconds(500), t2: .seconds(4))
        engine = CallEngine(layer: layer, clock: clock, configuration: configuration, dialplans: store, sink: nil,
                            logger: quiet)
        b2bua = B2BUA(layer: layer, engine: engine, isTrusted: { _ in true }, serverHeader: nil, logger: quiet)
        layer.user = b2bua
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    enum HarnessError: Error { case dialplan(String), parse(String) }

    /// Wire text (lines joined by CRLF, Content-Length computed) through the real parser and
    /// the transport's Via stamping into the layer.
    func receive(_ lines: [String], body: String = "", from peer: SIPPeer) throws {
        let text = lines.joined(separator: "\r\n") + "\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        try receive(bytes: Array(text.utf8), from: peer)
    }

    func receive(bytes: [UInt8], from peer: SIPPeer) throws {
        switch SIPMessageParser.parse(bytes) {
        case .success(.request(var request)):
            ViaStamping.stamp(&request, source: peer)
            layer.receive(.request(request), from: peer)
        case .success(let response):
            layer.receive(response, from: peer)
        case .failure(let error):
            throw HarnessError.parse("\(error)")
        }
    }

    /// A message we built, sent back in as the peer would: serialised and re-parsed.
    func receive(_ message: SIPMessage, from peer: SIPPeer) throws {
        try receive(bytes: message.serialize(), from: peer)
    }

    // MARK: what went out

    func requests(_ method: SIPMethod, to peer: SIPPeer? = nil) -> [SIPRequest] {
        transport.sent.compactMap {
            guard case .request(let r) = $0.message, r.method == method, peer == nil || $0.peer == peer else { return nil }
            return r
        }
    }

    func sends(_ method: SIPMethod) -> [RecordingTransport.Sent] {
        transport.sent.filter { if case .request(let r) = $0.message { return r.method == method } else { return false } }
    }

    func responses(_ status: Int, method: SIPMethod? = nil, to peer: SIPPeer? = nil) -> [SIPResponse] {
        transport.sent.compactMap {
            guard case .response(let r) = $0.message, r.statusCode == status, method == nil || r.cSeq.method == method,
                  peer == nil || $0.peer == peer else { return nil }
            return r
        }
    }

    /// The header lines of a message as it goes on the wire.
    static func wireLines(_ message: SIPMessage) -> [String] {
        String(decoding: message.serialize(), as: UTF8.self).components(separatedBy: "\r\n")
    }

    static func wireValues(_ name: String, in message: SIPMessage) -> [String] {
        wireLines(message).compactMap { line in
            guard line.lowercased().hasPrefix(name.lowercased() + ": ") else { return nil }
            return String(line.dropFirst(name.count + 2))
        }
    }

    // MARK: a call

    /// The carrier's INVITE, with formatting a real SBC might use: compact forms, a Via list,
    /// spaces around `;`, an unquoted display name, odd parameter case, two Record-Routes.
    static func carrierInvite(transport: SIPTransportProtocol = .udp, extra: [String] = []) -> [String] {
        let t = transport.rawValue
        return [
            "INVITE sip:+13125550100@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/\(t) 127.0.0.1:5070 ;branch=z9hG4bK-carrier-1;rport; X-Hop=Edge",
            "v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-up-1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-up-2",
            "Max-Forwards: 69",
            "Record-Route: <sip:127.0.0.1:5071;lr;ftag=abc>",
            "Record-Route: <sip:10.9.9.9;lr>",
            "f: A <sip:+14155550123@carrier.example>;tag=abc;foo=Bar",
            "t: <sip:+13125550100@127.0.0.1>",
            "i: call-1@carrier.example",
            "CSeq:  7   INVITE",
            "m: <sip:+14155550123@127.0.0.1:5070>",
        ] + extra
    }

    static let calleeTag = "callee-tag-1"

    /// The carrier calls; the callee answers with `answerExtra` headers (Record-Route, …) and
    /// `contact`. Returns the INVITE we sent the callee.
    @discardableResult
    func answeredCall(carrierTransport: SIPTransportProtocol = .udp, inviteExtra: [String] = [],
                      answerContact: String = "<sip:desk@127.0.0.1:5090>", answerExtra: [(String, String)] = [],
                      ackFromCaller: Bool = true) throws -> SIPRequest {
        try receive(Self.carrierInvite(transport: carrierTransport, extra: inviteExtra), from: carrier)
        guard let invite = requests(.invite, to: Self.callee).first else { throw HarnessError.parse("no INVITE to the callee") }
        try receive(.response(SIPTestKit.response(180, to: invite, toTag: Self.calleeTag)), from: Self.callee)
        var ok = SIPTestKit.response(200, to: invite, toTag: Self.calleeTag)
        var headers = SIPHeaders()
        for (name, value) in answerExtra { headers.add(name, value) }
        ok.headers = headers
        ok.contentType = "application/sdp"
        ok.body = Array("v=0\r\n".utf8)
        var text = String(decoding: ok.serialize(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\r\nContent-Type:", with: "\r\nContact: \(answerContact)\r\nContent-Type:")
        try receive(bytes: Array(text.utf8), from: Self.callee)
        if ackFromCaller { try callerAck() }
        return invite
    }

    /// Our To tag toward the caller (from the 200 we sent).
    var callerDialogTag: String? { responses(200, method: .invite, to: carrier).first?.to.tag }

    func callerAck(cseq: Int = 7, body: String = "") throws {
        try receive([
            "ACK sip:switchboard@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/\(carrier.transport.rawValue) 127.0.0.1:5070;branch=z9hG4bK-carrier-ack-\(cseq)",
            "Max-Forwards: 70",
            "From: A <sip:+14155550123@carrier.example>;tag=abc;foo=Bar",
            "To: <sip:+13125550100@127.0.0.1>;tag=\(callerDialogTag ?? "")",
            "Call-ID: call-1@carrier.example",
            "CSeq: \(cseq) ACK",
        ], body: body, from: carrier)
    }

    /// A request from the caller inside its dialog.
    func callerRequest(_ method: String, cseq: Int, branch: String, callID: String = "call-1@carrier.example",
                       fromTag: String = "abc", extra: [String] = [], body: String = "") throws {
        try receive([
            "\(method) sip:switchboard@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/\(carrier.transport.rawValue) 127.0.0.1:5070;branch=\(branch);rport",
            "Max-Forwards: 70",
            "From: A <sip:+14155550123@carrier.example>;tag=\(fromTag)",
            "To: <sip:+13125550100@127.0.0.1>;tag=\(callerDialogTag ?? "")",
            "Call-ID: \(callID)",
            "CSeq: \(cseq) \(method)",
        ] + extra, body: body, from: carrier)
    }

    /// A request from the callee inside its dialog (our tag is the From tag of our INVITE).
    func calleeRequest(_ method: String, cseq: Int, branch: String, invite: SIPRequest, callID: String? = nil,
                       fromTag: String = DialogHarness.calleeTag, extra: [String] = [], body: String = "") throws {
        try receive([
            "\(method) sip:switchboard@127.0.0.1:5060 SIP/2.0",
            "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=\(branch)",
            "Max-Forwards: 70",
            "From: <sip:desk@127.0.0.1:5090>;tag=\(fromTag)",
            "To: \(invite.from)",
            "Call-ID: \(callID ?? invite.callID)",
            "CSeq: \(cseq) \(method)",
            "Contact: <sip:desk@127.0.0.1:5090>",
        ] + extra, body: body, from: Self.callee)
    }
}
