import Foundation
@testable import Dialplan

/// A temporary dialplan directory for one test, removed by `cleanup()`.
struct TempDialplans {
    let path: String

    init(_ files: [String: String] = [:]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("dialplan-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path + "/prompts", withIntermediateDirectories: true)
        for (name, text) in files { try write(name, text) }
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func writeData(_ name: String, _ data: Data) throws {
        try data.write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func load() -> DialplanLoader.Result { DialplanLoader.load(directory: path) }

    /// Diagnostics printed with paths relative to the directory (`a.yaml:3:5: error: …`).
    func diagnostics() -> [String] {
        load().diagnostics.map { $0.description.replacingOccurrences(of: path + "/", with: "") }
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A minimal RIFF WAV header with the given format (no samples needed for checks).
func wav(format: UInt16 = 1, channels: UInt16 = 1, rate: UInt32 = 8000, bits: UInt16 = 16) -> Data {
    var data = Data("RIFF".utf8)
    func le32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    func le16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    le32(36 + 8)
    data.append(contentsOf: Array("WAVEfmt ".utf8))
    le32(16); le16(format); le16(channels); le32(rate)
    le32(rate * UInt32(channels) * UInt32(bits) / 8); le16(channels * bits / 8); le16(bits)
    data.append(contentsOf: Array("data".utf8))
    le32(8)
    data.append(Data(count: 8))
    return data
}

/// The repository root, found from this file's path.
let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

func utc(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }
