import Foundation
import Testing
@testable import LegStore

/// `LegJournal.replay` (the fuzz target's way in): what a restart would replay, read without
/// a flusher or a writer.
@Suite struct LegJournalReplayTests {
    @Test func replayReadsTheBacklogAndCutsATornTail() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let events = interleaved((0..<10).map { SampleLeg($0) })
        do {
            let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            var last: UInt64 = 0
            for e in events { last = j.append(e) ?? 0 }
            #expect(j.waitUntilDurable(last, timeout: 5))
            j.close()
        }
        let whole = try LegJournal.replay(directory: dir.path, logger: quietLogger)
        #expect(whole.events == events)
        #expect(whole.records == events.count && whole.backlog == events.count)

        // Half a record of garbage at the end, as a crash during a write leaves it.
        let segment = JournalFiles.segments(in: dir.path).first!
        let path = JournalFiles.segmentPath(dir.path, segment)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data([0x40, 0, 0, 0, 1, 2, 3]))
        try handle.close()
        let cut = try LegJournal.replay(directory: dir.path, logger: quietLogger)
        #expect(cut.events == events)
        #expect(cut.records == cut.backlog)
    }
}
