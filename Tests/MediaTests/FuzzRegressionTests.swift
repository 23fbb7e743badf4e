import Foundation
import Media
import Testing

/// Inputs the fuzzer (bench/fuzz, target `sdp`) found, kept in its corpus and replayed here.
@Suite struct SDPFuzzRegressionTests {
    static func corpus(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/fuzz/corpus/sdp/\(name)")
        return String(decoding: try Data(contentsOf: url), as: UTF8.self)
    }

    /// An m= line without a format, ended by a bare LF: libosip2 5.3's `sdp_message_parse`
    /// read past the end of the string (AddressSanitizer heap-buffer-overflow). RFC 4566 §5.14
    /// requires at least one format, so we refuse the line before libosip2 sees it.
    @Test func mLineWithoutFormatIsRefusedBeforeLibosip2() throws {
        #expect(throws: SDPCodec.Error.invalid("m= line")) { try SDPCodec.parse(try Self.corpus("regress-m-line-without-format-lf")) }
        let minimal = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 49217 RTP/AVP\n"
        #expect(throws: SDPCodec.Error.invalid("m= line")) { try SDPCodec.parse(minimal) }
        // The same stream with its format still parses, with LF or CRLF line ends.
        let fine = try SDPCodec.parse("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 49217 RTP/AVP 0\n")
        #expect(fine.media.map(\.formats) == [["0"]])
    }
}
