import Foundation

/// The life of a process a test starts (SIPp here; the daemon, the web service and the
/// phones above): started with its output in a log file, ended by its own pid in every
/// outcome, always reaped, every wait bounded. One place, so every helper ends its process
/// the same way. (In SIPTestKit, not ProcessTestKit, because SIPp's runs live here and
/// ProcessTestKit builds on them.)
extension Process {
    /// Starts `executable ARGUMENTS` with its stderr (and its stdout when `stdoutToLog`,
    /// else nothing) appended to `log`, which is created empty.
    public func start(_ executable: URL, _ arguments: [String], log: URL, stdoutToLog: Bool = false) throws {
        executableURL = executable
        self.arguments = arguments
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        standardError = handle
        standardOutput = stdoutToLog ? handle : FileHandle.nullDevice
        try run()
    }

    /// Waits (bounded) for it to exit by itself; true when it has.
    public func waitForExit(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        return !isRunning
    }

    /// SIGTERM, then SIGKILL when it is still running after `grace`; reaped either way.
    /// Returns its exit status.
    @discardableResult
    public func terminate(grace: TimeInterval) -> Int32 {
        guard isRunning else { return terminationStatus }
        kill(processIdentifier, SIGTERM)
        if !waitForExit(timeout: grace) { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
        return terminationStatus
    }

    /// Waits (bounded) for it to end by itself, then SIGKILL if it has not; reaped either
    /// way. For tools that inherit the test thread's signal mask, where SIGTERM may be
    /// blocked. Returns its exit status.
    @discardableResult
    public func waitOrKill(timeout: TimeInterval) -> Int32 {
        if !waitForExit(timeout: timeout) { kill(processIdentifier, SIGKILL) }
        waitUntilExit()
        return terminationStatus
    }

    /// SIGKILL if it is still running, and reaped: for `deinit`, and for phones, which
    /// have nothing to flush.
    public func killAndReap() {
        guard isRunning else { return }
        kill(processIdentifier, SIGKILL)
        waitUntilExit()
    }

    /// Runs `executable ARGUMENTS` to its end with stdout and stderr in one pipe; `stdin`,
    /// when given, is written to it and closed (otherwise it inherits the test's).
    public static func runToEnd(_ executable: URL, _ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let input = stdin.map { _ in Pipe() }
        if let input { process.standardInput = input }
        try process.run()
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// `runToEnd` with stdout and stderr apart (stdout read first: what these programs
    /// print on stderr fits in the pipe).
    public static func runToEndWithStderr(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
