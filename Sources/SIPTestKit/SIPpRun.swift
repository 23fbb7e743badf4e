import Foundation

/// Runs the real SIPp (`sipp` from Debian's sip-tester) against a test's daemon. Every run
/// gets its own local, control and media ports, a call limit and a global timeout, so runs
/// in parallel never collide or hang.
public struct SIPpRun {
    public struct Result {
        public var status: Int32
        public var output: String
        /// Lines of SIPp's `-trace_stat` final CSV are not needed: the exit code says whether
        /// every call succeeded (0), some failed (1) or SIPp died (>1); counts come from stats.
        public var successfulCalls: Int?
        public var failedCalls: Int?
        /// SIPp's message trace (`-trace_msg`) when `traceMessages` was set.
        public var messages: String = ""
    }

    public var scenario: String
    public var target: String
    public var transport: String = "u1"
    public var calls: Int
    public var rate: Int = 100
    public var timeoutSeconds: Int = 60
    public var extraArguments: [String] = []
    public var traceMessages = false

    public init(scenario: String, target: String, calls: Int, rate: Int = 100, transport: String = "u1",
                timeoutSeconds: Int = 60, extraArguments: [String] = []) {
        self.scenario = scenario
        self.target = target
        self.calls = calls
        self.rate = rate
        self.transport = transport
        self.timeoutSeconds = timeoutSeconds
        self.extraArguments = extraArguments
    }

    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/sipp") }

    /// Scenario files live in Tests/Fixtures/sipp.
    public static func scenarioPath(_ name: String) -> String {
        DaemonProcess.packageRoot.appendingPathComponent("Tests/Fixtures/sipp/\(name)").path
    }

    public func run() throws -> Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let statFile = dir.appendingPathComponent("stat.csv")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sipp")
        process.currentDirectoryURL = dir
        process.arguments = [
            target, "-sf", scenario, "-m", "\(calls)", "-r", "\(rate)", "-t", transport,
            "-i", "127.0.0.1", "-p", "\(FreePort.next())", "-cp", "\(FreePort.next())", "-mp", "\(FreePort.next())",
            "-timeout", "\(timeoutSeconds)s", "-timeout_error", "-nostdin",
            "-trace_stat", "-stf", statFile.path, "-fd", "1",
        ] + extraArguments
        let messageFile = dir.appendingPathComponent("messages.log")
        if traceMessages { process.arguments! += ["-trace_msg", "-message_file", messageFile.path] }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var result = Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
        if traceMessages { result.messages = (try? String(contentsOf: messageFile, encoding: .utf8)) ?? "" }
        if let csv = try? String(contentsOf: statFile, encoding: .utf8) {
            let lines = csv.split(separator: "\n")
            if lines.count >= 2 {
                let header = lines[0].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                let last = lines[lines.count - 1].split(separator: ";", omittingEmptySubsequences: false).map(String.init)
                func value(_ name: String) -> Int? {
                    guard let i = header.firstIndex(of: name), i < last.count else { return nil }
                    return Int(last[i])
                }
                result.successfulCalls = value("SuccessfulCall(C)")
                result.failedCalls = value("FailedCall(C)")
            }
        }
        return result
    }
}
