import Media
import SIPMessage
import Testing

@Suite struct SDPNegotiatorTests {
    static func offer(_ media: String, session: String = "c=IN IP4 203.0.113.5\r\n", attributes: String = "") -> String {
        "v=0\r\no=carrier 123 456 IN IP4 203.0.113.5\r\ns=call\r\n\(session)t=0 0\r\n\(attributes)\(media)"
    }

    func answer(_ text: String, local: String = "198.51.100.1") throws -> Result<SDPNegotiator.Answer, SDPNegotiationFailure> {
        SDPNegotiator.answer(offer: try SDPCodec.parse(text), localAddress: local, localPort: 30000)
    }

    @Test func pcmaFirstOfferGetsPCMA() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n")).get()
        #expect(a.media.law == .alaw)
        #expect(a.media.payloadType == 8)
        #expect(a.media.telephoneEventPayloadType == 101)
        #expect(a.media.remoteAddress == "203.0.113.5")
        #expect(a.media.remotePort == 4000)
        #expect(a.media.ptime == 20)
        #expect(a.media.direction == .sendrecv)
        #expect(a.description.media[0].formats == ["8", "101"])
        #expect(a.description.media[0].port == 30000)
        // The answer survives libosip2 serialisation and parses back to itself.
        let text = try SDPCodec.serialize(a.description)
        #expect(text.contains("m=audio 30000 RTP/AVP 8 101"))
        #expect(text.contains("c=IN IP4 198.51.100.1"))
        #expect(try SDPCodec.parse(text) == a.description)
    }

    @Test func pcmuFirstOfferGetsPCMU() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0 8\r\n")).get()
        #expect(a.media.law == .ulaw)
        #expect(a.media.telephoneEventPayloadType == nil)
        #expect(a.description.media[0].formats == ["0"])
    }

    @Test func noCommonCodecIs488() throws {
        let r = try answer(Self.offer("m=audio 4000 RTP/AVP 18 9 101\r\na=rtpmap:101 telephone-event/8000\r\n"))
        guard case .failure(let f) = r else { Issue.record("expected failure"); return }
        #expect(f.statusCode == 488)
        #expect(f.warningCode == 305)
    }

    @Test func unsupportedListRestrictsChoice() throws {
        let offer = try SDPCodec.parse(Self.offer("m=audio 4000 RTP/AVP 0 8\r\n"))
        let a = try SDPNegotiator.answer(offer: offer, localAddress: "198.51.100.1", localPort: 30000, supported: [.pcma]).get()
        #expect(a.media.law == .alaw)
    }

    @Test func telephoneEventPayloadTypeKeptAsOffered() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0 96\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n")).get()
        #expect(a.media.telephoneEventPayloadType == 96)
        #expect(a.description.media[0].formats == ["0", "96"])
        #expect(a.description.media[0].rtpmap(for: "96")?.name == "telephone-event")
        #expect(a.description.media[0].fmtp(for: "96") == "0-15")
    }

    @Test func dynamicPCMUPayloadType() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 112\r\na=rtpmap:112 pcmu/8000\r\n")).get()
        #expect(a.media.law == .ulaw)
        #expect(a.media.payloadType == 112)
    }

    @Test func ptimeHonoured() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\na=ptime:30\r\n")).get()
        #expect(a.media.ptime == 30)
        #expect(a.description.media[0].ptime == 30)
        let odd = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\na=ptime:500\r\n")).get()
        #expect(odd.media.ptime == 20)
    }

    @Test func ipv6() throws {
        let text = "v=0\r\no=- 1 1 IN IP6 2001:db8::5\r\ns=-\r\nc=IN IP6 2001:db8::5\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n"
        let a = try answer(text, local: "2001:db8::1").get()
        #expect(a.media.remoteAddress == "2001:db8::5")
        #expect(a.description.connection == .init(addressType: .ip6, address: "2001:db8::1"))
        let out = try SDPCodec.serialize(a.description)
        #expect(out.contains("c=IN IP6 2001:db8::1"))
        #expect(out.contains("o=- "))
    }

    @Test(arguments: [
        ("a=sendonly\r\n", MediaDirection.recvonly),
        ("a=recvonly\r\n", .sendonly),
        ("a=inactive\r\n", .inactive),
        ("a=sendrecv\r\n", .sendrecv),
        ("", .sendrecv),
    ])
    func directionAnswered(attribute: String, expected: MediaDirection) throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\n\(attribute)")).get()
        #expect(a.media.direction == expected)
        #expect(a.description.media[0].direction == expected)
    }

    @Test func sessionLevelDirectionApplies() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\n", attributes: "a=sendonly\r\n")).get()
        #expect(a.media.direction == .recvonly)
    }

    @Test func legacyHoldWithZeroAddress() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\n", session: "c=IN IP4 0.0.0.0\r\n")).get()
        #expect(a.media.direction == .recvonly)
        #expect(!a.media.direction.sends)
    }

    @Test func mediaLevelConnectionWins() throws {
        let a = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.77\r\n")).get()
        #expect(a.media.remoteAddress == "192.0.2.77")
        let onlyMedia = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.78\r\n", session: "")).get()
        #expect(onlyMedia.media.remoteAddress == "192.0.2.78")
        let none = try answer(Self.offer("m=audio 4000 RTP/AVP 0\r\n", session: ""))
        #expect((try? none.get()) == nil)
    }

    @Test func otherStreamsRejectedWithPortZero() throws {
        let a = try answer(Self.offer("m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 8\r\n")).get()
        #expect(a.description.media.map(\.port) == [0, 30000, 0])
        #expect(a.media.mediaIndex == 1)
        #expect(a.description.media[0].media == "video")
    }

    @Test func secureOrZeroPortOffersFail() throws {
        #expect((try? answer(Self.offer("m=audio 4000 RTP/SAVP 0\r\n")).get()) == nil)
        #expect((try? answer(Self.offer("m=audio 0 RTP/AVP 0\r\n")).get()) == nil)
    }

    @Test func offerAnswerRoundTripForOriginatedCalls() throws {
        let offer = SDPNegotiator.makeOffer(localAddress: "198.51.100.1", localPort: 31000, laws: [.alaw, .ulaw], telephoneEventPayloadType: 101)
        let offerText = try SDPCodec.serialize(offer)
        #expect(offerText.contains("m=audio 31000 RTP/AVP 8 0 101"))
        #expect(offerText.contains("a=rtpmap:101 telephone-event/8000"))
        // The agent's phone answers (here: our own answerer, playing the agent).
        let agent = try SDPNegotiator.answer(offer: try SDPCodec.parse(offerText), localAddress: "192.0.2.9", localPort: 42000).get()
        #expect(agent.media.law == .alaw)
        let answerText = try SDPCodec.serialize(agent.description)
        let ours = try SDPNegotiator.accept(answer: try SDPCodec.parse(answerText), to: offer).get()
        #expect(ours.law == .alaw)
        #expect(ours.telephoneEventPayloadType == 101)
        #expect(ours.remoteAddress == "192.0.2.9")
        #expect(ours.remotePort == 42000)
        #expect(ours.direction == .sendrecv)
    }
}
