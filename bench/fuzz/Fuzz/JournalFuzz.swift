internal import CFuzzDriver
import CallLegs
import Foundation
import LegStore
import Logging

/// A corrupt journal segment through recovery and the writer's reader (what a restart after
/// a bad disk does). Raw bytes alone rarely pass the CRC-32C, so the first byte picks a mode:
/// bit 0 set frames the rest as records with valid checksums (reaching the event decoder),
/// bit 1 also writes a `committed` file (bits 3-6 and 7 pick it), bit 2 splits the input over two segments. Invariants:
/// no crash, no hang, and the reader reads exactly the records recovery counted.
enum JournalFuzz {
    static let logger: Logger = { var l = Logger(label: "fuzz.journal"); l.logLevel = .critical; return l }()

    static func setUp() {}

    static func run(_ bytes: UnsafeRawBufferPointer) {
        let input = Array(bytes)
        _ = LegEvent(decoding: input)
        guard let mode = input.first else { return }
        let rest = Array(input.dropFirst())
        let segment = mode & 1 != 0 ? framed(rest) : rest

        // The journal directory in memory (LegJournal.replay(segments:files:)): the same
        // recovery and reader as on disk, without a file per input.
        let split = mode & 4 != 0 ? segment.count / 2 : segment.count
        var segments: [UInt64: [UInt8]] = [1: Array(segment[..<split])]
        if split < segment.count { segments[2] = Array(segment[split...]) }
        // A committed position the writer could have left (a segment start), or with bit 7 any
        // offset: then the reader may start mid-record and only "no crash, no hang" holds.
        let anyOffset = mode & 0x80 != 0
        var files: [String: String] = [:]
        if mode & 2 != 0 {
            files["committed"] = (anyOffset ? "1 \(Int(mode >> 3 & 0x0F) * 16)" : "\(1 + Int(mode >> 3 & 0x0F) % 3) 0") + "\n"
        }

        let replay: LegJournal.Replay
        do { replay = try LegJournal.replay(segments: segments, files: files, logger: logger) } catch { return }
        if !(anyOffset && mode & 2 != 0), replay.records != replay.backlog { finding("reader read \(replay.records) records, recovery counted \(replay.backlog)") }
        if replay.events.count > replay.records { finding("\(replay.events.count) events from \(replay.records) records") }
        // Recovery cuts at most once per segment, inside it, and never where it read nothing.
        for cut in replay.cuts {
            guard let bytes = segments[cut.segment], cut.offset < UInt64(bytes.count) else { finding("cut \(cut) outside its segment") }
        }
    }

    /// `u8 length | payload` chunks → `u32 length | u32 crc32c | payload` records.
    static func framed(_ bytes: [UInt8]) -> [UInt8] {
        // One allocation of the exact size, written in place (appending header and payload
        // to an Array was a fifth of an input's time): 8 header bytes per chunk replace its
        // length byte, so the records take bytes.count + 7 × chunks.
        var chunks = 0
        var i = 0
        while i < bytes.count { chunks += 1; i += 1 + Int(bytes[i]) }
        let total = bytes.count + 7 * chunks
        return bytes.withUnsafeBufferPointer { input in
            [UInt8](unsafeUninitializedCapacity: total) { out, count in
                var i = 0, o = 0
                while i < input.count {
                    let n = min(Int(input[i]), input.count - i - 1)
                    let payload = UnsafeBufferPointer(rebasing: input[(i + 1)..<(i + 1 + n)])
                    store(UInt32(n), out, at: o)
                    // CRC-32C bit by bit, the harness's own copy (`fuzz_crc32c`, in C:
                    // uninstrumented), so a bug in the journal's table-driven one shows up as
                    // unreadable records, not as agreement.
                    store(fuzz_crc32c(payload.baseAddress, n), out, at: o + 4)
                    for k in 0..<n { out[o + 8 + k] = payload[k] }
                    o += 8 + n
                    i += 1 + n
                }
                count = o
            }
        }
    }

    static func store(_ v: UInt32, _ out: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for k in 0..<4 { out[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
    }
}
