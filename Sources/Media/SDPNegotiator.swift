import SIPMessage

/// RFC 3264 offer/answer for a voice B2BUA that anchors media: one audio stream, G.711 and
/// RFC 4733 telephone-events.
public enum SDPNegotiator {
    /// The codecs we can carry. Order does not matter: the offerer's order wins (RFC 3264 §6.1).
    public enum Codec: String, Hashable, Sendable, CaseIterable {
        case pcmu = "PCMU", pcma = "PCMA", telephoneEvent = "telephone-event"
    }

    public static let defaultSupported: [Codec] = [.pcmu, .pcma, .telephoneEvent]
    /// Packetisation times we accept from `a=ptime` (ms); outside this we fall back to 20.
    public static let acceptablePtime = 10...60

    public struct Answer: Hashable, Sendable {
        public var description: SessionDescription
        public var media: NegotiatedMedia
    }

    /// Answers `offer` (RFC 3264 §6): the first acceptable audio stream gets `localPort`, every
    /// other `m=` line is rejected with port 0 (§6: the answer has as many m= lines as the offer).
    /// The answer lists one audio codec — the first in the offer's order we support — plus
    /// telephone-event with the offer's payload type, the offer's ptime, and the reverse of the
    /// offered direction (§6.1).
    public static func answer(offer: SessionDescription, localAddress: String, localPort: Int,
                              supported: [Codec] = defaultSupported,
                              sessionID: String = String(UInt32.random(in: 1...UInt32.max)), sessionVersion: String = "1")
        -> Result<Answer, SDPNegotiationFailure>
    {
        var chosen: NegotiatedMedia?
        var failure = SDPNegotiationFailure(warningCode: 304, reason: "no audio stream offered")
        var answerMedia: [MediaDescription] = []
        let local = SessionDescription.ConnectionAddress(localAddress)

        for (index, m) in offer.media.enumerated() {
            var rejected = MediaDescription(media: m.media, port: 0, proto: m.proto, formats: m.formats.isEmpty ? ["0"] : m.formats)
            guard chosen == nil, m.media.lowercased() == "audio", m.port != 0 else {
                answerMedia.append(rejected)
                continue
            }
            guard m.proto.uppercased() == "RTP/AVP" else {
                failure = .init(warningCode: 302, reason: "transport \(m.proto) not supported")
                answerMedia.append(rejected)
                continue
            }
            guard let remote = m.connection ?? offer.connection else {
                failure = .init(warningCode: 399, reason: "no connection address")
                answerMedia.append(rejected)
                continue
            }
            let formats = m.formats.compactMap { pt -> (pt: String, codec: Codec)? in
                guard let map = m.rtpmap(for: pt), map.clockRate == 8000, map.channels == 1,
                      let codec = Codec.allCases.first(where: { $0.rawValue.caseInsensitiveEquals(map.name) }),
                      supported.contains(codec), UInt8(pt).map({ $0 < 128 }) == true
                else { return nil }
                return (pt, codec)
            }
            guard let audio = formats.first(where: { $0.codec != .telephoneEvent }) else {
                failure = .init(warningCode: 305, reason: "no common codec (we support \(supported.map(\.rawValue).joined(separator: ", ")))")
                answerMedia.append(rejected)
                continue
            }
            let event = formats.first { $0.codec == .telephoneEvent }
            let ptime = m.ptime.flatMap { acceptablePtime.contains($0) ? $0 : nil } ?? 20

            var offered = m.direction ?? offer.direction ?? .sendrecv
            // RFC 3264 §8.4: c=0.0.0.0 is the RFC 2543 hold: the offerer does not want media.
            if remote.isUnspecified { offered = offered.receives ? (offered.sends ? .sendonly : .inactive) : offered }
            let ours = offered.answer
            let law: G711.Law = audio.codec == .pcmu ? .ulaw : .alaw

            var attributes: [SessionDescription.Attribute] = [.init("rtpmap", "\(audio.pt) \(audio.codec.rawValue)/8000")]
            var answerFormats = [audio.pt]
            if let event {
                answerFormats.append(event.pt)
                attributes.append(.init("rtpmap", "\(event.pt) telephone-event/8000"))
                attributes.append(.init("fmtp", "\(event.pt) 0-15"))
            }
            attributes.append(.init("ptime", String(ptime)))
            attributes.append(.init(ours.rawValue))
            rejected = MediaDescription(media: "audio", port: localPort, proto: "RTP/AVP", formats: answerFormats, attributes: attributes)
            answerMedia.append(rejected)
            chosen = NegotiatedMedia(law: law, payloadType: UInt8(audio.pt)!, telephoneEventPayloadType: event.flatMap { UInt8($0.pt) },
                                     ptime: ptime, remoteAddress: remote.address, remotePort: m.port, direction: ours, mediaIndex: index)
        }
        guard let chosen else { return .failure(failure) }
        let description = SessionDescription(
            origin: .init(sessionID: sessionID, sessionVersion: sessionVersion, address: local),
            sessionName: "switchboard", connection: local, media: answerMedia)
        return .success(Answer(description: description, media: chosen))
    }

