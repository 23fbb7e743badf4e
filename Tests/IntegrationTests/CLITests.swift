import Foundation
import ProcessTestKit
import Testing

/// `switchboard check --config` runs the daemon's own loading code on the config file and
/// the dialplans it names, like `nginx -t`.
@Suite struct CLITests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try SwitchboardCLI.run(arguments)
    }

    @Test func checkReportsConfigErrorsWithPositionsAndFailsWithoutLoading() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "dialplans: /nonexistent\nlog-level: loud\ntrusted-networks: [\"10.0.0.0/99\"]\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try run(["check", "--config", file.path])
        #expect(result.status == 1)
        #expect(result.output.contains("\(file.path):2:12: error: unknown log level 'loud'"))
        #expect(result.output.contains("\(file.path):3:20: error: '10.0.0.0/99' is not an IP address or CIDR network"))
    }

    @Test func checkLoadsTheDialplansTheConfigNames() throws {
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"sip:a@127.0.0.1:5099\"], timeout: 5s }\n  typo:\n    ring-al: { targets: [] }\n")
        defer { plan.remove() }
        let file = plan.directory.appendingPathComponent("../cfg-\(UUID().uuidString).yaml").standardized
        defer { try? FileManager.default.removeItem(at: file) }
        try "dialplans: \(plan.directory.path)\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try run(["check", "--config", file.path])
        #expect(bad.status == 1)
        #expect(bad.output.contains("test-account.yaml:"), "\(bad.output)")
        let samples = DaemonProcess.packageRoot.appendingPathComponent("Dialplans").path
        try "dialplans: \(samples)\n".write(to: file, atomically: true, encoding: .utf8)
        let good = try run(["check", "--config", file.path])
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("3 accounts, 13 numbers, 31 plans OK"))
    }
}

/// Issue 12 item 6: `switchboard route --config` reads national-format numbers with the
/// config's `default-region`, as the daemon does; `--region` still wins.
@Suite struct RouteRegionTests {
    @Test func routeUsesTheConfigsDefaultRegion() throws {
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"sip:a@127.0.0.1:5099\"], timeout: 5s }\n",
                                    numbers: ["+442079460000": "main"])
        defer { plan.remove() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "dialplans: \(plan.directory.path)\ndefault-region: GB\n".write(to: file, atomically: true, encoding: .utf8)
        let cli = CLITests()
        // "020 7946 0000" is a London number only when read as British.
        let withConfig = try cli.run(["route", "--config", file.path, "--to", "020 7946 0000", "--json"])
        #expect(withConfig.status == 0, "\(withConfig.output)")
        #expect(withConfig.output.contains("+442079460000"), "\(withConfig.output)")
        let withoutRegion = try cli.run(["route", "--dialplans", plan.directory.path, "--to", "020 7946 0000"])
        #expect(withoutRegion.status == 2, "\(withoutRegion.output)")
        let overridden = try cli.run(["route", "--config", file.path, "--region", "US", "--to", "020 7946 0000"])
        #expect(overridden.status == 2, "\(overridden.output)")
    }
}
