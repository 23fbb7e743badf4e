import NIOCore
import Testing
@testable import SIPTransport

@Suite struct SIPStreamFramerTests {
    static let options = "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\nContent-Length: 4\r\n\r\nbody"

    func frames(_ chunks: [String], max: Int = 65536) throws -> [SIPStreamFramer.Frame] {
        var framer = SIPStreamFramer(maxMessageSize: max)
        var buffer = ByteBuffer()
        var out: [SIPStreamFramer.Frame] = []
        for chunk in chunks {
            buffer.writeString(chunk)
            while let f = try framer.next(from: &buffer) { out.append(f) }
        }
        return out
    }

    @Test func wholeMessageInOneRead() throws {
        let f = try frames([Self.options])
        #expect(f == [.message(ByteBuffer(string: Self.options))])
    }

    @Test func messageSplitAtEveryByte() throws {
        let bytes = Array(Self.options + Self.options)
        for cut in 1..<bytes.count {
            let f = try frames([String(bytes[..<cut]), String(bytes[cut...])])
            #expect(f.count == 2, "cut at \(cut)")
        }
    }

    @Test func keepAlivePingsBetweenMessages() throws {
        let f = try frames(["\r\n\r\n", Self.options, "\r\n\r\n\r\n\r\n"])
        #expect(f == [.keepAlivePing, .message(ByteBuffer(string: Self.options)), .keepAlivePing, .keepAlivePing])
    }

    @Test func compactContentLength() throws {
        let msg = "BYE sip:x@h SIP/2.0\r\nl : 2\r\n\r\nok"
        #expect(try frames([msg]) == [.message(ByteBuffer(string: msg))])
    }

    @Test func waitsForTheWholeBody() throws {
        let msg = "BYE sip:x@h SIP/2.0\r\nContent-Length: 9999\r\n\r\nshort"
        #expect(try frames([msg]).isEmpty)
    }

    @Test func negativeContentLengthBreaksFraming() {
        #expect(throws: SIPStreamFramer.FramingError.invalidContentLength("-999")) {
            try frames(["BYE sip:x@h SIP/2.0\r\nContent-Length: -999\r\n\r\n"])
        }
    }

    @Test func conflictingContentLengthsBreakFraming() {
        #expect(throws: SIPStreamFramer.FramingError.conflictingContentLength) {
            try frames(["BYE sip:x@h SIP/2.0\r\nContent-Length: 3\r\nl: 5\r\n\r\nabcde"])
        }
    }

    @Test func missingContentLengthBreaksFraming() {
        #expect(throws: SIPStreamFramer.FramingError.missingContentLength) {
            try frames(["BYE sip:x@h SIP/2.0\r\nCall-ID: a\r\n\r\n"])
        }
    }

    @Test func oversizedHeaderSectionIsRefusedBeforeItEnds() {
        let big = "INVITE sip:x@h SIP/2.0\r\nX: " + String(repeating: "a", count: 5000)
        #expect(throws: SIPStreamFramer.FramingError.messageTooLarge(limit: 4096)) {
            try frames([big], max: 4096)
        }
    }

    @Test func oversizedBodyIsRefusedFromItsContentLength() {
        #expect(throws: SIPStreamFramer.FramingError.messageTooLarge(limit: 4096)) {
            try frames(["INVITE sip:x@h SIP/2.0\r\nContent-Length: 100000\r\n\r\n"], max: 4096)
        }
    }
}
