import Foundation
import WAV

/// Checks that a prompt is a RIFF WAV the media layer plays without resampling: 8 kHz mono,
/// 16-bit PCM or 8-bit G.711 µ-law / A-law. Read by `WAV.WAVFile`, the reader that plays it.
enum WAVFormat {
    /// A human-readable problem, or nil when the file is fine.
    static func problem(atPath path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return FileManager.default.fileExists(atPath: path) ? "file is not readable" : "file not found"
        }
        defer { try? handle.close() }
        // The fmt chunk is near the start; 4 KiB is plenty even with LIST chunks first.
        guard let data = try? handle.read(upToCount: 4096), data.count >= 12 else { return "not a WAV file (too short)" }
        let fmt: WAVFile.FormatChunk
        do {
            fmt = try WAVFile.formatChunk(in: [UInt8](data))
        } catch {
            return error == .notRIFFWave ? "not a RIFF WAV file" : "WAV file has no fmt chunk"
        }
        return check(fmt)
    }

    private static func check(_ fmt: WAVFile.FormatChunk) -> String? {
        let codec: String
        switch (fmt.format, fmt.bitsPerSample) {
        case (.pcm?, 16): codec = "16-bit PCM"
        case (.alaw?, 8): codec = "A-law"
        case (.ulaw?, 8): codec = "µ-law"
        default: return "unsupported encoding (format \(fmt.tag), \(fmt.bitsPerSample) bits); use 16-bit PCM, µ-law or A-law"
        }
        if fmt.sampleRate != 8000 { return "\(codec) at \(fmt.sampleRate) Hz; prompts must be 8000 Hz" }
        if fmt.channels != 1 { return "\(fmt.channels) channels; prompts must be mono" }
        return nil
    }
}
