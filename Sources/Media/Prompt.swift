import Foundation
import WAV

/// An announcement or hold-music clip, decoded once and pre-encoded to both G.711 laws so
/// playback only copies bytes.
///
/// `load(path:)` does blocking file I/O: call it at start-up or reload, never on an event loop.
/// Prompts are immutable and `Sendable`; one instance serves every call that plays it.
public struct Prompt: Sendable {
    /// Samples per 20 ms frame at 8 kHz (RFC 3551 §4.2: the default packetisation).
    public static let frameSize = 160
    public static let sampleRate = 8000

    public let name: String
    /// Linear 16-bit samples (decoded from G.711 when the file was companded).
    public let samples: [Int16]
    /// Encoded streams, padded with silence to whole 20 ms frames.
    public let pcmu: [UInt8]
    public let pcma: [UInt8]

    public var frameCount: Int { pcmu.count / Self.frameSize }
    public var duration: Duration { .milliseconds(samples.count * 1000 / Self.sampleRate) }

    public func encoded(_ law: G711.Law) -> [UInt8] { law == .ulaw ? pcmu : pcma }

    /// Frame `index` (20 ms, 160 bytes) for `law`.
    public func frame(_ index: Int, law: G711.Law) -> ArraySlice<UInt8> {
        encoded(law)[index * Self.frameSize ..< (index + 1) * Self.frameSize]
    }

    /// Builds a prompt from linear samples (tones, tests). `pcmu`/`pcma` override the encoding
    /// when the source was already companded, so it is not quantised twice.
    public init(name: String = "prompt", samples: [Int16], pcmu: [UInt8]? = nil, pcma: [UInt8]? = nil) {
        self.name = name
        self.samples = samples
        let padded = (samples.count + Self.frameSize - 1) / Self.frameSize * Self.frameSize
        func pad(_ bytes: [UInt8], _ law: G711.Law) -> [UInt8] {
            bytes + [UInt8](repeating: law.silence, count: padded - bytes.count)
        }
        self.pcmu = pad(pcmu ?? G711.encode(samples, law: .ulaw), .ulaw)
        self.pcma = pad(pcma ?? G711.encode(samples, law: .alaw), .alaw)
    }

    /// Reads a RIFF WAV file: 8 kHz, mono, 16-bit PCM, µ-law or A-law (8-bit).
    public static func load(path: String) throws(PromptError) -> Prompt {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path) }
        return try decode(wav: [UInt8](data), name: path)
    }

    /// Parses WAV bytes (see `load(path:)`).
    public static func decode(wav bytes: [UInt8], name: String = "prompt") throws(PromptError) -> Prompt {
        let wav: WAVFile
        do {
            wav = try WAVFile(bytes: bytes)
        } catch {
            switch error {
            case .notRIFFWave: throw .notRIFFWave
            case .truncated: throw .truncated
            case .missingChunk(let chunk): throw .missingChunk(chunk)
            case .unsupportedFormat(let tag): throw .unsupportedFormat(tag)
            }
        }
        guard wav.channels == 1 else { throw .unsupportedChannels(wav.channels) }
        guard wav.sampleRate == sampleRate else { throw .unsupportedSampleRate(wav.sampleRate) }
        let data = wav.data
        switch wav.format {
        case .pcm:
            guard wav.bitsPerSample == 16 else { throw .unsupportedBitsPerSample(wav.bitsPerSample) }
            var samples = [Int16](repeating: 0, count: data.count / 2)
            for i in samples.indices {
                samples[i] = Int16(bitPattern: UInt16(data[data.startIndex + 2 * i]) | UInt16(data[data.startIndex + 2 * i + 1]) << 8)
            }
            guard !samples.isEmpty else { throw .empty }
            return Prompt(name: name, samples: samples)
        case .ulaw, .alaw:
            guard wav.bitsPerSample == 8 else { throw .unsupportedBitsPerSample(wav.bitsPerSample) }
            guard !data.isEmpty else { throw .empty }
            let law: G711.Law = wav.format == .ulaw ? .ulaw : .alaw
            let codes = Array(data)
            let samples = G711.decode(codes, law: law)
            return law == .ulaw ? Prompt(name: name, samples: samples, pcmu: codes) : Prompt(name: name, samples: samples, pcma: codes)
        }
    }
}

/// Why a prompt file was refused. The messages name what was found and what is required, for
/// `switchboard check` to print next to the dialplan line.
public enum PromptError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case notRIFFWave
    case missingChunk(String)
    case truncated
    case unsupportedFormat(UInt16)
    case unsupportedSampleRate(Int)
    case unsupportedChannels(Int)
    case unsupportedBitsPerSample(Int)
    case empty

    public var description: String {
        switch self {
        case .unreadable(let p): "cannot read \(p)"
        case .notRIFFWave: "not a RIFF/WAVE file"
        case .missingChunk(let c): "WAV file has no '\(c)' chunk"
        case .truncated: "WAV file is truncated"
        case .unsupportedFormat(let tag): "WAV format tag \(tag) not supported (need 1 PCM, 6 A-law or 7 µ-law)"
        case .unsupportedSampleRate(let r): "sample rate \(r) Hz not supported (need 8000 Hz)"
        case .unsupportedChannels(let c): "\(c) channels not supported (need mono)"
        case .unsupportedBitsPerSample(let b): "\(b) bits per sample not supported (need 16-bit PCM or 8-bit G.711)"
        case .empty: "WAV file has no audio"
        }
    }
}
