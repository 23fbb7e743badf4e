import Media
import Testing

/// `Prompt(name:concatenating:)`, which joins recorded words into one announcement.
@Suite struct PromptConcatenationTests {
    @Test func partsPlayBackToBackEachFromAFrameBoundaryWithTheirOwnEncoding() throws {
        // 12.5 frames of linear tone, then µ-law codes that must not be re-quantised.
        let first = Prompt(samples: tone(frequency: 300, milliseconds: 250))
        let codes: [UInt8] = (0..<200).map { UInt8(0x10 + $0 % 0x60) }
        let second = try Prompt.decode(wav: wavBytes(samples: [], formatTag: 7, bits: 8, data: codes))
        let joined = Prompt(name: "you are caller number 2", concatenating: [first, second])

        #expect(joined.pcmu == first.pcmu + second.pcmu)
        #expect(joined.pcma == first.pcma + second.pcma)
        #expect(joined.frameCount == 13 + 2)
        #expect(Array(joined.pcmu[13 * 160 ..< 13 * 160 + 200]) == codes, "the µ-law word was changed")
        #expect(joined.pcmu[2000 ..< 13 * 160].allSatisfy { $0 == G711.Law.ulaw.silence }, "the gap is not silence")
        #expect(joined.samples.count == joined.pcmu.count)
        #expect(Array(joined.samples[0..<2000]) == first.samples)
    }

    @Test func nothingToJoinIsAnEmptyPrompt() {
        let empty = Prompt(name: "none", concatenating: [])
        #expect(empty.frameCount == 0 && empty.samples.isEmpty)
    }
}
