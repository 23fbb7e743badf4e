import Foundation
import SIPTestKit

/// baresip (Debian `baresip-core`) as a test phone, set up as BaresipTests and
/// BaresipRegistrarTests do: its own home with a config (own SIP port, audio from a tone
/// file, no devices) and one account line; run for `seconds`, output in a log file.
/// Stopped by pid (SIGKILL) when the test ends if it has not quit by itself.
final class BaresipPhone {
    let home: URL
    let sipPort: Int
    let process = Process()
    private let logURL: URL

    /// - Parameter account: baresip's account line (`<sip:user@host>;auth_pass=…`).
    /// - Parameter commands: `-e` commands run at start (`/dial sip:…`).
    init(account: String, commands: [String] = [], seconds: Int = 20) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("baresip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // aufile needs a real WAV to send: 5 s of a 440 Hz tone, 8 kHz 16-bit mono.
        let tone = (0..<(8000 * 5)).map { Int16(3000 * sin(2 * Double.pi * 440 * Double($0) / 8000)) }
        var wav = Data("RIFF".utf8)
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        le(UInt32(36 + tone.count * 2)); wav.append(contentsOf: Array("WAVEfmt ".utf8))
        le(UInt32(16)); le(UInt16(1)); le(UInt16(1)); le(UInt32(8000)); le(UInt32(16000)); le(UInt16(2)); le(UInt16(16))
        wav.append(contentsOf: Array("data".utf8)); le(UInt32(tone.count * 2))
        for sample in tone { le(sample) }
        try wav.write(to: home.appendingPathComponent("in.wav"))
        sipPort = FreePort.next()
        try """
        poll_method epoll
        sip_listen 127.0.0.1:\(sipPort)
        audio_player aufile,/dev/null
        audio_source aufile,\(home.appendingPathComponent("in.wav").path)
        audio_alert aufile,/dev/null
        module_path /usr/lib/baresip/modules
        module g711.so
        module aufile.so
        module_app account.so
        module_app menu.so

        """.write(to: home.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try (account + "\n").write(to: home.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/baresip")
        process.arguments = ["-n", "127.0.0.1", "-f", home.path, "-t", "\(seconds)"] + commands.flatMap { ["-e", $0] }
        logURL = home.appendingPathComponent("baresip.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits (bounded) for baresip to quit by itself (its `-t`).
    func waitForExit(timeout: TimeInterval) -> Bool { waitUntil(timeout) { !self.process.isRunning } }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: home)
    }

    deinit { stop() }
}
