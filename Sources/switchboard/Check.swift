import ArgumentParser
import Dialplan

/// `switchboard check`: run the real loader without starting, like `nginx -t`.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate every dialplan file; print path:line:col: severity: message for each problem.")

    @OptionGroup var options: DialplanOptions

    func run() throws {
        let directory = try options.directory()
        let result = DialplanLoader.load(directory: directory)
        for diagnostic in result.diagnostics { print(diagnostic) }
        guard let table = result.table else {
            let errors = result.diagnostics.filter { $0.severity == .error }.count
            printError("\(directory): \(errors) error\(errors == 1 ? "" : "s"); nothing loaded")
            throw ExitCode.failure
        }
        print("\(table.accountCount) accounts, \(table.numberCount) numbers, \(table.planCount) plans OK")
    }
}
