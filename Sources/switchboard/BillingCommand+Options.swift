import ArgumentParser
import Billing
import Foundation
import LegStore
import SwitchboardConfig

/// `--database` or `--config`, shared by the billing and accounts commands.
struct BillingDatabaseOption: ParsableArguments {
    @Option(help: "PostgreSQL connection string (URL or key=value, e.g. a multi-host URL with target_session_attrs=read-write).")
    var database: String = ""

    /// What the billing timer on every node passes (systemd/switchboard-billing.service), so
    /// the close uses the node's own `database:` and never a second copy of it.
    @Option(help: "Daemon config file whose `database:` to use when --database is not given.")
    var config: String?

    /// Which connection string wins: --database, then the config file's `database:`, then
    /// $SWITCHBOARD_DATABASE_URL.
    mutating func validate() throws {
        if database.isEmpty, let config {
            guard let url = try ConfigurationFile.load(config).database, !url.isEmpty else {
                throw ValidationError("\(config) has no database: setting")
            }
            database = url
        }
        if database.isEmpty { database = ProcessInfo.processInfo.environment["SWITCHBOARD_DATABASE_URL"] ?? "" }
        if database.isEmpty { throw ValidationError("give --database or --config, or set SWITCHBOARD_DATABASE_URL") }
    }
}

/// How charges are sent.
struct PaymentGatewayOptions: ParsableArguments {
    @Option(help: "ledger (record charges as pending for export) or http (Stripe-style processor).")
    var gateway: String = "ledger"

    @Option(help: "Processor base URL for --gateway http.")
    var gatewayURL: String = "https://api.stripe.com"

    @Option(help: "File holding the processor secret (else $SWITCHBOARD_PAYMENT_SECRET).")
    var paymentSecretFile: String?

    func make() throws -> PaymentGateway {
        switch gateway {
        case "ledger": return LedgerOnlyGateway()
        case "http":
            guard let url = URL(string: gatewayURL) else { throw ValidationError("bad --gateway-url") }
            return HTTPPaymentGateway(configuration: try .load(baseURL: url, secretFile: paymentSecretFile))
        default: throw ValidationError("--gateway must be ledger or http")
        }
    }
}

func parseBillingInstant(_ text: String?, option: String) throws -> Date {
    guard let text else { return Date() }
    guard let d = LegExportQuery.parseTime(text) else { throw ValidationError("bad \(option) time: \(text) (ISO 8601)") }
    return d
}

func billingISO(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }
