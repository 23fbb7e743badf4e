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

    /// `replay(segments:files:)` (the fuzz target's way in, no files) must find what
    /// `replay(directory:)` finds on a directory with the same bytes: same events, counts and
    /// cuts, for a whole journal, a torn tail, a corrupt record in the middle, a committed
    /// position, and a segment that is garbage.
    @Test func inMemoryReplayMatchesTheDirectory() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let events = interleaved((0..<6).map { SampleLeg($0) })
        do {
            let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            var last: UInt64 = 0
            for e in events { last = j.append(e) ?? 0 }
            #expect(j.waitUntilDurable(last, timeout: 5))
            j.close()
        }
        let number = try #require(JournalFiles.segments(in: dir.path).first)
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: JournalFiles.segmentPath(dir.path, number))))
        let firstRecord = try #require({ if case .record(_, let n) = JournalFiles.parse(whole[...]) { n } else { nil } }())
        var corruptMiddle = whole
        corruptMiddle[firstRecord + 12] ^= 0xFF   // a payload byte of the second record: its CRC fails
        let cases: [(name: String, segments: [UInt64: [UInt8]], files: [String: String])] = [
            ("whole", [number: whole], [:]),
            ("torn tail", [number: whole + [0x40, 0, 0, 0, 1, 2, 3]], [:]),
            ("corrupt middle", [number: corruptMiddle], [:]),
            ("committed after the first record", [number: whole], ["committed": "\(number) \(firstRecord)\n"]),
            ("garbage segment after a whole one", [number: whole, number + 1: [0xFF, 0xFF, 0xFF, 0xFF, 9, 9, 9, 9, 1]], [:]),
        ]
        for c in cases {
            let d = TempDirectory()
            defer { d.remove() }
            for (n, bytes) in c.segments { FileManager.default.createFile(atPath: JournalFiles.segmentPath(d.path, n), contents: Data(bytes)) }
            for (name, text) in c.files { FileManager.default.createFile(atPath: d.path + "/" + name, contents: Data(text.utf8)) }
            let onDisk = try LegJournal.replay(directory: d.path, logger: quietLogger)
            let inMemory = try LegJournal.replay(segments: c.segments, files: c.files, logger: quietLogger)
            #expect(inMemory.events == onDisk.events, "\(c.name)")
            #expect(inMemory.records == onDisk.records && inMemory.backlog == onDisk.backlog, "\(c.name)")
            #expect(inMemory.cuts == onDisk.cuts, "\(c.name)")
        }
        let torn = try LegJournal.replay(segments: [number: whole + [0x40, 0, 0, 0, 1]], logger: quietLogger)
        #expect(torn.events == events)
        #expect(torn.cuts == [JournalPosition(segment: number, offset: UInt64(whole.count))])
        let middle = try LegJournal.replay(segments: [number: corruptMiddle], logger: quietLogger)
        #expect(middle.events == Array(events.prefix(1)))
        #expect(middle.cuts == [JournalPosition(segment: number, offset: UInt64(firstRecord))])
        let committed = try LegJournal.replay(segments: [number: whole], files: ["committed": "\(number) \(firstRecord)"], logger: quietLogger)
        #expect(committed.events == Array(events.dropFirst()))
    }
}
