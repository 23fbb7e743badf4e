import Foundation
import LegStore
import ProcessTestKit
import SIPTestKit
import Testing
import Postgres

/// Issue 12 item 4: SIP on several event loops, each call on the loop its Call-ID names.
/// The SIPp Call-IDs are fixed (`-cid_str`), so the test knows which loop each call belongs
/// to (the same FNV-1a as the daemon, written out again here) and checks the daemon agrees.
@Suite(.serialized) struct ShardingTests {
    /// The daemon's shard function, independently: FNV-1a 32 of the Call-ID, then
    /// MurmurHash3's fmix32, modulo N.
    static func shard(_ callID: String, of count: Int) -> Int {
        var hash: UInt32 = 2_166_136_261
        for byte in callID.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        hash ^= hash >> 16
        hash = hash &* 0x85eb_ca6b
        hash ^= hash >> 13
        hash = hash &* 0xc2b2_ae35
        hash ^= hash >> 16
        return Int(hash % UInt32(count))
    }

    /// A SIPp `-cid_str` whose first `calls` Call-IDs (`%u` = 1, 2, …) fall on the shards in
    /// `pattern` (repeated), e.g. [0, 1]: call 1 on shard 0, call 2 on shard 1, …
    static func callIDFormat(_ tag: String, calls: Int, pattern: [Int], shards: Int = 2) -> String {
        for attempt in 0..<10_000 {
            let format = "\(tag)-\(attempt)-%u@127.0.0.1"
            let owners = (1...calls).map { shard(format.replacingOccurrences(of: "%u", with: "\($0)"), of: shards) }
            if owners == (0..<calls).map({ pattern[$0 % pattern.count] }) { return format }
        }
        fatalError("no Call-ID format found")
    }

    static func scrape(_ port: Int) -> String { (try? httpGet(port: port).1) ?? "" }

    /// Bridged calls on both loops: each completes, the re-INVITE, INFO and UPDATE of both
    /// sides and the BYE reach the call, every leg is recorded, each loop counted its own
    /// calls, and the outbound legs' Call-IDs carry the loop of their call.
    @Test func callsOnBothLoopsCompleteWithInDialogRequestsBothWaysAndEveryLegRecorded() throws {
        let calls = 6
        let call = try CallFixture(callees: [.callee("callee-dialog.xml", calls: calls, timeout: 60)], database: true)
        defer { call.stop() }
        let callee = call.callees[0]
        let database = try #require(call.database).connectionString
        try call.writeDialplan(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"))
        let metricsPort = FreePort.next()
        let daemon = try call.startDaemon(config: """
            sip: { threads: 2 }
            metrics: 127.0.0.1:\(metricsPort)

            """)
        let format = Self.callIDFormat("dialog", calls: calls, pattern: [0, 1, 1, 0, 1, 0])
        var run = SIPpRun.caller("caller-dialog.xml", daemon: daemon, calls: calls, rate: calls, timeout: 60)
        run.extraArguments += ["-cid_str", format]
        let caller = try run.run()
        #expect(caller.status == 0, "caller:\n\(caller.output.suffix(2000))\n\(daemon.log().suffix(3000))")
        #expect(caller.successfulCalls == calls)
        let calleeRun = try callee.wait()
        #expect(calleeRun.successfulCalls == calls, "callee:\n\(calleeRun.output.suffix(2000))")
        // Both sides' in-dialog requests reached the other side: the callee's re-INVITE and
        // UPDATE went to the caller, the caller's re-INVITE, INFO and BYE to the callee.
        let towardsCaller = ["INVITE ", "UPDATE "].flatMap { tracedMessages(caller.messages, startingWith: $0, received: true) }
        #expect(towardsCaller.count == 2 * calls)
        let towardsCallee = ["INVITE ", "INFO ", "BYE "].flatMap { tracedMessages(calleeRun.messages, startingWith: $0, received: true) }
        #expect(towardsCallee.count == 4 * calls)

        // Each loop started the calls its Call-IDs name (3 each), so both loops worked.
        #expect(waitUntil(10) {
            let text = Self.scrape(metricsPort)
            return sample(text, "switchboard_sip_shard_calls_started_total{shard=\"0\"}") == 3
                && sample(text, "switchboard_sip_shard_calls_started_total{shard=\"1\"}") == 3
        }, "\(Self.scrape(metricsPort).split(separator: "\n").filter { $0.contains("shard") })")
        #expect(sample(Self.scrape(metricsPort), "switchboard_calls_started_total") == Double(calls))

