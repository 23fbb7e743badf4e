#if !FUZZING
import CallLegs
import Foundation
import LegStore

/// `Fuzz journal-seed OUT`: one call's legs written by the real `LegJournal`, its segment
/// copied to OUT with the mode byte 0 in front (raw segment, see JournalFuzz). make-corpus.py
/// cannot write this itself: the seed must be what the writer really produces.
enum JournalSeed {
    static func write(to out: String) throws {
        let dir = NSTemporaryDirectory() + "/switchboard-journal-seed-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try LegJournal(configuration: .init(directory: dir))
        let call = UUID(uuidString: "8D1A5C3E-0000-4000-8000-000000000001")!
        let a = UUID(uuidString: "8D1A5C3E-0000-4000-8000-0000000000A1")!
        let b = UUID(uuidString: "8D1A5C3E-0000-4000-8000-0000000000B1")!
        let t = Date(timeIntervalSince1970: 1_780_000_000)
        let events: [LegEvent] = [
            LegEvent(legID: a, callID: call, at: t, .created(.init(account: "acme", trackingNumber: "+18005550100", source: "google-ads",
                                                                  direction: .inbound, target: "+18005550100", sipCallID: "a84b4c76e66710@pc33", callerNumber: "+14155550123"))),
            LegEvent(legID: b, callID: call, at: t, .created(.init(account: "acme", trackingNumber: "+18005550100", source: "google-ads",
                                                                  direction: .outbound, target: "sip:alice@pbx.acme.example", sipCallID: "b2b-1@switchboard"))),
            LegEvent(legID: b, callID: call, at: t.addingTimeInterval(1), .ringing),
            LegEvent(legID: b, callID: call, at: t.addingTimeInterval(3), .answered),
            LegEvent(legID: a, callID: call, at: t.addingTimeInterval(3), .answered),
            LegEvent(legID: b, callID: call, at: t.addingTimeInterval(63), .ended(status: 200, reason: .completed)),
            LegEvent(legID: a, callID: call, at: t.addingTimeInterval(63), .ended(status: nil, reason: .interrupted)),
        ]
        for e in events { journal.append(e) }
        guard journal.flush() else { throw CocoaError(.fileWriteUnknown) }
        journal.close()
        let segment = (try FileManager.default.contentsOfDirectory(atPath: dir)).filter { $0.hasSuffix(".journal") }.sorted()
        guard let first = segment.first, let bytes = FileManager.default.contents(atPath: dir + "/" + first) else {
            throw CocoaError(.fileReadNoSuchFile)
        }
        try (Data([0]) + bytes).write(to: URL(fileURLWithPath: out))
    }
}
#endif
