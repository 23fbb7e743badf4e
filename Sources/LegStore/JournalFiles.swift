import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The journal directory's layout and the small POSIX helpers the journal needs (plain
/// file descriptors: we want `fsync`, `pread` and `ftruncate` with their exact semantics).
///
///     legs-00000000000000000007.journal   segments, numbered consecutively
///     committed                           "segment offset": replay starts here
///     heartbeat                           µs since 1970 the process was last alive
///     alive-before                        the last-alive time of the run whose open legs
///                                         are not closed yet (kept across restarts)
enum JournalFiles {
    /// `u32 length | u32 crc32c | payload`, little-endian.
    static let headerSize = 8
    /// Any larger length is corruption, not a record (events are < 400 KB even with
    /// maximal strings).
    static let maxPayload = 1 << 20

    static func segmentName(_ n: UInt64) -> String {
        let digits = String(n)
        return "legs-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".journal"
    }

    static func segmentPath(_ dir: String, _ n: UInt64) -> String { dir + "/" + segmentName(n) }

    /// Segment numbers present in `dir`, ascending.
    static func segments(in dir: String) -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { name -> UInt64? in
            guard name.hasPrefix("legs-"), name.hasSuffix(".journal") else { return nil }
            return UInt64(name.dropFirst(5).dropLast(8))
        }.sorted()
    }

    /// Writes `text` to `dir/name` atomically: temp file, fsync, rename, fsync of the
    /// directory, so a crash leaves either the old or the new content, never a mix.
    static func writeAtomically(_ text: String, dir: String, name: String, sync: Bool) throws {
        let tmp = dir + "/." + name + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw JournalIOError(operation: "open \(tmp)", errno: errno) }
        let bytes = Array(text.utf8)
        let ok = writeAll(fd, bytes[...])
        let err = errno
        if ok, sync, fsync(fd) != 0 { let e = errno; close(fd); throw JournalIOError(operation: "fsync \(tmp)", errno: e) }
        close(fd)
        guard ok else { throw JournalIOError(operation: "write \(tmp)", errno: err) }
        guard rename(tmp, dir + "/" + name) == 0 else { throw JournalIOError(operation: "rename \(tmp)", errno: errno) }
        if sync { syncDirectory(dir) }
    }

    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); close(fd) }
    }

    static func readSmallFile(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes every byte or returns false (errno set), retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return false }
            rest = rest.dropFirst(n)
        }
        return true
    }

    static func fileSize(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_size)
    }

    /// Reads up to `count` bytes at `offset` (fewer at end of file).
    static func pread(_ fd: Int32, offset: UInt64, count: Int) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = buf.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + got, count - got, off_t(offset) + off_t(got)) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            got += n
        }
        buf.removeLast(count - got)
        return buf
    }

    /// Frames `payload` as one record.
    static func frame(_ payload: [UInt8], into out: inout [UInt8]) {
        appendInteger(UInt32(payload.count), &out)
        appendInteger(CRC32C.checksum(payload), &out)
        out.append(contentsOf: payload)
    }

    enum Parsed {
        case record(payload: ArraySlice<UInt8>, size: Int)
        /// Not enough bytes for a whole record (a torn tail, or a read boundary).
        case incomplete
        /// Impossible length or checksum mismatch.
        case corrupt
    }

    /// Parses the record starting at `bytes.startIndex`.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parsed {
        guard bytes.count >= headerSize else { return .incomplete }
        // The header read in place: this runs once per record in recovery and again in the
        // reader, and an Array of 8 bytes per record was most of a replay's allocations.
        let length = Int(ByteReader.littleEndian(UInt32.self, bytes, at: bytes.startIndex))
        let crc = ByteReader.littleEndian(UInt32.self, bytes, at: bytes.startIndex + 4)
        guard length > 0, length <= maxPayload else { return .corrupt }
        guard bytes.count >= headerSize + length else { return .incomplete }
        let start = bytes.startIndex + headerSize
        let payload = bytes[start..<start + length]
        guard CRC32C.checksum(payload) == crc else { return .corrupt }
        return .record(payload: payload, size: headerSize + length)
    }
}

/// A failed system call in the journal, with its errno.
public struct JournalIOError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let errno: Int32
    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}
