import Billing
import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
import Postgres

/// Issue 17 items 4 and 5, on a small scale: two real daemons (127.0.0.2 and 127.0.0.3,
/// each its own node-id and journal) behind a real Kamailio with its dispatcher
/// (bench/cluster/kamailio-dispatcher.cfg: round-robin, OPTIONS probing every second,
/// failover on 5xx or no answer), SIPp calls through it, one real PostgreSQL, and in the
/// second test a streaming-replication standby promoted mid-load. bench/cluster/run.sh is
/// the same at a larger scale.
@Suite(.serialized) struct ClusterTests {
    static let number = "+13125550100"

    /// Kamailio in front of two nodes; the callee answers every call after 10 ms.
    final class Cluster {
        let database: String
        let plan: TestDialplan
        let callee: SIPpProcess
        let hosts = ["127.0.0.2", "127.0.0.3"]
        let ports: [Int]
        let journals: [URL]
        var nodes: [DaemonProcess?] = []
        var kamailio: KamailioProcess?

        init(database: String, calleeCalls: Int) throws {
            self.database = database
            let callee = try SIPpRun.callee("callee-answer.xml", calls: calleeCalls, keys: ["ring": "10"], timeout: 120).start()
            self.callee = callee
            plan = try TestDialplan(plans: "  main:\n    ring-all: { targets: [\"sip:desk@127.0.0.1:\(callee.port)\"], timeout: 10s }\n")
            ports = hosts.map { FreePort.next(host: $0) }
            journals = hosts.map { _ in FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)") }
            do {
                for i in hosts.indices { nodes.append(try startNode(i)) }
                kamailio = try KamailioProcess(nodes: hosts.indices.map { "sip:\(hosts[$0]):\(ports[$0])" })
            } catch {
                stop()
                throw error
            }
        }

        func nodeID(_ i: Int) -> String { "node-\(i + 1)" }

        /// Node `i` on its own address, port, journal and node-id (the same on a restart).
        func startNode(_ i: Int) throws -> DaemonProcess {
            try DaemonProcess(port: ports[i], listenHost: hosts[i],
                              extraConfig: "journal: \(journals[i].path)\ndatabase: \"\(database)\"\nnode-id: \(nodeID(i))\n",
                              dialplans: plan.directory.path)
        }

        func kill(_ i: Int) {
            nodes[i]?.signal(SIGKILL)
            nodes[i]?.stop(grace: 1)
            nodes[i] = nil
        }

        func restart(_ i: Int) throws { nodes[i] = try startNode(i) }

        /// Calls through the dispatcher, held `holdMs` before the caller's BYE.
        func caller(calls: Int, rate: Int, holdMs: Int) -> SIPpRun {
            var run = SIPpRun(scenario: SIPpRun.scenarioPath("caller-hold-routes.xml"), target: "127.0.0.1:\(kamailio!.port)",
                              calls: calls, rate: rate, timeoutSeconds: 60)
            run.extraArguments += ["-s", ClusterTests.number, "-d", "\(holdMs)"]
            run.traceMessages = true
            return run
        }

        func stop() {
            kamailio?.stop()
            for node in nodes { node?.stop() }
            callee.stop()
            plan.remove()
            for journal in journals { try? FileManager.default.removeItem(at: journal) }
        }
    }

    /// One call as the caller saw it, from its SIPp message trace.
    struct TracedCall {
        var inviteSent: Date?
        /// Host in the Contact of the 200 for the INVITE: the node that took the call.
        var answeredBy: String?
        /// When the 200 for the caller's BYE arrived.
        var byeAnswered: Date?
    }

    static func tracedCalls(_ trace: String) -> [String: TracedCall] {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        formatter.timeZone = TimeZone.current
        var calls: [String: TracedCall] = [:]
        for block in trace.components(separatedBy: "----------------------------------------------- ") {
            let text = block.replacingOccurrences(of: "\r\n", with: "\n")
            guard let stamp = text.split(separator: "\n").first, let date = formatter.date(from: String(stamp.prefix(26))),
                  let body = text.range(of: "\n\n").map({ String(text[$0.upperBound...]) }),
                  let callID = header("Call-ID", in: body) else { continue }
            let received = text.contains("message received")
            let cseq = header("CSeq", in: body)
            if !received, body.hasPrefix("INVITE "), calls[callID]?.inviteSent == nil {
                calls[callID, default: TracedCall()].inviteSent = date
            } else if received, body.hasPrefix("SIP/2.0 200"), cseq == "1 INVITE", calls[callID]?.answeredBy == nil,
                      let contact = header("Contact", in: body), let host = contact.firstMatch(of: /@?(127\.0\.0\.\d+)/)?.1 {
                calls[callID, default: TracedCall()].answeredBy = String(host)
            } else if received, body.hasPrefix("SIP/2.0 200"), cseq == "2 BYE", calls[callID]?.byeAnswered == nil {
                calls[callID, default: TracedCall()].byeAnswered = date
            }
        }
        return calls
    }

