import Foundation
import SIPTestKit
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `switchboard web` (issue 16) started for one test on its own loopback port, with a
/// generated web.yaml. `stop()` must be called in every outcome (use `defer`).
public final class WebServiceProcess: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    public let logURL: URL
    public static let adminToken = "test-admin-token-0123456789abcdef"
    let process = Process()

    public static var binary: URL { SwitchboardCLI.binary }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// - Parameter accounts: YAML of the `accounts:` mapping (indented two spaces).
    public init(port: Int = FreePort.next(), database: String, dialplans: String, accounts: String,
                extraConfig: String = "") throws {
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-web-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        logURL = directory.appendingPathComponent("stderr.log")
        let tokenFile = directory.appendingPathComponent("admin.token")
        try Self.adminToken.write(to: tokenFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile.path)
        let config = """
        listen: 127.0.0.1:\(port)
        database: "\(database)"
        dialplans: \(dialplans)
        admin-token-file: \(tokenFile.path)
        \(extraConfig)
        accounts:
        \(accounts)

        """
        let configURL = directory.appendingPathComponent("web.yaml")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        try process.start(Self.binary, ["web", "--config", configURL.path], log: logURL)
        try process.waitUntilLogged("switchboard web listening", log: log, timeout: 30)
    }

    public func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
    public var pid: Int32 { process.processIdentifier }

    @discardableResult
    public func stop(grace: TimeInterval = 10) -> Int32 {
        process.terminate(grace: grace)
    }

    deinit {
        process.killAndReap()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// One blocking HTTP exchange for tests (URLSession under the hood, 10 s timeout).
public struct HTTPExchange: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }

    public static func send(_ method: String, _ url: String, headers: [String: String] = [:], body: Data? = nil) throws -> HTTPExchange {
        guard let u = URL(string: url) else { throw DaemonError.notReady(log: "bad URL \(url)") }
        var request = URLRequest(url: u, timeoutInterval: 10)
        request.httpMethod = method
        request.httpBody = body
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<HTTPExchange, any Error> = .failure(DaemonError.notReady(log: "no answer"))
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { outcome = .failure(error) }
            else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
                outcome = .success(HTTPExchange(status: http.statusCode, headers: fields, body: data ?? Data()))
            }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 12)
        return try outcome.get()
    }
}
