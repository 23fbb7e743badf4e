import Dialplan
import Foundation
import ProcessTestKit
import SIPTestKit
import Testing

/// Issue 4 item 5: for every sample dialplan the engine rings exactly the legs, in the order
/// and parallel groups, that `switchboard route` (the Router) predicts: geographic rules by
/// the caller's number and schedule branches by the account's local time.
///
/// The samples are copied with every host rewritten to one SIPp "recorder" that refuses each
/// INVITE with 480, and every tel: target sent through a trunk to it, so each call walks its
/// whole plan, `then:` chains included, and the recorder sees every leg.
@Suite(.serialized) struct RouteAgreementTests {
    /// Callers chosen to hit different geographic rules: New York, California, Texas, UK,
    /// Ireland, an unmatched US area code, and a withheld caller.
    static let callers = ["+12125550123", "+14155550123", "+17135550123", "+442079460958", "+35312345678",
                          "+19075550123", "anonymous"]

    @Test func engineRingsWhatTheRouterPredictsForEverySampleDialplan() throws {
        let samples = DaemonProcess.packageRoot.appendingPathComponent("Dialplans")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agreement-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: samples, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        let recorderPort = FreePort.next()
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".yaml") {
            let url = dir.appendingPathComponent(file)
            let text = try String(contentsOf: url, encoding: .utf8)
            // sip:user@any.host → sip:user@127.0.0.1:PORT
            let rewritten = text.replacingOccurrences(of: #"sip:([^@"\s]+)@[^"\s;>]+"#, with: "sip:$1@127.0.0.1:\(recorderPort)",
                                                      options: .regularExpression)
            try rewritten.write(to: url, atomically: true, encoding: .utf8)
        }
        let loaded = DialplanLoader.load(directory: dir.path)
        let table = try #require(loaded.table, "\(loaded.diagnostics)")

        // What the router predicts, call by call; IVR and queue plans need the caller's media
        // and digits and are covered by the media tests, so numbers whose plan reaches one now
        // are left out here (the count below says how many calls were compared).
        struct Expectation { let number: String; let caller: String; let groups: [Set<String>] }
        var expectations: [Expectation] = []
        var skipped = 0
        let now = Date()
        for number in table.numbers {
            for caller in Self.callers {
                let route = Router.route(to: number, from: caller, at: now, table: table)
                if route.attempts.contains(where: { $0.decisions.contains { $0.kind == "ivr" || $0.kind == "queue" } }) {
                    skipped += 1
                    continue
                }
                let groups = route.attempts.flatMap(\.groups).map { Set($0.legs.map { Self.user(ofTarget: $0.target) }) }
                expectations.append(Expectation(number: number, caller: caller, groups: groups))
            }
        }
        #expect(expectations.count >= 30, "only \(expectations.count) calls compared (\(skipped) skipped)")
        let totalLegs = expectations.reduce(0) { $0 + $1.groups.reduce(0) { $0 + $1.count } }

        var recorderRun = SIPpRun.callee("callee-reject-480.xml", calls: totalLegs, timeout: 120)
        recorderRun.localPort = recorderPort
        let recorder = try recorderRun.start()
        defer { recorder.stop() }
        let daemon = try DaemonProcess(extraConfig: """
        trunks:
          - { name: everything, host: 127.0.0.1, port: \(recorderPort) }

        """, dialplans: dir.path)
        defer { daemon.stop() }

        // One call at a time, so the recorder's INVITEs can be attributed to calls in order.
        var seenSoFar = 0
        for expectation in expectations {
            let run = try SIPpRun.caller("caller-from.xml", daemon: daemon, number: expectation.number, calls: 1,
                                         keys: ["caller": expectation.caller]).run()
            #expect(finalStatuses(run) == [480], "\(expectation.number) from \(expectation.caller): SIPp \(run.status)\n\(run.output.suffix(600))")
            let invites = waitForInvites(recorder, atLeast: seenSoFar + expectation.groups.reduce(0) { $0 + $1.count })
            let mine = Array(invites.dropFirst(seenSoFar))
            seenSoFar = invites.count
            // Group by group: the legs of a group ring together, in any order among themselves.
            var offset = 0
            var actual: [Set<String>] = []
            for group in expectation.groups {
                actual.append(Set(mine.dropFirst(offset).prefix(group.count)))
                offset += group.count
            }
            #expect(actual == expectation.groups && mine.count == offset,
                    "\(expectation.number) from \(expectation.caller): rang \(mine), router said \(expectation.groups)")
        }
    }

    /// The user part the recorder sees for a route target: sip user, or the tel number.
    static func user(ofTarget target: String) -> String {
        if target.hasPrefix("tel:") { return String(target.dropFirst(4)) }
        let afterScheme = target.split(separator: ":", maxSplits: 1).last ?? ""
        return String(afterScheme.split(separator: "@").first ?? "")
    }

    /// Request-URI users of the INVITEs the recorder has received so far (bounded wait).
    func waitForInvites(_ recorder: SIPpProcess, atLeast count: Int) -> [String] {
        let deadline = Date().addingTimeInterval(10)
        var users: [String] = []
        repeat {
            users = tracedMessages(recorder.currentMessages(), startingWith: "INVITE ", received: true).compactMap { message in
                let uri = message.split(separator: " ").dropFirst().first ?? ""
                return uri.split(separator: ":", maxSplits: 1).last?.split(separator: "@").first.map(String.init)
            }
            if users.count >= count { break }
            usleep(50_000)
        } while Date() < deadline
        return users
    }
}
