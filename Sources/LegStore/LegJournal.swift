import CallLegs
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The on-disk leg journal: an event counts as recorded once it is here and fsync'd.
///
/// `append` only encodes the event and queues it in memory (no I/O, no waiting), so the call
/// engine's event loop never blocks on the disk. A dedicated flusher thread writes queued
/// records to the current segment and fsyncs them in groups, then publishes the durable
/// position the writer may read up to. Group commit as in PostgreSQL: no fixed wait — the
/// flusher writes and fsyncs as soon as something is queued and the previous fsync is done,
/// so one event alone is durable after one fsync, and under load everything queued during
/// an fsync goes in the next one. Disk errors never reach the caller: they are logged, counted (`metrics.ioErrors`) and
/// retried; only if the queue passes `maxPendingBytes` are new events dropped (counted too).
public final class LegJournal: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Directory of segments and state files (created if missing). Config key `legs.journal-directory`.
        public var directory: String
        /// A segment is closed and a new one begun once it reaches this size. Default 64 MiB.
        public var segmentBytes: Int = 64 << 20
        /// Memory the queue may use while the disk fails; events beyond are dropped. Default 256 MiB.
        public var maxPendingBytes: Int = 256 << 20
        /// Extra room only `ended` events may use once the queue is full (≈ 50 B each, so
        /// 16 MiB ≈ 300,000 ends): a dropped end would leave its leg open, billed up to the
        /// next restart, while a dropped `ringing` costs nothing. Default 16 MiB.
        public var endReserveBytes: Int = 16 << 20
        /// Ends that fit in neither the queue nor its reserve are kept as compact
        /// `OwedEnd`s (48 B each) up to this many, and queued as soon as the disk takes
        /// writes again, so no leg stays open (and billed) until the next restart because
        /// the disk was slow. Default 1,000,000 (≈ 48 MiB, on top of the reserve's 300,000).
        public var maxOwedEnds: Int = 1_000_000
        /// How often the heartbeat file is rewritten. Default 1 s.
        public var heartbeatInterval: Double = 1.0

        public init(directory: String) { self.directory = directory }
    }

    public let configuration: Configuration
    let logger: Logger

    /// End of the journal when it was opened: everything before it belongs to earlier runs.
    public let startPosition: JournalPosition
    /// The heartbeat the previous run left behind: when it was last known alive (nil on a
    /// fresh directory). Used to close legs it left answered.
    public let previousHeartbeat: Date?
    /// Records between the committed position and `startPosition` at open (the replay).
    public let backlogAtOpen: Int

    // Guarded by `state`.
    private let state = NSCondition()
    private var pending: [UInt8] = []
    private var pendingEvents = 0
    private var appendedSeq: UInt64 = 0
    private var durableSeq: UInt64 = 0
    private var durable: JournalPosition
    private var committed: JournalPosition
    private var committedEvents: UInt64 = 0
    private var stopping = false
    private var stopped = false
    private var counters = LegJournalMetrics()
    /// `ended` events past the reserve, queued by the flusher when there is room (in order).
    private var owedEnds: [OwedEnd] = []
    private var lastDropLog: Date = .distantPast

    // Owned by the flusher thread (and `init` before it starts).
    private var fd: Int32 = -1
    private var segment: UInt64
    private var offset: UInt64 = 0
    private var needsNewSegment = false
    private var lastHeartbeat = Date.distantPast
    private var thread: Thread?
    /// Tests only: makes every write fail as if the disk were full.
    var failWritesForTesting = false

    public init(configuration: Configuration, logger: Logger = Logger(label: "switchboard.legs.journal")) throws {
        self.configuration = configuration
        self.logger = logger
        let recovered = try Self.recover(directory: configuration.directory, logger: logger)
        committed = recovered.committed
        backlogAtOpen = recovered.backlog
        previousHeartbeat = recovered.heartbeat
        segment = recovered.nextSegment
        startPosition = JournalPosition(segment: segment, offset: 0)
        durable = startPosition
        try openSegment()
        writeHeartbeat()
        let t = Thread { [self] in flusherLoop() }
        t.name = "leg-journal-flusher"
        thread = t
        t.start()
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    // MARK: - Appending (any thread, never blocks on I/O)

    /// Queues `event`; returns its sequence number for `waitUntilDurable`, or nil if it was
    /// dropped because the disk has been failing long enough to fill `maxPendingBytes`.
    @discardableResult
    public func append(_ event: LegEvent) -> UInt64? {
        var record: [UInt8] = []
        record.reserveCapacity(160)
        JournalFiles.frame(event.encoded(), into: &record)
        state.lock()
        defer { state.unlock() }
        guard !stopped else { counters.dropped += 1; return nil }
        let isEnd = event.kind == .ended
        let limit = configuration.maxPendingBytes + (isEnd ? configuration.endReserveBytes : 0)
        guard pending.count + record.count <= limit else {
            if isEnd, owedEnds.count < configuration.maxOwedEnds, let owed = OwedEnd(event) {
                // Not dropped: owed, and queued by the flusher once the disk takes writes.
                owedEnds.append(owed)
                counters.endsOwed += 1
                logQueueFull("leg journal queue and end reserve full: keeping ends owed until the disk recovers")
                return nil
            }
            counters.dropped += 1
            if isEnd { counters.droppedEnds += 1 }
            logQueueFull("leg journal queue full: dropping leg events")
            return nil
        }
        if pending.count + record.count > configuration.maxPendingBytes {
            // Kept in the reserve: counted and said loudly, the queue is over its limit.
            counters.endsInReserve += 1
            logQueueFull("leg journal queue full: dropping leg events but keeping ends in the reserve")
        }
        return enqueue(record)
    }

    /// Called with `state` locked.
    private func enqueue(_ record: [UInt8]) -> UInt64 {
        pending.append(contentsOf: record)
        pendingEvents += 1
        appendedSeq += 1
        counters.appended += 1
        // The flusher may be idle: wake it (broadcast: durability waiters share the condition).
        if pendingEvents == 1 { state.broadcast() }
        return appendedSeq
    }

    /// Loud, but at most once a second (called with `state` locked, on the appending thread).
    private func logQueueFull(_ message: Logger.Message) {
        guard Date().timeIntervalSince(lastDropLog) >= 1 else { return }
        lastDropLog = Date()
        logger.critical(message, metadata: [
            "dropped": "\(counters.dropped)", "droppedEnds": "\(counters.droppedEnds)",
            "endsInReserve": "\(counters.endsInReserve)", "endsOwed": "\(owedEnds.count)",
        ])
    }

    /// Queues owed ends while they fit under the queue's limit plus its reserve, oldest
    /// first; called by the flusher with `state` locked after a write went through.
    private func requeueOwedEnds() {
        guard !owedEnds.isEmpty else { return }
        let limit = configuration.maxPendingBytes + configuration.endReserveBytes
        var taken = 0
        var record: [UInt8] = []
        for owed in owedEnds {
            record.removeAll(keepingCapacity: true)
            JournalFiles.frame(owed.event.encoded(), into: &record)
            guard pending.count + record.count <= limit else { break }
            _ = enqueue(record)
            taken += 1
        }
        owedEnds.removeFirst(taken)
    }

    /// The legs left open before this run are closed (their `interrupted` events are
    /// durable here): later runs close their own leftovers at this run's heartbeat.
    public func openLegsClosed() {
        unlink(configuration.directory + "/alive-before")
    }

    /// Blocks until event `seq` is fsync'd (tests, shutdown). False on timeout.
    @discardableResult
    public func waitUntilDurable(_ seq: UInt64, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        state.lock()
        defer { state.unlock() }
        while durableSeq < seq {
            if stopped || !state.wait(until: deadline) { return durableSeq >= seq }
        }
        return true
    }

    /// Blocks until everything appended so far is fsync'd, owed ends included.
    @discardableResult
    public func flush(timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            state.lock()
            let seq = appendedSeq, owing = !owedEnds.isEmpty
            state.broadcast()
            state.unlock()
            guard waitUntilDurable(seq, timeout: max(0, deadline.timeIntervalSinceNow)) else { return false }
            // Owed ends are queued by the flusher after a write succeeds: wait for those too.
            if !owing { return true }
            if Date() >= deadline { return false }
        }
    }

    public var metrics: LegJournalMetrics {
        state.lock()
        defer { state.unlock() }
        var m = counters
        m.durable = durableSeq
        m.pendingEvents = pendingEvents
        m.owedEnds = owedEnds.count
        m.lag = UInt64(backlogAtOpen) + appendedSeq - min(committedEvents, UInt64(backlogAtOpen) + appendedSeq)
        return m
    }

    /// Flushes what is queued, writes a last heartbeat and stops the flusher thread.
    public func close() {
        state.lock()
        stopping = true
        state.broadcast()
        while !stopped { _ = state.wait(until: Date().addingTimeInterval(0.1)) }
        state.unlock()
    }

    /// Tests only: stops the flusher without flushing, like a crash would (queued events lost).
    func crashForTesting() {
        state.lock()
        pending.removeAll()
        pendingEvents = 0
        stopping = true
        state.broadcast()
        while !stopped { _ = state.wait(until: Date().addingTimeInterval(0.1)) }
        state.unlock()
    }

    // MARK: - Writer side

    /// Where the writer resumes: everything before it is in PostgreSQL.
    public var committedPosition: JournalPosition {
        state.lock(); defer { state.unlock() }
        return committed
    }

    /// Waits up to `timeout` for the durable end to pass `position`; returns the durable end.
    func waitForDurable(beyond position: JournalPosition, timeout: Double) -> JournalPosition {
        let deadline = Date().addingTimeInterval(timeout)
        state.lock()
        defer { state.unlock() }
        while durable <= position, !stopped, state.wait(until: deadline) {}
        return durable
    }

    var durablePosition: JournalPosition {
        state.lock(); defer { state.unlock() }
        return durable
    }

    /// Records that everything before `position` (`events` more of them) is committed in
    /// PostgreSQL: persists it and deletes segments wholly before it.
    func commit(_ position: JournalPosition, events: Int) {
        do {
            try JournalFiles.writeAtomically("\(position.segment) \(position.offset)\n",
                                             dir: configuration.directory, name: "committed", sync: true)
        } catch {
            // Harmless for correctness (an older committed position only replays more), but
            // segments are then kept: say so.
            logger.error("leg journal: cannot record committed position: \(error)")
            state.lock(); counters.ioErrors += 1; state.unlock()
            return
        }
        state.lock()
        committed = position
        committedEvents += UInt64(events)
        state.unlock()
        for old in JournalFiles.segments(in: configuration.directory) where old < position.segment {
            unlink(JournalFiles.segmentPath(configuration.directory, old))
        }
    }

    // MARK: - Flusher thread

    private func flusherLoop() {
        var retryDelay = 0.0
        while true {
            state.lock()
            // Idle until something is queued (or the heartbeat is due); after a failed write,
            // wait out the retry delay first.
            let retryAt = Date().addingTimeInterval(retryDelay)
            while !stopping, pendingEvents == 0 || Date() < retryAt {
                let heartbeatDue = lastHeartbeat.addingTimeInterval(configuration.heartbeatInterval)
                _ = state.wait(until: pendingEvents == 0 ? heartbeatDue : min(retryAt, heartbeatDue))
                if Date() >= heartbeatDue { break }
            }
            let batch = pending, count = pendingEvents, lastSeq = appendedSeq
            let exiting = stopping
            pending.removeAll(keepingCapacity: true)
            pendingEvents = 0
            state.unlock()

            if !batch.isEmpty {
                let started = DispatchTime.now().uptimeNanoseconds
                if let failure = writeAndSync(batch) {
                    retryDelay = min(max(retryDelay * 2, 0.1), 1.0)
                    state.lock()
                    counters.ioErrors += 1
                    pending = batch + pending  // keep order: retried before newer events
                    pendingEvents += count
                    state.unlock()
                    logger.error("leg journal write failed; will retry", metadata: ["error": "\(failure)"])
                    if exiting { finish(); return }  // shutting down on a dead disk: nothing more to do
                    continue
                }
                retryDelay = 0
                let took = DispatchTime.now().uptimeNanoseconds - started
                state.lock()
                durableSeq = lastSeq
                durable = JournalPosition(segment: segment, offset: offset)
                counters.fsyncs += 1
                counters.fsyncedEvents += UInt64(count)
                counters.fsyncNanosTotal += took
                counters.fsyncNanosMax = max(counters.fsyncNanosMax, took)
                counters.bytesWritten += UInt64(batch.count)
                requeueOwedEnds()
                state.broadcast()
                state.unlock()
                rotateIfFull()
            }
            if Date() >= lastHeartbeat.addingTimeInterval(configuration.heartbeatInterval) { writeHeartbeat() }
            if exiting {
                state.lock()
                let empty = pending.isEmpty
                state.unlock()
                if empty { writeHeartbeat(); finish(); return }
            }
        }
    }

    private func finish() {
        state.lock()
        stopped = true
        state.broadcast()
        state.unlock()
    }

    /// Appends `batch` to the current segment and fsyncs it; on failure cuts the segment
    /// back to its last good end and moves on to a new one (after a failed fsync the kernel
    /// may have dropped the dirty pages, so the old file's tail can never be trusted again).
    private func writeAndSync(_ batch: [UInt8]) -> JournalIOError? {
        if needsNewSegment {
            segment += 1
            do { try openSegment(); needsNewSegment = false } catch let e as JournalIOError { segment -= 1; return e } catch { return nil }
        }
        var failure: JournalIOError?
        if failWritesForTesting { failure = JournalIOError(operation: "write (test)", errno: ENOSPC) }
        else if !JournalFiles.writeAll(fd, batch[...]) { failure = JournalIOError(operation: "write", errno: errno) }
        else if fdatasync(fd) != 0 { failure = JournalIOError(operation: "fsync", errno: errno) }
        if let failure {
            _ = ftruncate(fd, off_t(offset))
            Glibc.close(fd)
            fd = -1
            needsNewSegment = true
            return failure
        }
        offset += UInt64(batch.count)
        return nil
    }

    private func rotateIfFull() {
        guard offset >= UInt64(configuration.segmentBytes) else { return }
        Glibc.close(fd)
        fd = -1
        segment += 1
        do { try openSegment() } catch {
            logger.error("leg journal: cannot open segment \(segment): \(error)")
            state.lock(); counters.ioErrors += 1; state.unlock()
            segment -= 1
            needsNewSegment = true
        }
    }

    /// Creates segment `segment` (fsyncing the directory so the new name survives a crash).
    private func openSegment() throws {
        let path = JournalFiles.segmentPath(configuration.directory, segment)
        let newFD = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard newFD >= 0 else { throw JournalIOError(operation: "open \(path)", errno: errno) }
        fd = newFD
        offset = JournalFiles.fileSize(path) ?? 0
        JournalFiles.syncDirectory(configuration.directory)
    }

    private func writeHeartbeat() {
        lastHeartbeat = Date()
        let us = Int64(lastHeartbeat.timeIntervalSince1970 * 1_000_000)
        // Not fsync'd: it only has to survive a process crash; after a power loss an older
        // (or missing) heartbeat just closes interrupted legs a little earlier.
        try? JournalFiles.writeAtomically("\(us)\n", dir: configuration.directory, name: "heartbeat", sync: false)
    }
}

