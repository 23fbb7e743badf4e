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
    }

    /// Recovers `directory` (it modifies it, as opening the journal would) and reads its
    /// backlog without starting a flusher or a writer. Used by the fuzz target on corrupt
    /// segments; never trusts the bytes it reads.
    public static func replay(directory: String, logger: Logger) throws -> Replay {
        let recovered = try recover(directory: directory, logger: logger)
        var reader = JournalReader(directory: directory, logger: logger)
        defer { reader.close() }
        let limit = JournalPosition(segment: recovered.nextSegment, offset: 0)
        var position = recovered.committed
        var replay = Replay(events: [], records: 0, backlog: recovered.backlog)
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
