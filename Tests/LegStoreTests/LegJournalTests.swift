import CallLegs
import Foundation
import Testing
@testable import LegStore

@Suite struct LegJournalTests {
    func append(_ journal: LegJournal, _ events: [LegEvent]) -> UInt64 {
        var last: UInt64 = 0
        for e in events { last = journal.append(e) ?? 0 }
        return last
    }

    @Test func appendedEventsSurviveReopenInOrder() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let events = interleaved((0..<50).map { SampleLeg($0) })
        do {
            let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            let seq = append(j, events)
            #expect(j.waitUntilDurable(seq, timeout: 5))
            #expect(readAll(j) == events)
            j.close()
        }
        let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { j.close() }
        #expect(j.backlogAtOpen == events.count)
        #expect(j.previousHeartbeat != nil)
        #expect(readAll(j, to: j.startPosition) == events)
        #expect(j.metrics.lag == UInt64(events.count))
    }

    /// Cuts the last segment in the middle of its last record, as a crash during write does.
    @Test func tornTailIsCutNotReplayed() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let events = interleaved((0..<30).map { SampleLeg($0) })
        var segment = ""
        do {
            let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            #expect(j.waitUntilDurable(append(j, events), timeout: 5))
            segment = JournalFiles.segmentPath(dir.path, j.startPosition.segment)
            j.crashForTesting()
        }
        let size = try #require(JournalFiles.fileSize(segment))
        #expect(truncate(segment, off_t(size - 5)) == 0)
        let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { j.close() }
        #expect(j.backlogAtOpen == events.count - 1)
        #expect(readAll(j, to: j.startPosition) == Array(events.dropLast()))
        let lastRecord = UInt64(events.last!.encoded().count + JournalFiles.headerSize)
        #expect(JournalFiles.fileSize(segment) == size - lastRecord)
    }

    /// A flipped byte inside record 10: its checksum fails, it and everything after it in
    /// that segment are cut.
    @Test func corruptRecordIsDetectedByChecksum() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let events = interleaved((0..<30).map { SampleLeg($0) })
        var segment = ""
        do {
            let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
            #expect(j.waitUntilDurable(append(j, events), timeout: 5))
            segment = JournalFiles.segmentPath(dir.path, j.startPosition.segment)
            j.close()
        }
        let offset = events.prefix(10).reduce(0) { $0 + $1.encoded().count + JournalFiles.headerSize } + JournalFiles.headerSize + 20
        let h = try #require(FileHandle(forUpdatingAtPath: segment))
        try h.seek(toOffset: UInt64(offset))
        let byte = try #require(h.readData(ofLength: 1).first)
        try h.seek(toOffset: UInt64(offset))
        h.write(Data([byte ^ 0x40]))
        try h.close()

        let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { j.close() }
        #expect(j.backlogAtOpen == 10)
        #expect(readAll(j, to: j.startPosition) == Array(events.prefix(10)))
    }

    @Test func segmentsRotateAndCommittedOnesAreDeleted() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = journalConfig(dir)
        config.segmentBytes = 2_000
        let j = try LegJournal(configuration: config, logger: quietLogger)
        defer { j.close() }
        let events = interleaved((0..<100).map { SampleLeg($0) })
        for chunk in stride(from: 0, to: events.count, by: 10) {
            #expect(j.waitUntilDurable(append(j, Array(events[chunk..<min(chunk + 10, events.count)])), timeout: 5))
        }
        let segments = JournalFiles.segments(in: dir.path)
        #expect(segments.count > 5)
        #expect(readAll(j) == events)
        // Commit up to the start of the 4th segment: the first three go.
        let cut = JournalPosition(segment: segments[3], offset: 0)
        j.commit(cut, events: 0)
        #expect(JournalFiles.segments(in: dir.path).first == segments[3])
        #expect(readAll(j) == Array(events.suffix(readAll(j).count)))
        #expect(j.committedPosition == cut)
    }

    /// Group commit without a fixed wait: a lone event is fsync'd as soon as it is queued
    /// (not at a heartbeat or an interval), and events queued while an fsync runs go
    /// together in the next one, each written once. (How soon is a bench figure.)
    @Test func groupCommitFsyncsAsSoonAsTheDiskIsFree() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = journalConfig(dir)
        config.heartbeatInterval = 3600  // nothing but the queue wakes the flusher
        let j = try LegJournal(configuration: config, logger: quietLogger)
        defer { j.close() }
        let events = interleaved((0..<25).map { SampleLeg($0) })  // 92 events
        let one = j.append(events[0])!
        #expect(j.waitUntilDurable(one, timeout: 10))
        #expect(j.metrics.fsyncs == 1 && j.metrics.fsyncedEvents == 1)
        let seq = append(j, events)
        #expect(j.waitUntilDurable(seq, timeout: 10))
        #expect(j.metrics.fsyncedEvents == 93)
        #expect(j.metrics.fsyncs >= 2 && j.metrics.fsyncs <= 93)
        #expect(readAll(j) == [events[0]] + events)
    }

    /// Disk errors: append keeps returning at once, errors are counted, and when the disk
    /// comes back every event is written exactly once, in order.
    @Test func ioErrorsAreCountedRetriedAndNeverBlockAppend() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let j = try LegJournal(configuration: journalConfig(dir), logger: quietLogger)
        defer { j.close() }
        j.failWritesForTesting = true
        let events = interleaved((0..<200).map { SampleLeg($0) })
        var slowest = 0.0
        for e in events {
            let t = Date()
            #expect(j.append(e) != nil)
            slowest = max(slowest, Date().timeIntervalSince(t))
        }
        #expect(slowest < 0.05)
        #expect(!j.flush(timeout: 0.4))
        #expect(j.metrics.ioErrors > 0)
        #expect(j.metrics.durable == 0)
        j.failWritesForTesting = false
        #expect(j.flush(timeout: 5))
        #expect(readAll(j) == events)
    }

    @Test func queueLimitDropsAndCountsInsteadOfGrowing() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = journalConfig(dir)
        config.maxPendingBytes = 1_000
        let j = try LegJournal(configuration: config, logger: quietLogger)
        defer { j.close() }
        j.failWritesForTesting = true
        let events = interleaved((0..<40).map { SampleLeg($0) })
        let accepted = events.filter { j.append($0) != nil }.count
        #expect(accepted < events.count)
        #expect(j.metrics.dropped == UInt64(events.count - accepted))
    }

    /// A full queue drops `ringing` (harmless) but keeps `ended` in its reserve, so a leg
    /// is not left open — billed to the next restart — because the disk was slow; each is
    /// counted, and once the disk is back every end is written.
    @Test func fullQueueKeepsEndsInTheReserve() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = journalConfig(dir)
        config.maxPendingBytes = 1_000
        config.endReserveBytes = 10_000
        let j = try LegJournal(configuration: config, logger: quietLogger)
        defer { j.close() }
        j.failWritesForTesting = true
        let legs = (0..<40).map { SampleLeg($0) }
        let events = interleaved(legs)
        let accepted = events.filter { j.append($0) != nil }
        #expect(accepted.count < events.count)
        let ends = events.filter { $0.kind == .ended }
        #expect(accepted.filter { $0.kind == .ended } == ends)  // none dropped
        #expect(j.metrics.droppedEnds == 0)
        #expect(j.metrics.endsInReserve > 0)
        j.failWritesForTesting = false
        #expect(j.flush(timeout: 10))
        #expect(readAll(j) == accepted)
    }

    /// Past the reserve too, an end is not dropped: it is kept owed (compactly) and
    /// journaled once the disk takes writes again, so its leg is closed at its real end
    /// rather than left open (and billed) until a restart. Only past `maxOwedEnds` is an
    /// end dropped, and then it is counted as such.
    @Test func endsPastTheReserveAreOwedAndWrittenOnceTheDiskRecovers() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var config = journalConfig(dir)
        config.maxPendingBytes = 1_000
        config.endReserveBytes = 200
        config.maxOwedEnds = 25
        let j = try LegJournal(configuration: config, logger: quietLogger)
        defer { j.close() }
        j.failWritesForTesting = true
        let legs = (0..<40).map { SampleLeg($0) }
        let events = interleaved(legs)
        let accepted = events.filter { j.append($0) != nil }
        let ends = events.filter { $0.kind == .ended }
        let queuedEnds = accepted.filter { $0.kind == .ended }
        let m = j.metrics
        #expect(queuedEnds.count < ends.count)  // the reserve alone could not hold them
        #expect(m.endsOwed == 25)
        #expect(m.owedEnds == 25)
        #expect(m.droppedEnds == UInt64(ends.count - queuedEnds.count - 25))
        j.failWritesForTesting = false
        #expect(j.flush(timeout: 10))
        let written = readAll(j)
        let owed = ends.filter { !queuedEnds.contains($0) }.prefix(25)
        // What was queued comes first, in order; then every owed end, oldest first, intact.
        #expect(Array(written.prefix(accepted.count)) == accepted)
        #expect(Array(written.dropFirst(accepted.count)) == Array(owed))
        #expect(j.metrics.owedEnds == 0)
    }
}
