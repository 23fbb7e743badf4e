import Foundation

/// Writes a line to standard error (diagnostics summaries, failures).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
