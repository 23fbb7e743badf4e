import NIOCore
import SIPMessage
import SIPTransport

/// The TCP framer must cut the same messages however the stream is chunked (a peer or the
/// kernel may split it anywhere), never hand out more than its cap, and every frame goes on
/// to the stream-mode parser. The first input byte picks the chunk size.
enum FramerFuzz {
    static let cap = 4096

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let seed = bytes.first else { return }
        let stream = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let whole = frames(stream, chunk: stream.count)
        let chunked = frames(stream, chunk: Int(seed % 64) + 1)
        if whole != chunked {
            finding("framing depends on chunking: whole \(whole) vs \(Int(seed % 64) + 1)-byte chunks \(chunked)")
        }
        for case .message(let m) in whole.frames {
            _ = m.withUnsafeReadableBytes { SIPMessageParser.parse($0, framing: .stream) }
        }
    }

    struct Outcome: Equatable, CustomStringConvertible {
        var frames: [SIPStreamFramer.Frame] = []
        var error: SIPStreamFramer.FramingError?
        var description: String { "\(frames.count) frames, error \(String(describing: error))" }
    }

    static func frames(_ stream: UnsafeRawBufferPointer, chunk: Int) -> Outcome {
        var framer = SIPStreamFramer(maxMessageSize: cap)
        var buffer = ByteBuffer()
        var out = Outcome()
        var offset = 0
        repeat {
            let end = min(stream.count, offset + max(chunk, 1))
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
            offset = end
            do {
                while let frame = try framer.next(from: &buffer) {
                    if case .message(let m) = frame, m.readableBytes > cap { finding("frame of \(m.readableBytes) bytes over the \(cap) cap") }
                    out.frames.append(frame)
                    if out.frames.count > stream.count + 1 { finding("framer produced more frames than bytes") }
                }
            } catch {
                out.error = error
                return out
            }
            buffer.discardReadBytes()
        } while offset < stream.count
        return out
    }
}
