import Foundation
import Logging
import SIPMessage

/// The parsers under fuzzing. Each `run` must return normally for every input; a broken
/// invariant is reported with `finding`, which aborts so libFuzzer saves the input.
enum FuzzTarget: String, CaseIterable {
    /// SIP message parser + validator, then serialise → parse again (round trip).
    case sip
    /// TCP stream framer fed the input in chunks, every framed message parsed.
    case framer
    /// SDP parse, answer to it as an offer, accept it as an answer to our offer.
    case sdp
    /// RTP header, RTCP compound packet and RFC 4733 telephone-event parsers.
    case rtp
    /// The dialplan loader on one YAML file: diagnostics must point inside the file.
    case dialplan
    /// The leg journal's replay over a segment made of the input.
    case journal
    /// DNS response parser.
    case dns

    func setUp() {
        var logger = Logger(label: "fuzz.libosip2")
        logger.logLevel = .critical
        SIPMessageParser.bootstrap(logger: logger)
        switch self {
        case .dialplan: DialplanFuzz.setUp()
        case .journal: JournalFuzz.setUp()
        default: break
        }
    }

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .sip: SIPRoundTripFuzz.run(bytes)
        case .framer: FramerFuzz.run(bytes)
        case .sdp: SDPFuzz.run(bytes)
        case .rtp: RTPFuzz.run(bytes)
        case .dialplan: DialplanFuzz.run(bytes)
        case .journal: JournalFuzz.run(bytes)
        case .dns: DNSFuzz.run(bytes)
        }
    }
}

/// A broken invariant: print why and abort (libFuzzer then writes the crash input).
func finding(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    FileHandle.standardError.write(Data("FUZZ FINDING (\(file):\(line)): \(message)\n".utf8))
    abort()
}
