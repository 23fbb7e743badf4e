import ArgumentParser

/// Where the dialplans are: shared by every subcommand that reads them.
struct DialplanOptions: ParsableArguments {
    @Option(name: .long, help: "Dialplan directory (default: the config file's, else ./Dialplans).")
    var dialplans: String?

    @Option(name: .long, help: "Daemon config file (/etc/switchboard/switchboard.yaml).")
    var config: String?

    /// The one place that decides the dialplan directory. The daemon's
    /// config loading will plug in here: `--dialplans` wins, then the config
    /// file's `dialplans` setting, then `Dialplans` in the working directory.
    func directory() throws -> String {
        if let dialplans { return dialplans }
        if let config {
            // TODO(daemon config): read the dialplan directory from `config`.
            _ = config
        }
        return "Dialplans"
    }
}
