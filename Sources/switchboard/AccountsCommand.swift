import ArgumentParser
import Billing
import Foundation

/// `switchboard accounts create|show|set-plan|cancel|renew|add-number|remove-number|numbers`
/// (the logic is `Billing`).
struct AccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Customer accounts and their subscriptions.",
        subcommands: [Create.self, Show.self, SetPlan.self, Cancel.self, Renew.self,
                      AddNumber.self, RemoveNumber.self, Numbers.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account and start its first term (raises the first access charge).")
        @OptionGroup var db: BillingDatabaseOption
        @Argument(help: "The dialplan's account name.") var name: String
        @Option(help: "IANA timezone, e.g. America/New_York.") var timezone: String
        @Option(help: "Local time a business day ends (HH:MM).") var cutoff: String = "00:00"
        @Option(help: "ISO 4217 currency.") var currency: String = "USD"
        @Option(help: "small-teams, large-teams or pay-as-you-go.") var plan: String
        @Option(help: "monthly or annual (prepaid).") var cycle: String = "monthly"
        @Option(help: "First term start (ISO 8601; default now).") var start: String?
        @Option(help: "Processor customer id.") var customer: String?
        @Option(help: "Processor payment-method token (never a card number).") var cardToken: String?
        @Option(help: "Card brand (visa, mastercard, amex…).") var cardBrand: String?
        @Option(help: "Card's last four digits.") var cardLast4: String?
        @Option(help: "Card expiry MM/YYYY.") var cardExpiry: String?
        @Option(parsing: .upToNextOption, help: "Tracking numbers (E.164).") var numbers: [String] = []

        func run() throws {
            guard let cycle = BillingCycle(rawValue: cycle) else { throw ValidationError("--cycle must be monthly or annual") }
            var a = NewAccount(name: name, timezone: timezone, plan: plan, cycle: cycle)
            a.cutoff = cutoff
            a.currency = currency
            a.start = try start.map { try parseBillingInstant($0, option: "--start") }
            a.processorCustomer = customer
            a.numbers = numbers
            if let cardToken {
                let exp = (cardExpiry ?? "").split(separator: "/")
                guard let brand = cardBrand, let last4 = cardLast4, exp.count == 2, let m = Int(exp[0]), let y = Int(exp[1]) else {
                    throw ValidationError("--card-token needs --card-brand, --card-last4 and --card-expiry MM/YYYY")
                }
                a.paymentMethod = PaymentMethod(processorToken: cardToken, brand: brand, last4: last4, expMonth: m, expYear: y)
            }
            try Billing(connectionString: db.database).createAccount(a)
            print("created \(name)")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An account, its subscription and card on file.")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var name: String

        func run() throws {
            let a = try Billing(connectionString: db.database).account(name)
            print("""
            account:     \(a.name)
            status:      \(a.status)
            timezone:    \(a.timezone) (business day ends \(a.cutoff))
            currency:    \(a.currency)
            plan:        \(a.plan), \(a.cycle)\(a.nextPlan.map { " (changes to \($0) at renewal)" } ?? "")
            term:        \(billingISO(a.termStart)) – \(billingISO(a.termEnd))
            auto-renew:  \(a.autoRenew ? "yes" : "no")\(a.accessUntil.map { "\naccess until: \(billingISO($0))" } ?? "")
            card:        \(a.card ?? "none")
            """)
        }
    }

    struct SetPlan: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-plan",
            abstract: "Change plan (and cycle) from the next renewal; no refund or proration.")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var name: String
        @Argument var plan: String
        @Option(help: "monthly or annual.") var cycle: String?

        func run() throws {
            let c = try cycle.map { v -> BillingCycle in
                guard let c = BillingCycle(rawValue: v) else { throw ValidationError("--cycle must be monthly or annual") }
                return c
            }
            try Billing(connectionString: db.database).setPlan(account: name, plan: plan, cycle: c)
            print("\(name) moves to \(plan) at the next renewal")
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop renewal; access lasts to the end of the paid term (no refund).")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var name: String

        func run() throws {
            let until = try Billing(connectionString: db.database).cancel(account: name)
            print("\(name) cancelled; access until \(billingISO(until))")
        }
    }

    struct Renew: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Renew due subscriptions (the close does this too) and send their charges.")
        @OptionGroup var db: BillingDatabaseOption
        @OptionGroup var gatewayOptions: PaymentGatewayOptions
        @Option(help: "As of this time (ISO 8601; default now).") var at: String?
        @Option(help: "Only this account.") var account: String?

        func run() throws {
            let billing = try Billing(connectionString: db.database, gateway: try gatewayOptions.make())
            let r = try billing.renew(at: try parseBillingInstant(at, option: "--at"), account: account)
            print("\(r.renewals) renewals; charges sent \(r.charges.attempted) (succeeded \(r.charges.succeeded), failed \(r.charges.failed))")
        }
    }

    struct AddNumber: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-number",
            abstract: "Put tracking numbers on the account's bill (the number fee starts with the next term).")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var name: String
        @Argument(help: "E.164 numbers.") var numbers: [String]
        @Option(help: "From this time (ISO 8601; default now).") var at: String?

        func run() throws {
            let added = try Billing(connectionString: db.database)
                .addNumbers(account: name, numbers, at: try parseBillingInstant(at, option: "--at"))
            print("\(name): \(added) number\(added == 1 ? "" : "s") added, \(numbers.count - added) already on the account")
        }
    }

    struct RemoveNumber: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-number",
            abstract: "Take tracking numbers off the account's bill (paid terms are not refunded).")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var name: String
        @Argument(help: "E.164 numbers now on the account.") var numbers: [String]
        @Option(help: "From this time (ISO 8601; default now).") var at: String?

        func run() throws {
            let removed = try Billing(connectionString: db.database)
                .removeNumbers(account: name, numbers, at: try parseBillingInstant(at, option: "--at"))
            print("\(name): \(removed) number\(removed == 1 ? "" : "s") removed")
        }
    }

    struct Numbers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The tracking numbers on the account's bill.")
        @OptionGroup var db: BillingDatabaseOption
        @Argument var name: String
        @Option(help: "As of this time (ISO 8601; default now).") var at: String?

        func run() throws {
            for number in try Billing(connectionString: db.database).numbers(account: name, at: try parseBillingInstant(at, option: "--at")) {
                print(number)
            }
        }
    }
}
