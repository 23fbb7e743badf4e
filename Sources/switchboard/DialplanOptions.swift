import ArgumentParser
import SwitchboardConfig

/// Where the dialplans are: shared by every subcommand that reads them.
struct DialplanOptions: ParsableArguments {
    @Option(name: .long, help: "Dialplan directory (default: the config file's, else ./Dialplans).")
    var dialplans: String?

    @Option(name: .long, help: "Daemon config file (/etc/switchboard/switchboard.yaml).")
    var config: String?

    /// The one place that decides the dialplan directory: `--dialplans` wins, then the
    /// config file's `dialplans` setting (loaded by the daemon's own code, so its errors
    /// are reported here too), then `Dialplans` in the working directory.
    func directory() throws -> String { try resolve().directory }

    /// The dialplan directory and, when `--config` was given, the loaded configuration (for
    /// the settings the daemon applies when routing, such as `default-region`).
    func resolve() throws -> (directory: String, settings: SwitchboardConfiguration?) {
        if let config {
            let settings = try ConfigurationFile.load(config)
            return (dialplans ?? settings.dialplanDirectory, settings)
        }
        return (dialplans ?? "Dialplans", nil)
    }
}
