import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// A real softphone as an agent (issue 15): baresip registers with digest, and a call to
/// `agent:alice` reaches it where it registered and is answered (baresip's auto-answer).
@Suite(.serialized) struct BaresipRegistrarTests {
    @Test func baresipRegistersAndReceivesTheAgentsCall() throws {
        let db = try AgentsDatabase()
        defer { db.stop() }
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"agent:alice\"], timeout: 10s }\n",
                                    extra: "agents:\n  alice: ~\n")
        defer { plan.remove() }
        let metricsPort = FreePort.next()
        // baresip 1.0 (Debian 12) answers digest with MD5 only.
        let daemon = try DaemonProcess(extraConfig: registrarConfig(database: db.url, metricsPort: metricsPort),
                                       dialplans: plan.directory.path)
        defer { daemon.stop() }
        try db.addAgent("alice", password: "correct-horse", config: daemon.configURL.path)
        #expect(waitUntil(10) {
            (try? httpGet(port: metricsPort)).map { sample($0.1, "switchboard_registrar_agents") == 1 } ?? false
        })

        let home = FileManager.default.temporaryDirectory.appendingPathComponent("baresip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        // aufile needs a real WAV to send (8 kHz, 16-bit mono silence-ish tone).
        let tone = (0..<(8000 * 5)).map { Int16(3000 * sin(2 * Double.pi * 440 * Double($0) / 8000)) }
        var wav = Data("RIFF".utf8)
        func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { wav.append(contentsOf: $0) } }
        le(UInt32(36 + tone.count * 2)); wav.append(contentsOf: Array("WAVEfmt ".utf8))
        le(UInt32(16)); le(UInt16(1)); le(UInt16(1)); le(UInt32(8000)); le(UInt32(16000)); le(UInt16(2)); le(UInt16(16))
        wav.append(contentsOf: Array("data".utf8)); le(UInt32(tone.count * 2))
        for sample in tone { le(sample) }
        try wav.write(to: home.appendingPathComponent("in.wav"))
        let sipPort = FreePort.next()
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

        """.write(to: home.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "<sip:alice@127.0.0.1:\(daemon.port)>;auth_pass=correct-horse;regint=120;answermode=auto;audio_codecs=PCMU\n"
            .write(to: home.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        let baresip = Process()
        baresip.executableURL = URL(fileURLWithPath: "/usr/bin/baresip")
        baresip.arguments = ["-n", "127.0.0.1", "-f", home.path, "-t", "20"]
        let logURL = home.appendingPathComponent("baresip.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        baresip.standardOutput = log
        baresip.standardError = log
        baresip.standardInput = FileHandle.nullDevice
        try baresip.run()
        defer { if baresip.isRunning { kill(baresip.processIdentifier, SIGKILL) } }
        func output() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

        let registered = try db.waitFor("SELECT count(*) FROM agent_bindings WHERE agent = 'alice'", toBe: "1", timeout: 15)
        #expect(registered, "\(output().suffix(1500))\n\(daemon.log().suffix(2000))")
        let ua = try db.query("SELECT user_agent, flow_port FROM agent_bindings").first
        #expect(ua?[0]?.lowercased().contains("baresip") == true)
        #expect(ua?[1] == "\(sipPort)")

        let call = try SIPpRun.caller("caller-any-answer.xml", daemon: daemon, calls: 1).run()
        #expect(call.successfulCalls == 1, "\(call.output.suffix(1500))\n\(output().suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(waitUntil(5) { output().contains("Call established") || output().contains("call established") },
                "\(output().suffix(1500))")
    }
}
