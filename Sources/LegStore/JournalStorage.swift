import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where recovery and `JournalReader` find a journal directory's files: the directory on disk
/// (`JournalDirectory`, what the daemon uses) or bytes in memory (`JournalBytes`, for
/// `LegJournal.replay(segments:files:logger:)` and the fuzz target). Which records count,
/// where a torn segment is cut and what is replayed are decided by the same code over either.
protocol JournalStorage {
    /// Segment numbers present, ascending.
    func segments() -> [UInt64]
    /// The text of a small control file (`committed`, `heartbeat`, `alive-before`), trimmed;
    /// nil when it is absent.
    func smallFile(_ name: String) -> String?
    /// Replaces a small control file atomically (on disk: fsync'd, so a crash leaves the old
    /// or the new content).
    mutating func writeSmallFile(_ text: String, name: String) throws
    /// A segment's size in bytes; nil when it is absent.
    func size(ofSegment n: UInt64) -> UInt64?
    /// Makes segment `n` the one `read` reads; throws when it cannot be opened.
    mutating func open(segment n: UInt64) throws
    /// Up to `count` bytes at `offset` of segment `n` (fewer at its end).
    mutating func read(segment n: UInt64, offset: UInt64, count: Int) throws -> [UInt8]
    mutating func remove(segment n: UInt64)
    /// Cuts segment `n` to its first `length` bytes.
    mutating func truncate(segment n: UInt64, to length: UInt64) throws
    /// Closes what `open` opened.
    mutating func close()
    /// A segment's name, for log lines.
    func name(ofSegment n: UInt64) -> String
}

/// A journal directory on disk: plain file descriptors, as `JournalFiles` describes.
struct JournalDirectory: JournalStorage {
    let path: String
    private var openSegment: (number: UInt64, fd: Int32)?

    init(path: String) { self.path = path }

    func segments() -> [UInt64] { JournalFiles.segments(in: path) }

    func smallFile(_ name: String) -> String? { JournalFiles.readSmallFile(path + "/" + name) }

    mutating func writeSmallFile(_ text: String, name: String) throws {
        try JournalFiles.writeAtomically(text, dir: path, name: name, sync: true)
    }

    func size(ofSegment n: UInt64) -> UInt64? { JournalFiles.fileSize(JournalFiles.segmentPath(path, n)) }

    mutating func open(segment n: UInt64) throws { _ = try descriptor(n) }

    mutating func read(segment n: UInt64, offset: UInt64, count: Int) throws -> [UInt8] {
        JournalFiles.pread(try descriptor(n), offset: offset, count: count)
    }

    mutating func remove(segment n: UInt64) {
        if openSegment?.number == n { close() }
        unlink(JournalFiles.segmentPath(path, n))
    }

    mutating func truncate(segment n: UInt64, to length: UInt64) throws {
        let file = JournalFiles.segmentPath(path, n)
        guard Glibc.truncate(file, off_t(length)) == 0 else { throw JournalIOError(operation: "truncate \(file)", errno: errno) }
    }

    mutating func close() {
        if let s = openSegment { Glibc.close(s.fd) }
        openSegment = nil
    }

    func name(ofSegment n: UInt64) -> String { JournalFiles.segmentName(n) }

    private mutating func descriptor(_ segment: UInt64) throws -> Int32 {
        if let s = openSegment, s.number == segment { return s.fd }
        close()
        let file = JournalFiles.segmentPath(path, segment)
        let fd = Glibc.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalIOError(operation: "open \(file)", errno: errno) }
        openSegment = (segment, fd)
        return fd
    }
}
