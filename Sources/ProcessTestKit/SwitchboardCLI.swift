import Foundation
import SIPTestKit

/// The real `switchboard` CLI, run to its end for a test: the one place tests find the
/// binary (`$SWITCHBOARD` overrides the debug build) and read what it printed.
public enum SwitchboardCLI {
    public static var binary: URL {
        if let override = ProcessInfo.processInfo.environment["SWITCHBOARD"] { return URL(fileURLWithPath: override) }
        return PackageRoot.url.appendingPathComponent(".build/debug/switchboard")
    }

    /// `switchboard ARGUMENTS`: its exit status and stdout and stderr together; `stdin`,
    /// when given, is piped in and closed.
    public static func run(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try Process.runToEnd(binary, arguments, stdin: stdin)
    }

    /// `switchboard ARGUMENTS` with stdout and stderr apart (exports: the data on stdout,
    /// the count on stderr).
    public static func runWithStderr(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        try Process.runToEndWithStderr(binary, arguments)
    }
}
