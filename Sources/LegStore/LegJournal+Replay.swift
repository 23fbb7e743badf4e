import CallLegs
import Logging

extension LegJournal {
    /// What a restart would replay from a journal directory, found the way the daemon finds
    /// it: recovery first (torn or corrupt tails cut, committed segments deleted), then every
    /// record from the committed position read by the writer's own `JournalReader`.
    public struct Replay: Sendable {
        /// Events that decoded, in journal order.
        public var events: [LegEvent]
        /// Records read (events plus records whose checksum held but that did not decode).
        public var records: Int
        /// Records recovery counted between the committed position and the end.
        public var backlog: Int
        /// Where recovery cut a torn or corrupt tail (segment and the offset it kept), in
        /// segment order; empty when every segment was whole.
        public var cuts: [JournalPosition]
    }

    /// Recovers `directory` (it modifies it, as opening the journal would) and reads its
    /// backlog without starting a flusher or a writer. Never trusts the bytes it reads.
    public static func replay(directory: String, logger: Logger) throws -> Replay {
        let recovered = try recover(directory: directory, logger: logger)
        return read(recovered, JournalReader(directory: directory, logger: logger))
    }

    /// The same over a journal directory held in memory: `segments` by number (the bytes of
    /// `legs-<number>.journal`) and `files` its control files by name (`committed`,
    /// `heartbeat`, `alive-before`). The same recovery and reader code as on disk, with no
    /// file read or written: the fuzz target feeds corrupt segments through it.
    public static func replay(segments: [UInt64: [UInt8]], files: [String: String] = [:], logger: Logger) throws -> Replay {
        var storage = JournalBytes(segmentBytes: segments, files: files)
        let recovered = try recover(&storage, logger: logger)
        return read(recovered, JournalReader(storage: storage, logger: logger))
    }

    private static func read<Storage>(_ recovered: Recovered, _ reader: JournalReader<Storage>) -> Replay {
        var reader = reader
        defer { reader.close() }
        let limit = JournalPosition(segment: recovered.nextSegment, offset: 0)
        var position = recovered.committed
        var replay = Replay(events: [], records: 0, backlog: recovered.backlog, cuts: recovered.cuts)
        // Batches as the writer reads them; bounded: a batch that makes no progress ends it.
        while position < limit {
            let (events, end, records) = reader.read(from: position, limit: limit, maxEvents: 1000)
            replay.events += events
            replay.records += records
            if end == position { break }
            position = end
        }
        return replay
    }
}
