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
    /// host:port to call; nil for a UAS that waits for calls.
    public var target: String?
    /// Local SIP port; chosen freely when nil.
    public var localPort: Int?
    public var transport: String = "u1"
    public var calls: Int
    public var rate: Int = 100
    public var timeoutSeconds: Int = 60
    public var extraArguments: [String] = []
    public var traceMessages = false

    public init(scenario: String, target: String?, calls: Int, rate: Int = 100, transport: String = "u1",
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
        PackageRoot.url.appendingPathComponent("Tests/Fixtures/sipp/\(name)").path
    }

    public func run() throws -> Result {
        var result = try start().wait(timeout: TimeInterval(timeoutSeconds + 15))
        // SIPp exits with -2 (254) when it cannot bind: a free port found by FreePort (its
        // SIP port, or the control and media ports it always takes fresh) was taken by another
        // process before SIPp bound it. Try again: the control and media ports are new on every
        // launch, and so is the SIP port unless the caller chose it.
        for _ in 0..<3 where result.status == 254 && result.successfulCalls ?? 0 == 0 {
            result = try start().wait(timeout: TimeInterval(timeoutSeconds + 15))
        }
        return result
    }

    /// Starts SIPp in the background (a callee waiting for calls); `wait()` collects it.
    public func start() throws -> SIPpProcess {
        // A callee that dies while starting lost a race for its control or media port
        // (FreePort cannot reserve them): start it again on fresh ones, at most three times.
        var attempt = try launch()
        for _ in 0..<3 where target == nil && !attempt.process.isRunning {
            attempt = try launch()
        }
        return attempt
    }

    private func launch() throws -> SIPpProcess {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sipp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let process = Process()
        process.currentDirectoryURL = dir
        let port = localPort ?? FreePort.next()
        var arguments = target.map { [$0] } ?? []
        arguments += [
            "-sf", scenario, "-m", "\(calls)", "-r", "\(rate)", "-t", transport,
            "-i", "127.0.0.1", "-p", "\(port)", "-cp", "\(FreePort.next())", "-mp", "\(FreePort.next())",
            "-timeout", "\(timeoutSeconds)s", "-timeout_error", "-nostdin",
            "-trace_stat", "-stf", dir.appendingPathComponent("stat.csv").path, "-fd", "1",
        ] + extraArguments
        if traceMessages { arguments += ["-trace_msg", "-message_file", dir.appendingPathComponent("messages.log").path] }
        try process.start(URL(fileURLWithPath: "/usr/bin/sipp"), arguments, log: dir.appendingPathComponent("out.log"),
                          stdoutToLog: true)
        // A callee must be listening before the daemon rings it: wait (bounded) until SIPp
        // holds its UDP port.
        if target == nil {
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline, FreePort.bind(Int32(SOCK_DGRAM.rawValue), host: "127.0.0.1", port: port) == port {
                usleep(10_000)
            }
            // Bound is not enough: SIPp opens its control and media ports after the SIP one.
            if process.isRunning { usleep(100_000) }
        }
        return SIPpProcess(process: process, directory: dir, port: port, traceMessages: traceMessages)
    }
}

/// A SIPp started in the background. `wait()` must be called (or `stop()`), in every outcome.
public final class SIPpProcess: @unchecked Sendable {
    let process: Process
    let directory: URL
    public let port: Int
    let traceMessages: Bool

    init(process: Process, directory: URL, port: Int, traceMessages: Bool) {
        self.process = process
        self.directory = directory
        self.port = port
        self.traceMessages = traceMessages
    }

    /// Waits for SIPp to finish its calls (or its own -timeout) and reads its results.
    /// Bounded: a SIPp still running after `timeout` is stopped (its -timeout does not end a
    /// callee that never received a call).
    public func wait(timeout: TimeInterval = 60) throws -> SIPpRun.Result {
        if !process.waitForExit(timeout: timeout) { return stop() }
        return collect()
    }

    /// The message trace written so far (SIPp flushes it as it goes).
    public func currentMessages() -> String {
        (try? String(contentsOf: directory.appendingPathComponent("messages.log"), encoding: .utf8)) ?? ""
    }

    /// Ends SIPp now (SIGTERM, then SIGKILL) and reads what it produced.
    @discardableResult
    public func stop() -> SIPpRun.Result {
        process.terminate(grace: 3)
        return collect()
    }

    deinit {
        process.killAndReap()
        try? FileManager.default.removeItem(at: directory)
    }

    private func collect() -> SIPpRun.Result {
        let dir = directory
        let statFile = dir.appendingPathComponent("stat.csv")
        let messageFile = dir.appendingPathComponent("messages.log")
        let output = (try? String(contentsOf: dir.appendingPathComponent("out.log"), encoding: .utf8)) ?? ""
        var result = SIPpRun.Result(status: process.terminationStatus, output: output)
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
