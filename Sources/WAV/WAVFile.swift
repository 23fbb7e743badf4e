/// The RIFF/WAVE container, read once for everyone: the media layer plays prompts from it,
/// and dialplan checks (`switchboard check`, reloads) judge a prompt by the same reading, so
/// a file that checks is a file that plays. Finds `fmt ` and `data` among the chunks
/// (skipping `LIST`, `fact` and anything else, honouring the pad byte after odd-sized
/// chunks); WAVE_FORMAT_EXTENSIBLE files are read by their sub-format.
public struct WAVFile: Sendable {
    public enum Format: Equatable, Sendable { case pcm, alaw, ulaw }

    public enum ReadError: Error, Equatable, Sendable {
        case notRIFFWave
        case truncated
        case missingChunk(String)
        case unsupportedFormat(UInt16)
    }

    /// The `fmt ` chunk's fields that matter here; `tag` is the effective format tag (the
    /// sub-format's for WAVE_FORMAT_EXTENSIBLE).
    public struct FormatChunk: Equatable, Sendable {
        public var tag: Int
        public var channels: Int
        public var sampleRate: Int
        public var bitsPerSample: Int

        /// PCM, A-law or µ-law; nil for any other tag.
        public var format: Format? {
            switch tag {
            case 1: .pcm
            case 6: .alaw
            case 7: .ulaw
            default: nil
            }
        }
    }

    public let format: Format
    public let channels: Int
    public let sampleRate: Int
    public let bitsPerSample: Int
    public let data: ArraySlice<UInt8>

    public init(bytes: [UInt8]) throws(ReadError) {
        let (fmt, data) = try Self.chunks(bytes, needData: true)
        guard let fmt else { throw .missingChunk("fmt ") }
        guard let data else { throw .missingChunk("data") }
        guard let format = fmt.format else { throw .unsupportedFormat(UInt16(truncatingIfNeeded: fmt.tag)) }
        self.format = format
        channels = fmt.channels
        sampleRate = fmt.sampleRate
        bitsPerSample = fmt.bitsPerSample
        self.data = data
    }

    /// The `fmt ` chunk alone, from the start of a file (a check reads only its first KiB:
    /// the format comes before the samples).
    public static func formatChunk(in bytes: [UInt8]) throws(ReadError) -> FormatChunk {
        guard let fmt = try chunks(bytes, needData: false).fmt else { throw .missingChunk("fmt ") }
        return fmt
    }

    private static func chunks(_ bytes: [UInt8], needData: Bool) throws(ReadError) -> (fmt: FormatChunk?, data: ArraySlice<UInt8>?) {
        func u16(_ i: Int) -> Int { Int(bytes[i]) | Int(bytes[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        func tag(_ i: Int) -> String { String(decoding: bytes[i..<i + 4], as: UTF8.self) }

        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else { throw .notRIFFWave }
        var fmt: FormatChunk?
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
                var effective = u16(body)
                if effective == 0xFFFE, end - body >= 26 { effective = u16(body + 24) }  // WAVE_FORMAT_EXTENSIBLE GUID's first 2 bytes
                fmt = FormatChunk(tag: effective, channels: u16(body + 2), sampleRate: u32(body + 4), bitsPerSample: u16(body + 14))
                if !needData { break }
            } else if id == "data" {
                data = bytes[body..<end]
                if fmt != nil { break }
            }
            i = body + size + (size & 1)
        }
        return (fmt, data)
    }
}
