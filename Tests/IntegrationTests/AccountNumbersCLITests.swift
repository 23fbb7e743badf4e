import Billing
import Foundation
import ProcessTestKit
import Testing

/// `switchboard accounts add-number | numbers | remove-number` against a real PostgreSQL:
/// what support runs when a customer buys or releases a tracking number.
@Suite struct AccountNumbersCLITests {
    @Test func supportAddsListsAndRemovesNumbers() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let database = cluster.connectionString(database: try cluster.createDatabase())
        _ = try Billing.migrate(connectionString: database)
        let cli = CLITests()
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            try cli.run(["accounts"] + arguments + ["--database", database])
        }
        let created = try run(["create", "acme", "--timezone", "America/New_York", "--plan", "small-teams", "--numbers", "+18005550100"])
        #expect(created.status == 0, "\(created.output)")
        let added = try run(["add-number", "acme", "+18005550101", "+18005550100"])
        #expect(added.status == 0 && added.output.contains("acme: 1 number added, 1 already on the account"), "\(added.output)")
        #expect(try run(["numbers", "acme"]).output == "+18005550100\n+18005550101\n")
        let typo = try run(["remove-number", "acme", "+18005550199"])
        #expect(typo.status != 0 && typo.output.contains("+18005550199 is not on account acme"), "\(typo.output)")
        let removed = try run(["remove-number", "acme", "+18005550100"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(try run(["numbers", "acme"]).output == "+18005550101\n")
    }
}
