import ArgumentParser
import Billing
import Foundation

/// `switchboard billing close|usage|charges|statement` (the logic is `Billing`).
struct BillingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billing",
        abstract: "The business-day close, usage, charges and statements.",
        subcommands: [Close.self, Usage.self, Charges.self, Statement.self])

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Renew due subscriptions, rate every unrated leg of each ended business day, raise charges, send them. Safe to run again.")
        @OptionGroup var db: BillingDatabaseOption
        @OptionGroup var gatewayOptions: PaymentGatewayOptions
        @Option(help: "Close as of this time (ISO 8601; default now).")
        var at: String?
        @Option(help: "Only this account.")
        var account: String?

        func run() throws {
            let billing = try Billing(connectionString: db.database, gateway: try gatewayOptions.make())
            let r = try billing.close(at: try parseBillingInstant(at, option: "--at"), account: account)
            let amounts = r.usageAmount.sorted { $0.key < $1.key }.map { Money.format($0.value, currency: $0.key) }.joined(separator: ", ")
            print("close \(r.closeID.map(String.init) ?? "-"): \(r.daysClosed) account-days, \(r.legsRated) legs rated, "
                  + "\(r.usageCharges) usage charges\(amounts.isEmpty ? "" : " (\(amounts))"), \(r.renewals) renewals, "
                  + "\(r.accessEnded) accesses ended; charges sent \(r.charges.attempted) (succeeded \(r.charges.succeeded), "
                  + "failed \(r.charges.failed), deferred \(r.charges.deferred))")
        }
    }

    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An account's usage lines by business day.")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var account: String
        @Option(help: "Only this month (YYYY-MM).")
        var month: String?

        func run() throws {
            let billing = try Billing(connectionString: db.database)
            var from: LocalDate?, to: LocalDate?
            if let month {
                guard let f = LocalDate(month + "-01") else { throw ValidationError("--month must be YYYY-MM") }
                from = f
                to = f.lastOfMonth
            }
            print("business_day\tlegs\tbilled_min\tincluded_min\tamount\tclose")
            for d in try billing.usage(account: account, from: from, to: to) {
                print("\(d.businessDay)\t\(d.legs)\t\((d.billedSeconds + 59) / 60)\t\(d.includedSeconds / 60)\t"
                      + "\(Money.format(d.amount, currency: d.currency))\t\(d.closeID)")
            }
        }
    }

    struct Charges: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Charges (all, one account's, or by status).")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var account: String?
        @Option(help: "pending, retrying, succeeded or failed.")
        var status: String?

        func run() throws {
            let billing = try Billing(connectionString: db.database)
            print("charge_id\taccount\tkind\tamount\tstatus\tattempts\treference\tdescription")
            for c in try billing.charges(account: account, status: status) {
                print("\(c.chargeID.uuidString.lowercased())\t\(c.account)\t\(c.kind)\t\(Money.format(c.amount, currency: c.currency))\t"
                      + "\(c.status)\t\(c.attempts)\t\(c.processorReference ?? "-")\t\(c.description)")
            }
        }
    }

    struct Statement: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The customer's statement for a month.")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var account: String
        @Option(help: "YYYY-MM, in the account's timezone.")
        var month: String

        func run() throws {
            print(try Billing(connectionString: db.database).statement(account: account, month: month), terminator: "")
        }
    }
}