        // Every leg recorded once; each outbound leg's Call-ID names its call's loop.
        var rows: [[String?]] = []
        _ = waitUntil(30) {
            guard let connection = try? PostgresConnection(database) else { return false }
            defer { connection.close() }
            rows = (try? connection.execute("""
                SELECT i.sip_call_id, o.sip_call_id, i.answered_at IS NOT NULL, o.answered_at IS NOT NULL
                FROM call_legs i JOIN call_legs o ON o.call_id = i.call_id AND o.direction = 'outbound'
                WHERE i.direction = 'inbound' AND i.ended_at IS NOT NULL AND o.ended_at IS NOT NULL
                """).rows) ?? []
            return rows.count >= calls
        }
        #expect(rows.count == calls, "\(rows)")
        for row in rows {
            let inbound = row[0] ?? "", outbound = row[1] ?? ""
            #expect(outbound.hasPrefix("sw\(Self.shard(inbound, of: 2))."), "\(inbound) → \(outbound)")
            #expect(row[2] == "t" && row[3] == "t")
        }
    }

    /// `calls.max-concurrent` is the node's: two calls in progress, one on each loop, fill it,
    /// and a third gets 503 whichever loop it lands on.
    @Test func theConcurrentCallLimitHoldsAcrossLoops() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 2, keys: ["ring": "4000"])])
        defer { call.stop() }
        let callee = call.callees[0]
        try call.writeDialplan(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"))
        let daemon = try call.startDaemon(config: "sip: { threads: 2 }\ncalls: { max-concurrent: 2, retry-after: 7s }\n")
        var first = SIPpRun.caller(daemon: daemon, calls: 2, rate: 20)
        first.extraArguments += ["-cid_str", Self.callIDFormat("limit", calls: 2, pattern: [0, 1])]
        let running = try first.start()
        defer { running.stop() }
        usleep(800_000)
        // The third call on either loop: both are full together, neither alone.
        for owner in [0, 1] {
            var third = SIPpRun.caller("caller-expect-failure.xml", daemon: daemon, calls: 1)
            third.extraArguments += ["-cid_str", Self.callIDFormat("third\(owner)", calls: 1, pattern: [owner])]
            let refused = try third.run()
            #expect(finalStatuses(refused) == [503], "third call on loop \(owner)")
        }
        let result = try running.wait()
        #expect(result.successfulCalls == 2, "the calls in progress suffered:\n\(result.output.suffix(1000))")
    }

    /// Queue calls live on the first loop whatever their Call-ID: two callers whose Call-IDs
    /// name different loops share one queue, so the agent on a call is not offered the other
    /// (with a queue per loop, both would ring agent 0). Both callers hang up (their BYE
    /// reaches the call through the loop their Call-ID names).
    @Test func queueCallsOfBothLoopsShareTheQueue() throws {
        let call = try CallFixture(callees: [
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
            .callee("callee-answer.xml", calls: 1, keys: ["ring": "100"]),
        ])
        defer { call.stop() }
        let (a, b) = (call.callees[0], call.callees[1])
        let daemon = try call.startDaemon(plans: """
          main:
            queue:
              agents: ["sip:agent0@127.0.0.1:\(a.port)", "sip:agent1@127.0.0.1:\(b.port)"]
              strategy: linear
              max-wait: 30s
              agent-timeout: 10s
              wrap-up: 1s

        """, config: "sip: { threads: 2 }\n" + mediaConfig())
        var run = try AnchoredCaller.run(daemon, steps: [.pause(3000)], calls: 2, concurrent: 2)
        run.extraArguments += ["-cid_str", Self.callIDFormat("queue", calls: 2, pattern: [1, 0])]
        let caller = try run.run()
        #expect(caller.status == 0, "\(caller.output.suffix(1500))\n\(daemon.log().suffix(3000))")
        #expect(try a.wait(timeout: 20).successfulCalls == 1)
        #expect(try b.wait(timeout: 20).successfulCalls == 1)
    }

    /// `sip.threads: 1` is the single-loop daemon: one UDP socket (no SO_REUSEPORT: a second
    /// daemon cannot share the port), outbound Call-IDs without a loop prefix, calls complete.
    @Test func oneThreadIsTheSingleLoopDaemon() throws {
        let call = try CallFixture(callees: [.callee("callee-answer.xml", calls: 2, keys: ["ring": "50"])])
        defer { call.stop() }
        let callee = call.callees[0]
        let daemon = try call.startDaemon(plans: TestDialplan.ringAll("sip:a@127.0.0.1:\(callee.port)"),
                                          config: "sip: { threads: 1 }\n")
        let caller = try SIPpRun.caller(daemon: daemon, calls: 2, rate: 10).run()
        #expect(caller.successfulCalls == 2, "\(caller.output.suffix(1000))")
        let calleeRun = try callee.wait()
        let callIDs = tracedMessages(calleeRun.messages, startingWith: "INVITE ", received: true).compactMap { header("Call-ID", in: $0) }
        #expect(callIDs.count == 2)
        #expect(callIDs.allSatisfy { !$0.hasPrefix("sw") }, "\(callIDs)")
        #expect(daemon.log().contains("sip.threads=1"))
        #expect(!daemon.log().contains("sip.shard="))
        #expect(!Self.canShareUDPPort(daemon.port), "the single loop's socket let another one share its port")
    }

    /// Whether a socket with SO_REUSEPORT can bind 127.0.0.1:`port` next to the daemon's.
    static func canShareUDPPort(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
