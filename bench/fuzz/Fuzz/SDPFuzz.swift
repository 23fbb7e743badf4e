import Media
import SIPMessage

/// SDP parse (libosip2's parser behind `SDPCodec`), then both negotiation roles: the input
/// as an offer we answer (RFC 3264 §6) and as the answer to an offer of ours (§7). The answer
/// we build must serialise and parse back with one m= line per offered one.
enum SDPFuzz {
    static let ourOffer = SDPNegotiator.makeOffer(localAddress: "127.0.0.1", localPort: 40000, sessionID: "1")

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let description = try? SDPCodec.parse(text) else { return }
        _ = SDPNegotiator.accept(answer: description, to: ourOffer)
        if let again = try? SDPCodec.serialize(description) { _ = try? SDPCodec.parse(again) }

        guard case .success(let answer) = SDPNegotiator.answer(offer: description, localAddress: "127.0.0.1",
                                                               localPort: 40002, sessionID: "1") else { return }
        if answer.description.media.count != description.media.count {
            finding("answer has \(answer.description.media.count) m= lines for \(description.media.count) offered")
        }
        if !(0...65535).contains(answer.media.remotePort) { finding("negotiated remote port \(answer.media.remotePort)") }
        guard let wire = try? SDPCodec.serialize(answer.description) else { finding("our answer does not serialise:\n\(answer.description)") }
        guard let back = try? SDPCodec.parse(wire) else { finding("our answer does not parse back:\n\(wire)") }
        if back.media.count != description.media.count { finding("our answer parses back with \(back.media.count) m= lines\n\(wire)") }
    }
}
