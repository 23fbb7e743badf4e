import ArgumentParser
import Dialplan
import Foundation

/// `switchboard route`: dry-run a call and print every decision it would take.
struct Route: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how a call to a tracking number would be routed (no call is placed).")

    @Option(help: "The dialled tracking number (any format).")
    var to: String

    @Option(help: "The caller's number; omit for a withheld caller.")
    var from: String?

    @Option(help: "The call time, ISO 8601 (2026-03-09T13:30:00Z); default now.")
    var at: String?

    @Option(help: "Digits pressed at each IVR menu attempt, comma-separated (1,2).")
    var digits: String?

    @Option(help: "Region (ISO 3166, e.g. US, GB) for numbers in national format (default: the config's default-region).")
    var region: String?

    @Flag(help: "Print the decision as JSON (sorted keys).")
    var json = false

    @OptionGroup var options: DialplanOptions

    func run() throws {
        let (directory, settings) = try options.resolve()
        // The daemon reads national-format numbers with the config's default-region; so
        // does the dry run, or the two would disagree on the same call.
        let region = region ?? settings?.defaultRegion
        let result = DialplanLoader.load(directory: directory)
        guard let table = result.table else {
            for diagnostic in result.diagnostics { printError(diagnostic.description) }
            throw ExitCode.failure
        }
        var date = Date()
        if let at {
            guard let parsed = try? Date(at, strategy: .iso8601) else {
                throw ValidationError("--at '\(at)' is not an ISO 8601 time such as 2026-03-09T13:30:00Z")
            }
            date = parsed
        }
        let pressed = digits.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        let decision = Router.route(to: to, from: from, at: date, digits: pressed, table: table, defaultRegion: region)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(decision), as: UTF8.self))
        } else {
            print(decision.readableText, terminator: "")
        }
        if decision.status == 404 { throw ExitCode(2) }
    }
}
