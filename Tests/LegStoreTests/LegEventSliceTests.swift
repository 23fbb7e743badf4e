import CallLegs
import Foundation
import Testing
@testable import LegStore

/// The reader decodes each record's payload in place, as a slice of the bytes read from a
/// segment (no copy per record): a slice that starts inside a larger buffer must read exactly
/// as the payload on its own, and never past its own end.
@Suite struct LegEventSliceTests {
    @Test func aPayloadSliceInsideABufferDecodesAsThePayloadAlone() throws {
        let leg = SampleLeg(5)
        var origin = leg.origin
        origin.agent = "alice"
        let events = leg.events + [LegEvent(legID: leg.leg, callID: leg.call, microseconds: 9, .created(origin))]
        for e in events {
            let payload = e.encoded()
            // Bytes on either side that would decode differently if read (a stray version
            // byte before, more string bytes after).
            let buffer: [UInt8] = [1, 2, 0xFF] + payload + [0x41, 0x42, 0x43]
            let slice = buffer[3..<(3 + payload.count)]
            #expect(LegEvent(decoding: slice) == e)
            #expect(LegEvent(decoding: slice.dropLast()) == nil)
            #expect(LegEvent(decoding: buffer[2..<(3 + payload.count)]) == nil)
            #expect(LegEvent(decoding: buffer[3..<(4 + payload.count)]) == nil)  // a trailing byte refused
            #expect(LegEvent(decoding: AnyCollection(payload)) == e)  // the generic entry
        }
    }

    @Test func aRecordHeaderIsReadInPlaceFromAnyOffset() throws {
        let leg = SampleLeg(6)
        var segment: [UInt8] = []
        for e in leg.events { JournalFiles.frame(e.encoded(), into: &segment) }
        var slice = segment[...]
        var decoded: [LegEvent] = []
        while !slice.isEmpty {
            guard case .record(let payload, let size) = JournalFiles.parse(slice) else { Issue.record("unparsed at \(slice.startIndex)"); return }
            #expect(payload.startIndex == slice.startIndex + JournalFiles.headerSize)
            decoded.append(try #require(LegEvent(decoding: payload)))
            slice = slice.dropFirst(size)
        }
        #expect(decoded == leg.events)
        // Cut one byte short of the first record's end: incomplete, not misread.
        let first = JournalFiles.headerSize + leg.events[0].encoded().count
        guard case .incomplete = JournalFiles.parse(segment[..<(first - 1)]) else { Issue.record("a torn record was not incomplete"); return }
        // A flipped payload byte fails the checksum read from the header in place.
        var flipped = segment
        flipped[first + JournalFiles.headerSize] ^= 0x01  // the second record's first payload byte
        guard case .corrupt = JournalFiles.parse(flipped[first...]) else { Issue.record("a flipped byte was not corrupt"); return }
    }
}
