import NIOCore
import Testing
@testable import SIPTransport

/// The framer resumes where it stopped (issue 13, item 4): a message dripped one byte per
/// read is examined a bounded number of times per byte, not rescanned from its start on
/// every read (O(n²) on the SIP loop before).
@Suite struct SIPStreamFramerDripTests {
    /// A 4 KiB INVITE-sized message: many header lines, a body.
    static func message(size: Int) -> String {
        var head = "INVITE sip:+18005550100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKdrip\r\n"
        var n = 0
        while head.utf8.count < size - 200 {
            head += "X-Filler-\(n): \(String(repeating: "a", count: 60))\r\n"
            n += 1
        }
        let body = String(repeating: "v", count: 100)
        return head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    /// Feeds `text` in reads of `step` bytes the way `SIPStreamHandler` does (append, frame,
    /// discard read bytes) and returns the frames and the bytes the framer examined.
    func drip(_ text: String, step: Int) throws -> (frames: [SIPStreamFramer.Frame], examined: Int) {
        var framer = SIPStreamFramer(maxMessageSize: 65_536)
        var buffer = ByteBuffer()
        var frames: [SIPStreamFramer.Frame] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            buffer.writeBytes(bytes[i..<min(i + step, bytes.count)])
            i += step
            while let f = try framer.next(from: &buffer) { frames.append(f) }
            buffer.discardReadBytes()
        }
        return (frames, framer.bytesExamined)
    }

    @Test func oneBytePerReadIsLinear() throws {
        let text = Self.message(size: 4096)
        #expect(text.utf8.count >= 4000)
        let (frames, examined) = try drip(text, step: 1)
        #expect(frames == [.message(ByteBuffer(string: text))])
        // Each byte is looked at once while searching for the empty line and once more for
        // Content-Length: 2x. A rescan per read would be ~n²/2 ≈ 8 million.
        #expect(examined <= 3 * text.utf8.count, "examined \(examined) bytes for a \(text.utf8.count)-byte message")
    }

    @Test func dripAndWholeReadExamineTheSame() throws {
        let text = Self.message(size: 4096)
        let whole = try drip(text, step: text.utf8.count)
        let dripped = try drip(text, step: 1)
        #expect(whole.frames == dripped.frames)
        #expect(dripped.examined <= whole.examined + 8)
    }

    @Test func backToBackMessagesDrippedStayLinear() throws {
        let one = Self.message(size: 2048)
        let text = one + "\r\n\r\n" + one
        let (frames, examined) = try drip(text, step: 1)
        #expect(frames == [.message(ByteBuffer(string: one)), .keepAlivePing, .message(ByteBuffer(string: one))])
        #expect(examined <= 3 * text.utf8.count)
    }

    @Test func oversizedDripStillRefused() throws {
        var framer = SIPStreamFramer(maxMessageSize: 1024)
        var buffer = ByteBuffer()
        var error: SIPStreamFramer.FramingError?
        for _ in 0..<2048 {
            buffer.writeString("a")
            do { _ = try framer.next(from: &buffer) } catch let e { error = e; break }
        }
        #expect(error == .messageTooLarge(limit: 1024))
        #expect(framer.bytesExamined <= 2 * 1024)
    }
}
