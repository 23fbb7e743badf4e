import Foundation
import Testing
@testable import SIPMessage

/// Inputs the fuzzer (bench/fuzz, target `sdp`) found, kept in its corpus and replayed here.
/// Each made libosip2 5.3's `sdp_message_parse` read past the end of the string
/// (AddressSanitizer heap-buffer-overflow) on an m= line ended by a bare LF or CR: without a
/// format, with an empty field, with a CR at the very end. libosip2 now only sees CRLF line
/// ends (RFC 4566 §5 lets us accept LF). The over-read itself only shows under the sanitizer
/// (`bench/fuzz/run.sh sdp` replays these); here: each parses exactly like its CRLF twin.
@Suite struct SDPFuzzRegressionTests {
    static func corpus(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/fuzz/corpus/sdp/\(name)")
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    static func outcome(_ text: String) -> String {
        do { return "\(try SDPCodec.parse(text))" } catch { return "error: \(error)" }
    }

    @Test(arguments: ["regress-m-line-without-format-lf", "regress-empty-m-field-lf", "regress-bare-cr-at-end"])
    func lfOnlyParsesLikeCRLF(_ name: String) throws {
        let text = try Self.corpus(name)
        let crlf = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        #expect(Self.outcome(text) == Self.outcome(crlf))
    }

    @Test func libosip2SeesOnlyCRLF() {
        #expect(SDPCodec.withCRLF("v=0\nm=audio 1 RTP/AVP\n") == "v=0\r\nm=audio 1 RTP/AVP\r\n")
        #expect(SDPCodec.withCRLF("v=0\r\ns=-\na=x\r\n") == "v=0\r\ns=-\r\na=x\r\n")
        #expect(SDPCodec.withCRLF("v=0\r\n") == "v=0\r\n")
        #expect(SDPCodec.withCRLF("s=-\rc=IN IP4 192.0.2.1\r") == "s=-\r\nc=IN IP4 192.0.2.1\r\n")
        let lf = try? SDPCodec.parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 49217 RTP/AVP 0\n")
        #expect(lf?.media.map(\.formats) == [["0"]])
    }
}
