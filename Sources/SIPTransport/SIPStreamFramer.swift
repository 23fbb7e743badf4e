import Foundation
import NIOCore

/// Cuts SIP messages out of a byte stream (TCP, later TLS) by Content-Length
/// (RFC 3261 §18.3): the header section ends at the first empty line, and the body is
/// exactly Content-Length bytes. A pure value type so it is tested without sockets.
///
/// Broken framing (no, negative, non-numeric or conflicting Content-Length, or a message
/// over the size cap) cannot be recovered on a stream: the caller closes the connection.
public struct SIPStreamFramer: Sendable {
    public enum Frame: Equatable, Sendable {
        /// One whole message: header section, empty line, body.
        case message(ByteBuffer)
        /// A CRLFCRLF keep-alive ping (RFC 5626 §3.5.1); the caller may answer with a CRLF pong.
        case keepAlivePing
    }

    public enum FramingError: Error, Equatable, Sendable {
        case messageTooLarge(limit: Int)
        case missingContentLength
        case invalidContentLength(String)
        case conflictingContentLength
    }

    public let maxMessageSize: Int
    /// Consecutive CRLFs seen between messages.
    private var pendingCRLFs = 0
    /// Scan state of the message at the reader index, kept between calls so that a message
    /// dripped in one byte per read costs linear work, not a rescan per read: how far the
    /// search for the empty line got, and once found, where the header section ends and the
    /// Content-Length it gave. Offsets are relative to the reader index (which only moves
    /// when a message is taken, and then the state is reset).
    private var scanned = 0
    private var header: (end: Int, contentLength: Int)?
    /// Bytes the framer has looked at, in total (tests assert it grows linearly).
    public private(set) var bytesExamined = 0

    public init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Removes and returns the next frame from `buffer`, or nil when more bytes are needed.
    /// Between calls the caller may append to `buffer` and discard read bytes, but must not
    /// move its reader index.
    public mutating func next(from buffer: inout ByteBuffer) throws(FramingError) -> Frame? {
        if scanned == 0, header == nil {
            // RFC 3261 §7.5: CRLFs before a start line are ignored; RFC 5626 §3.5.1 makes a
            // double CRLF a keep-alive ping.
            while buffer.readableBytes >= 2,
                  buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
                buffer.moveReaderIndex(forwardBy: 2)
                bytesExamined += 2
                pendingCRLFs += 1
                if pendingCRLFs == 2 {
                    pendingCRLFs = 0
                    return .keepAlivePing
                }
            }
            if buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 0x0D {
                return nil
            }
            guard buffer.readableBytes > 0 else { return nil }
            pendingCRLFs = 0
        }

        if header == nil {
            let (end, reached) = Self.headerSectionEnd(in: buffer, from: scanned, limit: maxMessageSize)
            bytesExamined += reached - scanned
            scanned = reached
            guard let end else {
                if buffer.readableBytes >= maxMessageSize { throw .messageTooLarge(limit: maxMessageSize) }
                return nil
            }
            bytesExamined += end
            header = (end, try Self.contentLength(in: buffer, headerEnd: end))
        }
        let (headerEnd, contentLength) = header!
        let total = headerEnd + contentLength
        guard total <= maxMessageSize else { throw .messageTooLarge(limit: maxMessageSize) }
        guard buffer.readableBytes >= total else { return nil }
        let message = buffer.readSlice(length: total)!
        scanned = 0
        header = nil
        return .message(message)
    }

    /// Offset (from the reader index) just past the CRLFCRLF that ends the header section.
    static func headerSectionEnd(in buffer: ByteBuffer, limit: Int) -> Int? {
        headerSectionEnd(in: buffer, from: 0, limit: limit).end
    }

    /// Resumable form: looks for the CRLFCRLF ending at or after offset `from` (each position
    /// is the last byte of a candidate), and returns how far it got so the next call starts
    /// there.
    static func headerSectionEnd(in buffer: ByteBuffer, from: Int, limit: Int) -> (end: Int?, reached: Int) {
        let count = min(buffer.readableBytes, limit)
        return buffer.withUnsafeReadableBytes { raw -> (Int?, Int) in
            var i = max(3, from)
            while i < count {
                if raw[i] == 0x0A, raw[i - 1] == 0x0D, raw[i - 2] == 0x0A, raw[i - 3] == 0x0D { return (i + 1, i + 1) }
                i += 1
            }
            return (nil, max(from, count))
        }
    }

    /// Finds Content-Length (or compact `l`) in the header section. Folded continuation
    /// lines are not Content-Length lines, so a line-by-line scan is enough.
    static func contentLength(in buffer: ByteBuffer, headerEnd: Int) throws(FramingError) -> Int {
        var found: Int?
        var lineStart = 0
        var failure: FramingError?
        buffer.withUnsafeReadableBytes { raw in
            var i = 0
            while i < headerEnd - 2, failure == nil {
                if raw[i] == 0x0D, raw[i + 1] == 0x0A {
                    if let value = Self.contentLengthValue(raw, lineStart, i) {
                        switch value {
                        case .success(let n):
                            if let found, found != n { failure = .conflictingContentLength }
                            found = n
                        case .failure(let e): failure = e
                        }
                    }
                    lineStart = i + 2
                    i += 2
                } else {
                    i += 1
                }
            }
        }
        if let failure { throw failure }
        guard let found else { throw .missingContentLength }
        return found
    }

    private static func contentLengthValue(_ raw: UnsafeRawBufferPointer, _ start: Int, _ end: Int)
        -> Result<Int, FramingError>? {
        guard let colon = (start..<end).first(where: { raw[$0] == UInt8(ascii: ":") }) else { return nil }
        var nameEnd = colon
        while nameEnd > start, raw[nameEnd - 1] == 0x20 || raw[nameEnd - 1] == 0x09 { nameEnd -= 1 }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<nameEnd]), as: UTF8.self).lowercased()
        guard name == "content-length" || name == "l" else { return nil }
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(colon + 1)..<end]), as: UTF8.self)
            .trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), value.count <= 9, let n = Int(value) else {
            return .failure(.invalidContentLength(value))
        }
        return .success(n)
    }
}
