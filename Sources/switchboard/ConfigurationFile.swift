import ArgumentParser
import SwitchboardConfig

/// The daemon's config file as every subcommand loads it: the daemon's own loader, each
/// problem printed as `file:line:col: error: message`, then exit 1.
enum ConfigurationFile {
    static func load(_ path: String) throws -> SwitchboardConfiguration {
        do {
            return try SwitchboardConfiguration.load(path: path)
        } catch {
            for diagnostic in error.diagnostics { print(diagnostic) }
            printError("\(path): \(error.diagnostics.count) error\(error.diagnostics.count == 1 ? "" : "s")")
            throw ExitCode.failure
        }
    }
}
