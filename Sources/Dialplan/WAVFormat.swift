import Foundation

/// Checks that a prompt is a RIFF WAV the media layer plays without
/// resampling: 8 kHz mono, 16-bit PCM or 8-bit G.711 µ-law / A-law.
enum WAVFormat {
    /// A human-readable problem, or nil when the file is fine.
    static func problem(atPath path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return FileManager.default.fileExists(atPath: path) ? "file is not readable" : "file not found"
        }
        defer { try? handle.close() }
        // The fmt chunk is near the start; 4 KiB is plenty even with LIST chunks first.
        guard let data = try? handle.read(upToCount: 4096), data.count >= 12 else { return "not a WAV file (too short)" }
        let bytes = [UInt8](data)
        guard bytes[0..<4] == Array("RIFF".utf8)[...], bytes[8..<12] == Array("WAVE".utf8)[...] else {
            return "not a RIFF WAV file"
        }
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(le32(bytes, offset + 4))
            if id == "fmt ", offset + 8 + 16 <= bytes.count {
                let body = offset + 8
                return check(format: le16(bytes, body), channels: le16(bytes, body + 2),
                             rate: le32(bytes, body + 4), bits: le16(bytes, body + 14))
            }
            offset += 8 + size + (size & 1)
        }
        return "WAV file has no fmt chunk"
    }

    private static func check(format: UInt16, channels: UInt16, rate: UInt32, bits: UInt16) -> String? {
        let codec: String
        switch (format, bits) {
        case (1, 16): codec = "16-bit PCM"
        case (6, 8): codec = "A-law"
        case (7, 8): codec = "µ-law"
        default: return "unsupported encoding (format \(format), \(bits) bits); use 16-bit PCM, µ-law or A-law"
        }
        if rate != 8000 { return "\(codec) at \(rate) Hz; prompts must be 8000 Hz" }
        if channels != 1 { return "\(channels) channels; prompts must be mono" }
        return nil
    }

    private static func le16(_ b: [UInt8], _ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
    private static func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
