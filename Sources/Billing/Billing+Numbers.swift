import Foundation

/// Tracking numbers on an account's bill after it was created (`switchboard accounts
/// add-number | remove-number | numbers`).
///
/// The number fee is raised with each term, for the numbers on the account when the term
/// starts (`termChargesSQL`). A number added mid-term is therefore first charged at the next
/// renewal and one removed mid-term was already paid to the term's end — the same rule as
/// plan changes (take effect at renewal, no proration, no refunds; docs/billing.md).
extension Billing {
    /// Puts `numbers` on the account from `at`; a removed number comes back (its history row
    /// is reused: the primary key is account + number). Returns how many were not on it.
    @discardableResult
    public func addNumbers(account: String, _ numbers: [String], at: Date = Date()) throws -> Int {
        try Self.checkE164(numbers)
        return try transaction {
            try requireAccount(account)
            var added = 0
            for number in numbers {
                let result = try connection.execute("""
                INSERT INTO account_numbers (account, number, added_at) VALUES ($1, $2, $3)
                ON CONFLICT (account, number) DO UPDATE SET added_at = excluded.added_at, removed_at = NULL
                    WHERE account_numbers.removed_at IS NOT NULL
                RETURNING number
                """, [account, number, PG.time(at)])
                added += result.rows.count
            }
            return added
        }
    }

    /// Takes `numbers` off the account from `at`. Every one must be on it now, else nothing
    /// changes (a typo must not silently leave a number billed).
    @discardableResult
    public func removeNumbers(account: String, _ numbers: [String], at: Date = Date()) throws -> Int {
        try Self.checkE164(numbers)
        return try transaction {
            try requireAccount(account)
            for number in numbers {
                let result = try connection.execute("""
                UPDATE account_numbers SET removed_at = $3
                WHERE account = $1 AND number = $2 AND removed_at IS NULL AND added_at <= $3
                RETURNING number
                """, [account, number, PG.time(at)])
                guard !result.rows.isEmpty else { throw BillingError.notFound("\(number) is not on account \(account)") }
            }
            return numbers.count
        }
    }

    /// The numbers on the account at `at`, sorted.
    public func numbers(account: String, at: Date = Date()) throws -> [String] {
        try requireAccount(account)
        return try connection.execute("""
        SELECT number FROM account_numbers
        WHERE account = $1 AND added_at <= $2 AND (removed_at IS NULL OR removed_at > $2) ORDER BY number
        """, [account, PG.time(at)]).rows.compactMap { $0[0] }
    }

    private func requireAccount(_ account: String) throws {
        guard try !connection.execute("SELECT 1 FROM accounts WHERE name = $1", [account]).rows.isEmpty else {
            throw BillingError.notFound("no account \(account)")
        }
    }

    /// `+` and 2–15 digits, the first not zero: what the table's CHECK accepts, said clearly.
    static func checkE164(_ numbers: [String]) throws {
        guard !numbers.isEmpty else { throw BillingError.invalid("no numbers given") }
        for number in numbers {
            let digits = number.utf8.dropFirst()
            guard number.hasPrefix("+"), (2...15).contains(digits.count), digits.first != UInt8(ascii: "0"),
                  digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
                throw BillingError.invalid("\(number) is not an E.164 number (+ and up to 15 digits)")
            }
        }
    }
}
