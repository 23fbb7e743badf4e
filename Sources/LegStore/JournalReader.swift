import CallLegs
import Foundation
import Logging

/// Reads journal records sequentially between two positions. The writer owns one; it only
/// ever reads bytes the journal has already fsync'd (below `limit`), so it never races the
/// flusher's writes.
/// It reads through a `JournalStorage`: the journal directory, or bytes in memory.
struct JournalReader<Storage: JournalStorage> {
    private(set) var storage: Storage
    let logger: Logger
    /// Records whose checksum held but that did not decode (newer format or a bug): skipped.
    private(set) var undecodable = 0

    init(storage: Storage, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    mutating func close() { storage.close() }

    /// Up to `maxEvents` events from `from` (inclusive) to `limit` (exclusive), the
    /// position just after the last one returned (the commit point for them), and how many
    /// records that covers (events plus any undecodable records skipped).
    mutating func read(from: JournalPosition, limit: JournalPosition, maxEvents: Int) -> (events: [LegEvent], end: JournalPosition, records: Int) {
        var pos = from
        var events: [LegEvent] = []
        var records = 0
        // Bounded: each pass either consumes records or moves to the next segment.
        while events.count < maxEvents, pos < limit {
            guard (try? storage.open(segment: pos.segment)) != nil else {
                if pos.segment < limit.segment { pos = JournalPosition(segment: pos.segment + 1, offset: 0); continue }
                break
            }
            let sealed = pos.segment < limit.segment
            let end = sealed ? (storage.size(ofSegment: pos.segment) ?? 0) : limit.offset
            if pos.offset >= end {
                if sealed { pos = JournalPosition(segment: pos.segment + 1, offset: 0); continue }
                break
            }
            let want = Int(min(end - pos.offset, UInt64(max(64 << 10, maxEvents * 256))))
            let bytes = (try? storage.read(segment: pos.segment, offset: pos.offset, count: want)) ?? []
            let readAllToEnd = UInt64(bytes.count) >= end - pos.offset
            var slice = bytes[...]
            var progressed = false
            parsing: while events.count < maxEvents {
                switch JournalFiles.parse(slice) {
                case .record(let payload, let size):
                    if let e = LegEvent(decoding: payload) { events.append(e) } else {
                        undecodable += 1
                        logger.error("leg journal: skipping undecodable record", metadata: ["position": "\(pos)"])
                    }
                    pos.offset += UInt64(size)
                    records += 1
                    slice = slice.dropFirst(size)
                    progressed = true
                case .incomplete where !slice.isEmpty && !readAllToEnd:
                    break parsing  // record crosses this read's boundary: read again from it
                case .incomplete, .corrupt:
                    if slice.isEmpty { break parsing }
                    // Below the durable limit this can only be a segment abandoned after a
                    // write error (its tail could not be truncated): its good part is done.
                    logger.error("leg journal: unreadable bytes at \(pos), moving to the next segment")
                    if sealed { pos = JournalPosition(segment: pos.segment + 1, offset: 0); progressed = true }
                    break parsing
                }
            }
            if !progressed { break }
        }
        return (events, pos, records)
    }
}

extension JournalReader where Storage == JournalDirectory {
    init(directory: String, logger: Logger) {
        self.init(storage: JournalDirectory(path: directory), logger: logger)
    }
}
