import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension LegJournal {
    struct Recovered {
        var committed: JournalPosition
        var backlog: Int
        var heartbeat: Date?
        var nextSegment: UInt64
        /// Where a torn or corrupt tail was cut, one position per segment cut.
        var cuts: [JournalPosition] = []
    }

    /// Opening after a crash: validates every segment still needed, cuts each at its first
    /// torn or corrupt record (so garbage is never replayed), deletes segments already
    /// committed, and picks a fresh segment for this run (never appending after a cut).
    static func recover(directory: String, logger: Logger) throws -> Recovered {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var storage = JournalDirectory(path: directory)
        defer { storage.close() }
        return try recover(&storage, logger: logger)
    }

    /// `recover(directory:logger:)` over any storage (a directory, or bytes in memory).
    static func recover<Storage: JournalStorage>(_ storage: inout Storage, logger: Logger) throws -> Recovered {
        var segments = storage.segments()

        var committed = JournalPosition(segment: segments.first ?? 1, offset: 0)
        if let text = storage.smallFile("committed") {
            let parts = text.split(separator: " ").compactMap { UInt64($0) }
            if parts.count == 2 { committed = JournalPosition(segment: parts[0], offset: parts[1]) }
            else { logger.error("leg journal: unreadable committed position \"\(text)\"; replaying every segment") }
        }
        // A committed segment that is gone (deleted after a later commit whose file write was
        // lost) means: start at the oldest segment we have. Replays are harmless.
        if let first = segments.first, committed.segment < first { committed = JournalPosition(segment: first, offset: 0) }

        for old in segments where old < committed.segment {
            storage.remove(segment: old)
        }
        segments.removeAll { $0 < committed.segment }
        let next = max(segments.last ?? 0, committed.segment) + 1
        if !segments.contains(committed.segment) {
            committed = JournalPosition(segment: segments.first ?? next, offset: 0)
        }

        var backlog = 0
        var cuts: [JournalPosition] = []
        for n in segments {
            let scan = try scanSegment(n, in: &storage)
            if let cut = scan.validEnd {
                let size = storage.size(ofSegment: n) ?? 0
                logger.error("leg journal: torn or corrupt tail cut", metadata: [
                    "segment": "\(storage.name(ofSegment: n))", "at": "\(cut)", "bytesDropped": "\(size - cut)",
                ])
                try storage.truncate(segment: n, to: cut)
                cuts.append(JournalPosition(segment: n, offset: cut))
            }
            if n == committed.segment {
                // Records before the committed offset are already in PostgreSQL.
                let end = scan.validEnd ?? (storage.size(ofSegment: n) ?? 0)
                if committed.offset > end { committed.offset = end }
                backlog += scan.recordEnds.filter { $0 > committed.offset }.count
            } else {
                backlog += scan.recordEnds.count
            }
        }

        var heartbeat: Date?
        if let text = storage.smallFile("heartbeat"), let us = Int64(text) {
            heartbeat = Date(timeIntervalSince1970: Double(us) / 1_000_000)
        }
        // A run that never got to close the legs left open before it (PostgreSQL down, a
        // crash during start-up) must not move their end to its own heartbeat: the first
        // unfinished run's last-alive time is kept (`alive-before`, fsync'd) until
        // `openLegsClosed()` says those legs are closed. Several restarts in a row keep it.
        if let text = storage.smallFile("alive-before"), let us = Int64(text) {
            let kept = Date(timeIntervalSince1970: Double(us) / 1_000_000)
            heartbeat = heartbeat.map { min($0, kept) } ?? kept
        } else if let heartbeat {
            try storage.writeSmallFile("\(Int64(heartbeat.timeIntervalSince1970 * 1_000_000))\n", name: "alive-before")
        }
        return Recovered(committed: committed, backlog: backlog, heartbeat: heartbeat,
                         nextSegment: next, cuts: cuts)
    }

    /// Offsets just after each valid record, and where to cut (nil if the whole file is valid).
    static func scanSegment<Storage: JournalStorage>(_ n: UInt64, in storage: inout Storage) throws -> (recordEnds: [UInt64], validEnd: UInt64?) {
        let size = storage.size(ofSegment: n) ?? 0
        var ends: [UInt64] = []
        var offset: UInt64 = 0
        let chunk = 1 << 20
        // Each read covers `chunk` bytes plus the largest possible record (or up to EOF), so a
        // record that does not parse inside the first `chunk` bytes is torn or corrupt, not
        // cut by the read. Bounded: every pass consumes records or returns.
        try storage.open(segment: n)
        while offset < size {
            let want = Int(min(UInt64(chunk + JournalFiles.headerSize + JournalFiles.maxPayload), size - offset))
            let bytes = try storage.read(segment: n, offset: offset, count: want)
            var slice = bytes[...]
            var parsed = 0
            while parsed < chunk, !slice.isEmpty {
                guard case .record(_, let n) = JournalFiles.parse(slice) else { return (ends, offset) }
                offset += UInt64(n)
                ends.append(offset)
                slice = slice.dropFirst(n)
                parsed += n
            }
            if bytes.count < want, offset < size { return (ends, offset) }  // short read: treat the rest as torn
        }
        return (ends, nil)
    }
}
