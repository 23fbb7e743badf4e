import ArgumentParser
import SwitchboardConfig

/// The admin CLI. Each subcommand lives in its own file.
@main
struct Switchboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Administer Switchboard: check and dry-run dialplans, reload the daemon, migrate and export call legs, run billing.",
        version: SwitchboardVersion.description,
        subcommands: [Check.self, Route.self, Reload.self, MigrateCommand.self, LegsCommand.self,
                      AccountsCommand.self, BillingCommand.self, QueuesCommand.self, BansCommand.self,
                      WebCommand.self, PoolsCommand.self, NumbersCommand.self, AgentsCommand.self,
                      WebhooksCommand.self, ExportCommand.self, ReportCommand.self]
    )
}