    /// An offer for a call we originate (queue agents): one audio stream with `laws` in our
    /// order of preference and telephone-event (RFC 3264 §5).
    public static func makeOffer(localAddress: String, localPort: Int, laws: [G711.Law] = [.ulaw, .alaw],
                                 telephoneEventPayloadType: UInt8? = 101, ptime: Int = 20,
                                 direction: MediaDirection = .sendrecv,
                                 sessionID: String = String(UInt32.random(in: 1...UInt32.max)), sessionVersion: String = "1") -> SessionDescription {
        let local = SessionDescription.ConnectionAddress(localAddress)
        var formats = laws.map { String($0.staticPayloadType) }
        var attributes = laws.map { SessionDescription.Attribute("rtpmap", "\($0.staticPayloadType) \($0.rawValue)/8000") }
        if let te = telephoneEventPayloadType {
            formats.append(String(te))
            attributes.append(.init("rtpmap", "\(te) telephone-event/8000"))
            attributes.append(.init("fmtp", "\(te) 0-15"))
        }
        attributes.append(.init("ptime", String(ptime)))
        attributes.append(.init(direction.rawValue))
        return SessionDescription(origin: .init(sessionID: sessionID, sessionVersion: sessionVersion, address: local),
                                  sessionName: "switchboard", connection: local,
                                  media: [MediaDescription(port: localPort, formats: formats, attributes: attributes)])
    }

    /// Reads the answer to an offer we made (RFC 3264 §7): the first accepted audio stream,
    /// its first codec that we offered, telephone-event if kept, and our resulting direction.
    public static func accept(answer: SessionDescription, to offer: SessionDescription) -> Result<NegotiatedMedia, SDPNegotiationFailure> {
        guard let ours = offer.media.firstIndex(where: { $0.media == "audio" && $0.port != 0 }) else {
            return .failure(.init(warningCode: 304, reason: "offer had no audio"))
        }
        guard answer.media.count == offer.media.count else {
            return .failure(.init(warningCode: 399, reason: "answer has \(answer.media.count) m= lines, offer had \(offer.media.count)"))
        }
        let m = answer.media[ours]
        guard m.port != 0 else { return .failure(.init(warningCode: 304, reason: "audio stream rejected")) }
        guard let remote = m.connection ?? answer.connection else { return .failure(.init(warningCode: 399, reason: "no connection address")) }
        let offered = Set(offer.media[ours].formats)
        var audio: (UInt8, G711.Law)?
        var event: UInt8?
        for pt in m.formats where offered.contains(pt) {
            guard let map = m.rtpmap(for: pt) ?? offer.media[ours].rtpmap(for: pt), map.clockRate == 8000, let n = UInt8(pt) else { continue }
            if audio == nil, let law = G711.Law(rawValue: map.name.uppercased()) { audio = (n, law) }
            if event == nil, map.name.caseInsensitiveEquals("telephone-event") { event = n }
        }
        guard let audio else { return .failure(.init(warningCode: 305, reason: "answer has no codec we offered")) }
        var theirs = m.direction ?? answer.direction ?? .sendrecv
        if remote.isUnspecified { theirs = theirs.receives ? (theirs.sends ? .sendonly : .inactive) : theirs }
        let ptime = m.ptime.flatMap { acceptablePtime.contains($0) ? $0 : nil } ?? offer.media[ours].ptime ?? 20
        return .success(NegotiatedMedia(law: audio.1, payloadType: audio.0, telephoneEventPayloadType: event, ptime: ptime,
                                        remoteAddress: remote.address, remotePort: m.port, direction: theirs.answer, mediaIndex: ours))
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
