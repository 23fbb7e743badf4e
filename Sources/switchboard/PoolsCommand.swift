import ArgumentParser
import Foundation
import LegStore
import Tracking
import Postgres

/// `switchboard pools advise`: how many numbers a website pool needs (docs/tracking.md).
struct PoolsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pools",
        abstract: "Website number pools (dynamic number insertion).",
        subcommands: [Advise.self])

    struct Advise: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Numbers a pool needs: from daily visitors, and from each pool's peak concurrent sessions.")

        @Option(help: "Expected website visitors per day.")
        var visitorsPerDay: Int?

        @Option(help: "Daily visitors one number serves.")
        var visitorsPerNumber: Int = PoolAdvice.defaultVisitorsPerNumber

        @Option(help: "PostgreSQL connection string: also report each pool's live use.")
        var database: String?

        @Option(help: "Days of lease history to look at (with --database).")
        var days: Int = 7

        func validate() throws {
            if visitorsPerDay == nil && database == nil { throw ValidationError("give --visitors-per-day, --database, or both") }
            if let v = visitorsPerDay, v < 0 { throw ValidationError("--visitors-per-day must not be negative") }
            if visitorsPerNumber < 1 { throw ValidationError("--visitors-per-number must be at least 1") }
            if days < 1 { throw ValidationError("--days must be at least 1") }
        }

        func run() throws {
            if let visitors = visitorsPerDay {
                let n = PoolAdvice.numbers(visitorsPerDay: visitors, visitorsPerNumber: visitorsPerNumber)
                print("\(visitors) visitors a day at 1 number per \(visitorsPerNumber): \(n) number\(n == 1 ? "" : "s")")
            }
            guard let database else { return }
            let connection = try PostgresConnection(database)
            defer { connection.close() }
            let since = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-Double(days) * 86_400))
            let usage = try LeaseStore(connection: connection).usage(since: since)
            if usage.isEmpty { print("no pools in the database (has switchboard web run?)"); return }
            print("account\tpool\tnumbers\tpeak sessions\tsessions\ttakeovers\tunattributed calls\tadvice")
            for u in usage {
                let add = PoolAdvice.numbersToAdd(size: u.size, peak: u.peakSessions)
                let advice = add > 0 ? "add \(add) (peak above 75 %)" : "ok"
                print("\(u.account)\t\(u.pool)\t\(u.size)\t\(u.peakSessions)\t\(u.sessions)\t\(u.takeovers)\t\(u.unattributedCalls)\t\(advice)")
            }
        }
    }
}
