/// The RIFF/WAVE container: finds `fmt ` and `data` among the chunks (skipping `LIST`, `fact`
/// and anything else, honouring the pad byte after odd-sized chunks) and reads the format.
struct WAVFile {
    enum Format: Equatable { case pcm, alaw, ulaw }

    let format: Format
    let channels: Int
    let sampleRate: Int
    let bitsPerSample: Int
    let data: ArraySlice<UInt8>

    init(bytes: [UInt8]) throws(PromptError) {
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        func tag(_ i: Int) -> String { String(decoding: bytes[i..<i + 4], as: UTF8.self) }

        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else { throw .notRIFFWave }
        var fmt: (tag: Int, channels: Int, rate: Int, bits: Int, subformat: Int?)?
        var data: ArraySlice<UInt8>?
        var i = 12
        while i + 8 <= bytes.count {
            let id = tag(i)
            let size = u32(i + 4)
            let body = i + 8
            // sox and others write 0xFFFFFFFF data sizes when streaming: clamp to the file.
            let end = min(body + size, bytes.count)
            if id == "fmt " {
                guard end - body >= 16 else { throw .truncated }
                var sub: Int?
                if u16(body) == 0xFFFE, end - body >= 26 { sub = u16(body + 24) }  // WAVE_FORMAT_EXTENSIBLE GUID's first 2 bytes
                fmt = (u16(body), u16(body + 2), u32(body + 4), u16(body + 14), sub)
            } else if id == "data" {
                data = bytes[body..<end]
                if fmt != nil { break }
            }
            i = body + size + (size & 1)
        }
        guard let fmt else { throw .missingChunk("fmt ") }
        guard let data else { throw .missingChunk("data") }
        let effectiveTag = fmt.tag == 0xFFFE ? (fmt.subformat ?? 0xFFFE) : fmt.tag
        switch effectiveTag {
        case 1: format = .pcm
        case 6: format = .alaw
        case 7: format = .ulaw
        default: throw .unsupportedFormat(UInt16(truncatingIfNeeded: effectiveTag))
        }
        channels = fmt.channels
        sampleRate = fmt.rate
        bitsPerSample = fmt.bits
        self.data = data
    }
}