    static func rows(_ database: String, _ sql: String) throws -> [[String?]] {
        let connection = try PostgresConnection(database)
        defer { connection.close() }
        return try connection.execute(sql).rows
    }

    static func int(_ database: String, _ sql: String) throws -> Int {
        Int(try rows(database, sql).first?.first.flatMap { $0 } ?? "") ?? -1
    }

    /// Waits (bounded) until the writers are done: no leg open and the count unchanged
    /// between two looks a second apart. Returns the number of legs.
    static func settledLegs(_ database: String, timeout: TimeInterval = 60) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        var previous = -1
        while Date() < deadline {
            let now = (try? rows(database, "SELECT count(*), count(*) FILTER (WHERE ended_at IS NULL) FROM call_legs"))?.first
            let total = Int(now?[0] ?? "") ?? -1, open = Int(now?[1] ?? "") ?? -1
            if open == 0, total == previous { return total }
            previous = open == 0 ? total : -1
            sleep(1)
        }
        return previous
    }

    /// Caller Call-ID → (node, end reason of the inbound leg, outbound legs, of them completed).
    static func legsByCall(_ database: String) throws -> [String: [(node: String, reason: String, outbound: Int, outboundCompleted: Int)]] {
        var out: [String: [(node: String, reason: String, outbound: Int, outboundCompleted: Int)]] = [:]
        for row in try rows(database, """
            SELECT i.sip_call_id, i.node, coalesce(i.end_reason, 'open'), count(o.leg_id),
                   count(o.leg_id) FILTER (WHERE o.end_reason = 'completed')
            FROM call_legs i LEFT JOIN call_legs o ON o.call_id = i.call_id AND o.direction = 'outbound'
            WHERE i.direction = 'inbound' GROUP BY i.leg_id, i.sip_call_id, i.node, i.end_reason
            """) {
            out[row[0] ?? "", default: []].append((row[1] ?? "", row[2] ?? "", Int(row[3] ?? "") ?? 0, Int(row[4] ?? "") ?? 0))
        }
        return out
    }

    /// Calls whose BYE was answered but whose legs are not exactly one completed inbound leg
    /// with exactly one completed outbound leg.
    static func callsNotRecordedOnce(_ callIDs: [String], _ legs: [String: [(node: String, reason: String, outbound: Int, outboundCompleted: Int)]]) -> [String] {
        callIDs.filter { id in
            let completed = (legs[id] ?? []).filter { $0.reason == "completed" }
            return !(completed.count == 1 && completed[0].outbound == 1 && completed[0].outboundCompleted == 1)
        }
    }

    static func prepareBilling(_ database: String) throws {
        _ = try Billing.migrate(connectionString: database)
        let billing = try Billing(connectionString: database)
        var account = NewAccount(name: "test-account", timezone: "America/Chicago", plan: "pay-as-you-go")
        account.start = Date().addingTimeInterval(-86_400)
        try billing.createAccount(account)
    }

    /// `switchboard billing close --config NODE.yaml` for every config at once, as every
    /// node's timer would; their outputs and exit statuses.
    static func closeOnEveryNode(_ configs: [URL]) throws -> [(status: Int32, output: String)] {
        let at = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
        var running: [(Process, URL)] = []
        defer { for (_, file) in running { try? FileManager.default.removeItem(at: file) } }
        for config in configs {
            let process = Process()
            process.executableURL = SwitchboardCLI.binary
            process.arguments = ["billing", "close", "--config", config.path, "--at", at]
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("close-\(UUID().uuidString).out")
            FileManager.default.createFile(atPath: file.path, contents: nil)
            let handle = try FileHandle(forWritingTo: file)
            process.standardOutput = handle
            process.standardError = handle
            running.append((process, file))
        }
        for (process, _) in running { try process.run() }
        return running.map { process, file in
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            return (process.terminationStatus, (try? String(contentsOf: file, encoding: .utf8)) ?? "")
        }
    }

    static func legsRated(_ output: String) -> Int? {
        output.firstMatch(of: /(\d+) legs rated/).flatMap { Int($0.1) }
    }

    @Test func callsSpreadOverTheNodesSurviveAKillNineAndTheCloseOnEveryNodeRatesEachLegOnce() throws {
        let pg = try PostgresCluster()
        defer { pg.stop() }
        let database = pg.connectionString(database: try pg.createDatabase())
        try Self.prepareBilling(database)
        let cluster = try Cluster(database: database, calleeCalls: 200)
        defer { cluster.stop() }
        let killed = 1, survivor = 0

        // Calls over both nodes; node-2 is killed while some of its calls are up.
        let load = try cluster.caller(calls: 40, rate: 10, holdMs: 1500).start()
        defer { load.stop() }
        usleep(2_000_000)
        cluster.kill(killed)
        // After the kill: an INVITE sent later cannot have reached the node alive.
        let killedAt = Date()
        let first = try load.wait(timeout: 90)
        let firstCalls = Self.tracedCalls(first.messages)
        let answeredBy = Dictionary(grouping: firstCalls.values.compactMap(\.answeredBy), by: { $0 }).mapValues(\.count)
        #expect((answeredBy[cluster.hosts[survivor]] ?? 0) > 0 && (answeredBy[cluster.hosts[killed]] ?? 0) > 0,
                "calls spread over both nodes: \(answeredBy)")
        // The survivor's calls went on: every call it answered ended with an answered BYE.
        let brokenOnSurvivor = firstCalls.filter { $0.value.answeredBy == cluster.hosts[survivor] && $0.value.byeAnswered == nil }
        #expect(brokenOnSurvivor.isEmpty, "calls on the live node broke: \(brokenOnSurvivor.keys.sorted())")
        // The dispatcher routed around the dead node: every call started after the kill completed.
        let afterKill = firstCalls.filter { ($0.value.inviteSent ?? .distantPast) > killedAt }
        #expect(!afterKill.isEmpty)
        #expect(afterKill.allSatisfy { $0.value.byeAnswered != nil && $0.value.answeredBy == cluster.hosts[survivor] },
                "calls started after the kill: \(afterKill)")

        // While the node is down, every new call goes to the survivor and completes.
        let second = try cluster.caller(calls: 20, rate: 10, holdMs: 200).run()
        #expect(second.successfulCalls == 20, "\(second.output.suffix(800))")
        let secondCalls = Self.tracedCalls(second.messages)
        #expect(secondCalls.count == 20 && secondCalls.values.allSatisfy { $0.answeredBy == cluster.hosts[survivor] })

        // The dead node restarts on its journal: it replays, and closes its open legs as interrupted.
        try cluster.restart(killed)
        let total = Self.settledLegs(database)
        #expect(total > 0)
        #expect(try Self.int(database, "SELECT count(*) FROM call_legs WHERE ended_at IS NULL") == 0)
        #expect(try Self.int(database, "SELECT count(DISTINCT leg_id) FROM call_legs") == total)
        let perNode = Dictionary(uniqueKeysWithValues: try Self.rows(database, "SELECT node, count(*) FROM call_legs GROUP BY node")
            .map { ($0[0] ?? "", Int($0[1] ?? "") ?? 0) })
        #expect((perNode[cluster.nodeID(0)] ?? 0) > 0 && (perNode[cluster.nodeID(1)] ?? 0) > 0, "legs per node: \(perNode)")
        // The calls the kill cut off were closed as interrupted, all of them on the killed node.
        let interrupted = try Self.rows(database, "SELECT node, count(*) FROM call_legs WHERE end_reason = 'interrupted' GROUP BY node")
        #expect(interrupted.count == 1 && interrupted.first?[0] == cluster.nodeID(killed), "interrupted legs: \(interrupted)")
        // Every call whose BYE was answered has both legs exactly once (on the killed node:
        // BYEs answered at least a second before the kill, the journal's group-fsync promise).
        let settled = (firstCalls.merging(secondCalls) { a, _ in a }).filter { _, call in
            guard let bye = call.byeAnswered else { return false }
            return call.answeredBy != cluster.hosts[killed] || bye < killedAt.addingTimeInterval(-1)
        }.map(\.key)
        #expect(settled.count > 20)
        let legs = try Self.legsByCall(database)
        let notOnce = Self.callsNotRecordedOnce(settled, legs)
        #expect(notOnce.isEmpty, "calls not recorded exactly once: \(notOnce.map { "\($0): \(legs[$0] ?? [])" })")

        // The billing close from both nodes' timers at once rates every ended leg once.
        let closes = try Self.closeOnEveryNode(cluster.nodes.compactMap { $0?.configURL })
        #expect(closes.allSatisfy { $0.status == 0 }, "\(closes)")
        let rated = closes.compactMap { Self.legsRated($0.output) }
        #expect(rated.count == 2 && rated.reduce(0, +) == total, "legs rated per close: \(rated), legs: \(total)")
        let ratings = try Self.rows(database, "SELECT count(*), count(DISTINCT leg_id) FROM rated_legs")[0]
        #expect(ratings == ["\(total)", "\(total)"])
    }

    @Test func aPrimaryStoppedMidLoadAndItsStandbyPromotedLosesAndDoublesNoLeg() throws {
        let primary = try PostgresCluster()
        defer { primary.destroy() }
        let name = "failover"
        _ = try primary.createDatabase(name)
        try Self.prepareBilling(primary.connectionString(database: name))
        let standby = try PostgresCluster(standbyOf: primary)
        defer { standby.destroy() }
        // What the daemons, the CLI and the close are given: both hosts, the writable one wins.
        let database = "postgresql://postgres@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/\(name)?target_session_attrs=read-write"
        let cluster = try Cluster(database: database, calleeCalls: 100)
        defer { cluster.stop() }

        let calls = 60
        let load = try cluster.caller(calls: calls, rate: 15, holdMs: 500).start()
        defer { load.stop() }
        usleep(1_500_000)
        let stoppedAt = Date()
        primary.stop()  // fast shutdown: what a primary's host going down for maintenance does
        try standby.promote()
        let result = try load.wait(timeout: 90)
        #expect(result.successfulCalls == calls, "\(result.output.suffix(800))")
        let traced = Self.tracedCalls(result.messages)
        #expect(traced.values.filter { ($0.inviteSent ?? .distantPast) > stoppedAt }.count > 10, "calls after the stop")

        // Only the promoted standby is up: every leg reached it, once.
        #expect(try Self.rows(database, "SELECT pg_is_in_recovery(), current_setting('port')")[0] == ["f", "\(standby.port)"])
        let total = Self.settledLegs(database)
        #expect(total == calls * 2)
        #expect(try Self.int(database, "SELECT count(DISTINCT leg_id) FROM call_legs WHERE end_reason = 'completed'") == calls * 2)
        let byeAnswered = traced.filter { $0.value.byeAnswered != nil }.map(\.key)
        #expect(byeAnswered.count == calls)
        let legs = try Self.legsByCall(database)
        let notOnce = Self.callsNotRecordedOnce(byeAnswered, legs)
        #expect(notOnce.isEmpty, "calls not recorded exactly once: \(notOnce.map { "\($0): \(legs[$0] ?? [])" })")
        // Both nodes recorded calls that began after the primary stopped (each writer reconnected).
        let perNode = try Self.rows(database, """
            SELECT node, count(*) FROM call_legs WHERE created_at > to_timestamp(\(stoppedAt.timeIntervalSince1970))
            GROUP BY node ORDER BY node
            """).map { $0[0] ?? "" }
        #expect(perNode == [cluster.nodeID(0), cluster.nodeID(1)])

        // The close through the same URL, from both nodes' configs at once.
        let closes = try Self.closeOnEveryNode(cluster.nodes.compactMap { $0?.configURL })
        #expect(closes.allSatisfy { $0.status == 0 }, "\(closes)")
        #expect(closes.compactMap { Self.legsRated($0.output) }.reduce(0, +) == calls * 2, "\(closes)")
        #expect(try Self.rows(database, "SELECT count(*), count(DISTINCT leg_id) FROM rated_legs")[0] == ["\(calls * 2)", "\(calls * 2)"])
    }
}
