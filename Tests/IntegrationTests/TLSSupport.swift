import Foundation
import ProcessTestKit
import SIPTestKit

/// A throwaway PKI made with the openssl CLI for one test: a CA, server certificates for
/// 127.0.0.1/localhost, a client certificate from the same CA, and a stranger's CA and
/// client certificate the daemon must refuse.
struct TestPKI {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try makeCA("ca", subject: "Switchboard Test CA")
        try makeCA("rogue-ca", subject: "Somebody Else CA")
        try issue("server", by: "ca", subject: "switchboard-one", san: "IP:127.0.0.1,DNS:localhost")
        try issue("client", by: "ca", subject: "carrier-sbc", san: "DNS:carrier.example")
        try issue("rogue-client", by: "rogue-ca", subject: "intruder", san: "DNS:intruder.example")
        try issue("rogue-server", by: "rogue-ca", subject: "impostor", san: "IP:127.0.0.1,DNS:localhost")
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// A new server certificate `name` (files NAME.pem, NAME.key) signed by the test CA.
    func issueServer(_ name: String, subject: String, san: String = "IP:127.0.0.1,DNS:localhost") throws {
        try issue(name, by: "ca", subject: subject, san: san)
    }

    private func makeCA(_ name: String, subject: String) throws {
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "2", "-subj", "/CN=\(subject)",
                     "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    }

    private func issue(_ name: String, by ca: String, subject: String, san: String) throws {
        let ext = path("\(name).ext")
        try "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=\(san)\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(subject)"])
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"),
                     "-CAcreateserial", "-out", path("\(name).pem"), "-days", "2", "-extfile", ext])
        chmod(path("\(name).key"), 0o600)
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TLSTestError.openssl(arguments.joined(separator: " "), text) }
    }

    /// The daemon's `tls:` section for these files.
    func config(verifyClients: Bool = false) -> String {
        var text = "tls:\n  certificate: \(path("server.pem"))\n  private-key: \(path("server.key"))\n  ca: \(path("ca.pem"))\n"
        if verifyClients { text += "  client-ca: \(path("ca.pem"))\n  verify-clients: true\n" }
        return text
    }
}

enum TLSTestError: Error, CustomStringConvertible {
    case openssl(String, String)
    case notListening(String)
    var description: String {
        switch self {
        case .openssl(let command, let errors): return "openssl \(command) failed: \(errors)"
        case .notListening(let what): return "\(what) did not start listening"
        }
    }
}

/// Tests/Fixtures/tls/tls_client.py: a SIP peer over TLS (Python's ssl, i.e. OpenSSL).
struct TLSClient {
    struct Result {
        var status: Int32
        var output: String
        /// The server certificate's common name, when the handshake got that far.
        var subject: String? {
            output.split(separator: "\n").first { $0.hasPrefix("SUBJECT ") }.map { String($0.dropFirst(8)) }
        }
        var finalStatuses: [Int] {
            output.split(separator: "\n").compactMap { line in
                line.hasPrefix("SIP/2.0 ") ? Int(line.dropFirst(8).prefix(3)) : nil
            }
        }
    }

    var port: Int
    var pki: TestPKI
    var certificate: String?
    var messages: [String] = []
    var reset = false

    /// Writes `messages` to files (CRLF line ends) and returns the script's arguments.
    func arguments(hold: Bool = false) throws -> [String] {
        var arguments = [DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/tls/tls_client.py").path,
                         "--port", "\(port)", "--ca", pki.path("ca.pem"), "--read", "5"]
        if let certificate { arguments += ["--cert", pki.path("\(certificate).pem"), "--key", pki.path("\(certificate).key")] }
        for (i, message) in messages.enumerated() {
            let file = pki.directory.appendingPathComponent("msg-\(UUID().uuidString)-\(i).sip")
            try Data(message.utf8).write(to: file)
            arguments += ["--send", file.path]
        }
        if hold { arguments.append("--hold") }
        if reset { arguments.append("--reset") }
        return arguments
    }

    func run() throws -> Result {
        let run = try Process.runToEnd(URL(fileURLWithPath: "/usr/bin/python3"), try arguments())
        return Result(status: run.status, output: run.output)
    }

    /// A connection kept open: the first exchange now, the second when `continue()` is called.
    func hold() throws -> HeldTLSConnection {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = try arguments(hold: true)
        let input = Pipe()
        let outFile = pki.directory.appendingPathComponent("held-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: outFile.path, contents: nil)
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = process.standardOutput
        try process.run()
        return HeldTLSConnection(process: process, input: input, log: outFile)
    }
}

final class HeldTLSConnection {
    let process: Process
    let input: Pipe
    let log: URL

    init(process: Process, input: Pipe, log: URL) {
        self.process = process
        self.input = input
        self.log = log
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits (bounded) until the first exchange is done.
    func waitHolding(timeout: TimeInterval = 15) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if output.contains("HOLDING") { return true }
            if !process.isRunning { return false }
            usleep(20_000)
        }
        return false
    }

    /// Sends the messages again on the same connection and returns the whole output.
    func again(timeout: TimeInterval = 15) -> TLSClient.Result {
        input.fileHandleForWriting.write(Data("go\n".utf8))
        return TLSClient.Result(status: process.waitOrKill(timeout: timeout), output: output)
    }

    deinit {
        process.killAndReap()
    }
}

/// socat bridging a plain-TCP SIPp (Debian's sip-tester is built without OpenSSL: `-t l1`
/// says "compile SIPp with OpenSSL") to the daemon over real TLS (socat's OpenSSL), with a
/// client certificate and the server verified against the test CA; or the other way round,
/// a TLS server in front of a TCP SIPp callee.
final class SocatBridge {
    let process = Process()
    let port: Int

    /// Listens on TCP `port`; each connection is forwarded over TLS to `tlsPort`.
    init(tcpPort port: Int = FreePort.next(), toTLSPort tlsPort: Int, pki: TestPKI, certificate: String = "client") throws {
        self.port = port
        try start([
            "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork",
            "OPENSSL:127.0.0.1:\(tlsPort),cafile=\(pki.path("ca.pem")),cert=\(pki.path("\(certificate).pem")),"
                + "key=\(pki.path("\(certificate).key")),verify=1,commonname=localhost",
        ])
    }

    /// Listens for TLS on `port` (the test's server certificate); forwards to TCP `tcpPort`.
    init(tlsPort port: Int = FreePort.next(), toTCPPort tcpPort: Int, pki: TestPKI, certificate: String = "server") throws {
        self.port = port
        try start([
            "OPENSSL-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork,cert=\(pki.path("\(certificate).pem")),key=\(pki.path("\(certificate).key")),verify=0",
            "TCP:127.0.0.1:\(tcpPort)",
        ])
    }

    private func start(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        process.arguments = ["-d"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline,
              FreePort.bind(Int32(SOCK_STREAM.rawValue), host: "127.0.0.1", port: port) == port {
            usleep(10_000)
        }
        guard process.isRunning else { throw TLSTestError.notListening("socat on \(port)") }
    }

    /// SIGKILL: socat keeps the signal mask it inherits from the test runner, where SIGTERM
    /// is blocked, so a SIGTERM would wait for ever.
    func stop() {
        process.killAndReap()
    }

    deinit { stop() }
}