/// Counters for the metrics endpoint (all since the journal was opened).
public struct LegJournalMetrics: Sendable, Equatable {
    public var appended: UInt64 = 0
    public var durable: UInt64 = 0
    public var dropped: UInt64 = 0
    /// `ended` events among `dropped` (their legs stay open until a restart closes them).
    public var droppedEnds: UInt64 = 0
    /// `ended` events queued in the reserve past `maxPendingBytes` instead of dropped.
    public var endsInReserve: UInt64 = 0
    /// `ended` events that fit in neither and were kept owed (queued later) instead of dropped.
    public var endsOwed: UInt64 = 0
    /// Owed ends not yet queued (now).
    public var owedEnds = 0
    public var ioErrors: UInt64 = 0
    public var fsyncs: UInt64 = 0
    public var fsyncedEvents: UInt64 = 0
    public var fsyncNanosTotal: UInt64 = 0
    public var fsyncNanosMax: UInt64 = 0
    public var bytesWritten: UInt64 = 0
    public var pendingEvents = 0
    /// Events journaled (including the backlog found at open) but not yet in PostgreSQL.
    public var lag: UInt64 = 0
}

/// An `ended` event waiting for room in the queue, without the `Data`/array of an encoded
/// record (the queue is full because the disk fails: memory is what is short).
struct OwedEnd {
    let legID: UUID
    let callID: UUID
    let microseconds: Int64
    let status: Int32
    let reason: LegEvent.EndReason

    init?(_ event: LegEvent) {
        guard case .ended(let status, let reason) = event.detail else { return nil }
        legID = event.legID
        callID = event.callID
        microseconds = event.microseconds
        self.status = status.map(Int32.init) ?? -1
        self.reason = reason
    }

    var event: LegEvent {
        LegEvent(legID: legID, callID: callID, microseconds: microseconds,
                 .ended(status: status < 0 ? nil : Int(status), reason: reason))
    }
}
