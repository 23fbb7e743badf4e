import ArgumentParser
import Dialplan

/// `switchboard numbers [--porting]`: the dialplans' tracking numbers; with `--porting`, the
/// numbers being ported in that are not complete, with their FOC dates.
struct NumbersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "numbers",
        abstract: "List tracking numbers (account, source, pool); --porting lists pending ports with their FOC dates.")

    @OptionGroup var options: DialplanOptions

    @Flag(help: "Only numbers being ported in and not yet complete.")
    var porting = false

    func run() throws {
        let directory = try options.directory()
        let result = DialplanLoader.load(directory: directory)
        guard let table = result.table else {
            for d in result.diagnostics where d.severity == .error { printError(d.description) }
            throw ExitCode.failure
        }
        if porting {
            let today = Porting.today()
            let pending = table.portingEntries.filter { $0.porting!.isPending }
            print("number\taccount\tfrom\trequested\tfoc\tstatus")
            for e in pending {
                let p = e.porting!
                let status = p.foc == nil ? "awaiting FOC" : p.focPassed(today: today) ? "FOC passed, not marked complete" : "pending"
                print("\(e.number)\t\(e.account.name)\t\(p.from)\t\(p.requested)\t\(p.foc ?? "-")\t\(status)")
            }
            print("\(pending.count) pending port\(pending.count == 1 ? "" : "s")")
            return
        }
        print("number\taccount\tsource\tpool\tporting")
        for e in table.allEntries {
            let port = e.porting.map { $0.isPending ? "pending (foc \($0.foc ?? "-"))" : "completed \($0.completed!)" } ?? "-"
            print("\(e.number)\t\(e.account.name)\t\(e.source)\t\(e.pool ?? "-")\t\(port)")
        }
    }
}
