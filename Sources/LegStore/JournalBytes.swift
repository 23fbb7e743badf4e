import Foundation

/// A journal directory held in memory: segments by number and the small control files by
/// name. Recovery and the reader treat it exactly as a directory on disk (`JournalStorage`),
/// so corrupt segments can be replayed without writing a file (the fuzz target, tests).
struct JournalBytes: JournalStorage {
    var segmentBytes: [UInt64: [UInt8]]
    var files: [String: String]

    func segments() -> [UInt64] { segmentBytes.keys.sorted() }

    func smallFile(_ name: String) -> String? {
        // As JournalFiles.readSmallFile trims it.
        files[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    mutating func writeSmallFile(_ text: String, name: String) throws { files[name] = text }

    func size(ofSegment n: UInt64) -> UInt64? { segmentBytes[n].map { UInt64($0.count) } }

    mutating func open(segment n: UInt64) throws {
        if segmentBytes[n] == nil { throw JournalIOError(operation: "open segment \(n)", errno: ENOENT) }
    }

    mutating func read(segment n: UInt64, offset: UInt64, count: Int) throws -> [UInt8] {
        guard let bytes = segmentBytes[n] else { throw JournalIOError(operation: "open segment \(n)", errno: ENOENT) }
        guard offset < UInt64(bytes.count), count > 0 else { return [] }
        let start = Int(offset)
        return Array(bytes[start..<min(bytes.count, start + count)])
    }

    mutating func remove(segment n: UInt64) { segmentBytes[n] = nil }

    mutating func truncate(segment n: UInt64, to length: UInt64) throws {
        guard var bytes = segmentBytes[n] else { throw JournalIOError(operation: "truncate segment \(n)", errno: ENOENT) }
        if length < UInt64(bytes.count) { bytes.removeLast(bytes.count - Int(length)) }
        segmentBytes[n] = bytes
    }

    mutating func close() {}

    func name(ofSegment n: UInt64) -> String { JournalFiles.segmentName(n) }
}
