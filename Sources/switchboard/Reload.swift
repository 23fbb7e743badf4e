import ArgumentParser
import Foundation

/// `switchboard reload`: ask the running daemon to reload its dialplans (SIGHUP).
struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send SIGHUP to switchboardd so it recompiles and atomically swaps its dialplans.")

    @Option(name: .long, help: "The daemon's pid file.")
    var pidFile = "/run/switchboard/switchboardd.pid"

    func run() throws {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else {
            printError("switchboardd is not running: cannot read pid file \(pidFile)")
            throw ExitCode.failure
        }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 else {
            printError("pid file \(pidFile) does not hold a process id")
            throw ExitCode.failure
        }
        guard kill(pid, SIGHUP) == 0 else {
            let reason = errno == ESRCH ? "no such process (stale pid file?)" : String(cString: strerror(errno))
            printError("switchboardd (pid \(pid)) is not running: \(reason)")
            throw ExitCode.failure
        }
        print("sent SIGHUP to switchboardd (pid \(pid)); run `switchboard check` to see problems a failed reload would keep out")
    }
}
