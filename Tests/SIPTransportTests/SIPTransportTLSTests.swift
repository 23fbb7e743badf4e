import NIOCore
import NIOHTTP1
import SIPMessage
import Testing
@testable import SIPTransport

/// The small decisions of the TLS and WebSocket transports (the wire behaviour is proven
/// against real peers in IntegrationTests/TLSTransportTests and WebSocketTransportTests).
@Suite struct SIPTransportTLSTests {
    @Test func theSIPSubprotocolIsFoundInAnyPositionAndCase() {
        func offers(_ values: [String]) -> Bool {
            SIPTransport.offersSIPSubprotocol(HTTPHeaders(values.map { ("Sec-WebSocket-Protocol", $0) }))
        }
        #expect(offers(["sip"]))
        #expect(offers(["chat, SIP"]))
        #expect(offers(["chat", " sip "]))
        #expect(!offers(["chat"]))
        #expect(!offers(["sips"]))
        #expect(!offers(["sip-ws"]))
        #expect(!offers([]))
    }

    @Test func theServerNameToVerifyIsTheRequestURIsHostWhenItIsAName() throws {
        func name(_ uri: String) throws -> String? {
            let text = "INVITE \(uri) SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK1\r\nMax-Forwards: 70\r\n"
                + "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <\(uri)>\r\nCall-ID: n\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            let message = try SIPMessageParser.parse(Array(text.utf8), limits: SIPLimits(), framing: .datagram).get()
            return SIPTransport.tlsServerName(for: message)
        }
        #expect(try name("sips:alice@sbc.carrier.example") == "sbc.carrier.example")
        #expect(try name("sip:+13125550100@gw.example:5061;transport=tls") == "gw.example")
        // An address is checked against the certificate's IP SAN instead (no SNI for it).
        #expect(try name("sips:alice@192.0.2.7:5061") == nil)
        #expect(try name("sips:alice@[2001:db8::1]") == nil)
        #expect(SIPTransport.tlsServerName(for: nil) == nil)
    }
}
