import Foundation
import Media
import Testing

@Suite struct PromptTests {
    static let dir: String = {
        let d = NSTemporaryDirectory() + "media-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    @Test func pcm16Accepted() throws {
        let samples = tone(milliseconds: 250)
        let prompt = try Prompt.decode(wav: wavBytes(samples: samples))
        #expect(prompt.samples == samples)
        #expect(prompt.frameCount == 13)  // 2000 samples → 12.5 frames, padded
        #expect(prompt.pcmu.count == 13 * 160)
        #expect(prompt.frame(0, law: .ulaw) == ArraySlice(G711.encode(Array(samples[0..<160]), law: .ulaw)))
        #expect(prompt.pcma[2000...].allSatisfy { $0 == 0xD5 })
        #expect(prompt.pcmu[2000...].allSatisfy { $0 == 0xFF })
    }

    @Test func companded8BitAcceptedWithoutRequantising() throws {
        let codes: [UInt8] = (0..<320).map { UInt8($0 % 256) }
        let ulaw = try Prompt.decode(wav: wavBytes(samples: [], formatTag: 7, bits: 8, data: codes))
        #expect(ulaw.pcmu == codes)
        #expect(ulaw.samples == G711.decode(codes, law: .ulaw))
        let alaw = try Prompt.decode(wav: wavBytes(samples: [], formatTag: 6, bits: 8, data: codes))
        #expect(alaw.pcma == codes)
    }

    @Test(arguments: [
        (wavBytes(samples: [1, 2], rate: 16000), PromptError.unsupportedSampleRate(16000)),
        (wavBytes(samples: [1, 2], channels: 2), .unsupportedChannels(2)),
        (wavBytes(samples: [], bits: 8, data: [1, 2, 3]), .unsupportedBitsPerSample(8)),
        (wavBytes(samples: [], formatTag: 3, bits: 32, data: [0, 0, 0, 0]), .unsupportedFormat(3)),
        (wavBytes(samples: [], formatTag: 0x55, bits: 0, data: [1]), .unsupportedFormat(0x55)),
        (wavBytes(samples: []), .empty),
        (Array("RIFX\0\0\0\0WAVEfmt ".utf8), .notRIFFWave),
        (Array("RIFF\u{4}\0\0\0WAVE".utf8), .missingChunk("fmt ")),
    ])
    func rejected(bytes: [UInt8], expected: PromptError) {
        #expect(throws: expected) { try Prompt.decode(wav: bytes) }
    }

    @Test func errorsReadClearly() {
        #expect(PromptError.unsupportedSampleRate(44100).description == "sample rate 44100 Hz not supported (need 8000 Hz)")
        #expect(PromptError.unsupportedChannels(2).description.contains("mono"))
    }

    @Test func missingFile() {
        #expect(throws: PromptError.unreadable("/nonexistent/x.wav")) { try Prompt.load(path: "/nonexistent/x.wav") }
    }

    /// Files as sox writes them (what the prompt-making script will use).
    @Test
    func soxFiles() throws {
        func make(_ name: String, _ args: [String]) throws -> String {
            let path = "\(Self.dir)/\(name).wav"
            #expect(try runTool("/usr/bin/sox", ["-n"] + args + [path, "synth", "0.3", "sine", "440"]) == 0)
            return path
        }
        let pcm = try Prompt.load(path: make("pcm", ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]))
        #expect(pcm.samples.count == 2400)
        #expect(pcm.frameCount == 15)
        let ulaw = try Prompt.load(path: make("ulaw", ["-r", "8000", "-c", "1", "-e", "u-law"]))
        #expect(ulaw.samples.count == 2400)
        let alaw = try Prompt.load(path: make("alaw", ["-r", "8000", "-c", "1", "-e", "a-law"]))
        #expect(alaw.frameCount == 15)
        #expect(throws: PromptError.unsupportedSampleRate(44100)) {
            try Prompt.load(path: make("cd", ["-r", "44100", "-c", "1", "-b", "16", "-e", "signed-integer"]))
        }
        #expect(throws: PromptError.unsupportedChannels(2)) {
            try Prompt.load(path: make("stereo", ["-r", "8000", "-c", "2", "-b", "16", "-e", "signed-integer"]))
        }
        #expect(throws: PromptError.unsupportedBitsPerSample(24)) {
            try Prompt.load(path: make("b24", ["-r", "8000", "-c", "1", "-b", "24", "-e", "signed-integer"]))
        }
    }
}
