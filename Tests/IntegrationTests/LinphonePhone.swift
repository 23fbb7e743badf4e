import Foundation
import SIPTestKit

/// linphonec (Debian `linphone-cli`, liblinphone 5.1: the one phone here that speaks SHA-256
/// digest) as a test agent, for every linphone suite: its own HOME and linphonerc (own SIP
/// and RTP ports, UDP only, no devices, no video), registered as alice to the daemon on
/// `daemonPort`, auto-answering (`-a`). Driven through its standard input (`send`), which
/// stays open because linphonec quits at the end of its input. Stopped by pid (SIGKILL).
final class LinphonePhone {
    let home: URL
    let sipPort: Int
    let process = Process()
    private let stdin = Pipe()
    private let logURL: URL
    private let outURL: URL

    init(daemonPort: Int, user: String = "alice", password: String = "correct-horse") throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("linphone-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        // liblinphone keeps its call history there and will not start a call without it.
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".local/share/linphone"), withIntermediateDirectories: true)
        sipPort = FreePort.next()
        let config = home.appendingPathComponent("linphonerc")
        try """
        [sip]
        sip_port=\(sipPort)
        sip_tcp_port=-1
        sip_tls_port=-1
        bind_address=127.0.0.1
        default_proxy=0
        [rtp]
        audio_rtp_port=\(FreePort.next())
        [sound]
        playback_dev_id=
        capture_dev_id=
        [video]
        enabled=0
        [auth_info_0]
        username=\(user)
        passwd=\(password)
        realm=switchboard
        domain=127.0.0.1
        [proxy_0]
        reg_proxy=<sip:127.0.0.1:\(daemonPort)>
        reg_identity=sip:\(user)@127.0.0.1
        reg_expires=300
        reg_sendregister=1

        """.write(to: config, atomically: true, encoding: .utf8)
        logURL = home.appendingPathComponent("linphone.log")
        outURL = home.appendingPathComponent("out.log")
        process.standardInput = stdin
        process.environment = ["HOME": home.path, "PATH": "/usr/bin:/bin"]
        try process.start(URL(fileURLWithPath: "/usr/bin/linphonec"), ["-c", config.path, "-a", "-d", "6", "-l", logURL.path],
                          log: outURL, stdoutToLog: true)
    }

    /// Its console output and the tail of its debug log, for failure messages.
    func logs() -> String {
        ((try? String(contentsOf: outURL, encoding: .utf8)) ?? "") + ((try? String(contentsOf: logURL, encoding: .utf8)) ?? "").suffix(3000)
    }

    /// One console command (`call sip:…`, `terminate`).
    func send(_ command: String) {
        stdin.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    func stop() {
        process.killAndReap()
        try? stdin.fileHandleForWriting.close()
        try? FileManager.default.removeItem(at: home)
    }

    deinit { stop() }
}
