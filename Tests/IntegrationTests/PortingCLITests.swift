import Foundation
import ProcessTestKit
import Testing

/// Issue 16 item 7 from the CLI: `switchboard numbers --porting` lists pending ports with
/// their FOC dates; `switchboard check` warns about a passed FOC but loads.
@Suite struct PortingCLITests {
    func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try SwitchboardCLI.run(arguments)
    }

    @Test func numbersPortingListsPendingPortsAndCheckWarnsAboutAPassedFOC() throws {
        let plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"sip:desk@127.0.0.1:5999\"], timeout: 10s }\n",
                                    numbers: [:], extra: """
          "+13125550140": { plan: main, source: yellow-pages, porting: { from: "Old Telco", requested: 2026-11-02, foc: 2099-01-15 } }
          "+13125550141": { plan: main, porting: { from: "Old Telco", requested: 2020-01-02, foc: 2020-01-20 } }
          "+13125550142": { plan: main, porting: { from: "Old Telco", requested: 2026-11-02 } }
          "+13125550143": { plan: main, porting: { from: "Rogers", requested: 2026-10-01, foc: 2026-10-20, completed: 2026-10-21 } }
          "+13125550144": { plan: main }

        """)
        defer { plan.remove() }
        let ports = try run(["numbers", "--porting", "--dialplans", plan.directory.path])
        #expect(ports.status == 0, "\(ports.output)")
        #expect(ports.output == """
            number\taccount\tfrom\trequested\tfoc\tstatus
            +13125550140\ttest-account\tOld Telco\t2026-11-02\t2099-01-15\tpending
            +13125550141\ttest-account\tOld Telco\t2020-01-02\t2020-01-20\tFOC passed, not marked complete
            +13125550142\ttest-account\tOld Telco\t2026-11-02\t-\tawaiting FOC
            3 pending ports

            """)
        let check = try run(["check", "--dialplans", plan.directory.path])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("warning: porting of +13125550141 from Old Telco: FOC date 2020-01-20 has passed"))
        let all = try run(["numbers", "--dialplans", plan.directory.path])
        #expect(all.output.contains("+13125550143\ttest-account\tdirect\t-\tcompleted 2026-10-21"), "\(all.output)")
    }
}
