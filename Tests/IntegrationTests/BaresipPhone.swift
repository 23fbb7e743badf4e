import Foundation
import SIPTestKit

/// baresip (Debian `baresip-core`) as a test phone, for every baresip suite: its own home
/// with a config (own SIP port, audio from a tone file, no devices) and one account line;
/// run for `seconds`, output in a log file. Stopped by pid (SIGKILL) when the test ends if
/// it has not quit by itself.
final class BaresipPhone {
    let home: URL
    let sipPort: Int
    /// The UDP console (`cons.so`) keys can be pressed on, when asked for.
    let consolePort: Int?
    let process = Process()
    private let logURL: URL

    /// - Parameter account: baresip's account line (`<sip:user@host>;auth_pass=…`).
    /// - Parameter commands: `-e` commands run at start (`/dial sip:…`).
    /// - Parameter toneSeconds, toneAmplitude: the 440 Hz tone it sends.
    /// - Parameter console: also load `cons.so` on a port of its own (`consolePort`).
    /// - Parameter menu: load `menu.so` (the `-e` commands and auto-answer need it).
    init(account: String, commands: [String] = [], seconds: Int = 20, toneSeconds: Int = 5,
         toneAmplitude: Double = 3000, console: Bool = false, menu: Bool = true) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("baresip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // aufile needs a real WAV to send: a 440 Hz tone, 8 kHz 16-bit mono.
        let tone = (0..<(8000 * toneSeconds)).map { Int16(toneAmplitude * sin(2 * Double.pi * 440 * Double($0) / 8000)) }
        var wav = Data("RIFF".utf8)
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        le(UInt32(36 + tone.count * 2)); wav.append(contentsOf: Array("WAVEfmt ".utf8))
        le(UInt32(16)); le(UInt16(1)); le(UInt16(1)); le(UInt32(8000)); le(UInt32(16000)); le(UInt16(2)); le(UInt16(16))
        wav.append(contentsOf: Array("data".utf8)); le(UInt32(tone.count * 2))
        for sample in tone { le(sample) }
        try wav.write(to: home.appendingPathComponent("in.wav"))
        sipPort = FreePort.next()
        consolePort = console ? FreePort.next() : nil
        let consoleModule = console ? "module cons.so\n" : ""
        let menuModule = menu ? "module_app menu.so\n" : ""
        let consoleListen = consolePort.map { "cons_listen 127.0.0.1:\($0)\n" } ?? ""
        try """
        poll_method epoll
        sip_listen 127.0.0.1:\(sipPort)
        audio_player aufile,/dev/null
        audio_source aufile,\(home.appendingPathComponent("in.wav").path)
        audio_alert aufile,/dev/null
        module_path /usr/lib/baresip/modules
        \(consoleModule)module g711.so
        module aufile.so
        module_app account.so
        \(menuModule)\(consoleListen)

        """.write(to: home.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try (account + "\n").write(to: home.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        logURL = home.appendingPathComponent("baresip.log")
        process.standardInput = FileHandle.nullDevice
        try process.start(URL(fileURLWithPath: "/usr/bin/baresip"),
                          ["-n", "127.0.0.1", "-f", home.path, "-t", "\(seconds)"] + commands.flatMap { ["-e", $0] },
                          log: logURL, stdoutToLog: true)
    }

    var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Waits (bounded) for baresip to quit by itself (its `-t`).
    func waitForExit(timeout: TimeInterval) -> Bool { process.waitForExit(timeout: timeout) }

    func stop() {
        process.killAndReap()
        try? FileManager.default.removeItem(at: home)
    }

    deinit { stop() }
}
