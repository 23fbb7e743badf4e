import SIPMessage
import Testing

/// `SDPCodec`'s own checks on top of libosip2's lenient parser (size cap, numeric ports,
/// a parse that libosip2 refuses). Offer/answer over parsed SDP is tested in MediaTests.
@Suite struct SDPCodecTests {
    @Test func garbageIsRejected() {
        #expect(throws: SDPCodec.Error.self) { try SDPCodec.parse("hello world") }
        #expect(throws: SDPCodec.Error.self) { try SDPCodec.parse(String(repeating: "a=x\r\n", count: 5000)) }
        #expect(throws: SDPCodec.Error.self) { try SDPCodec.parse("v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio abc RTP/AVP 0\r\n") }
    }
}
