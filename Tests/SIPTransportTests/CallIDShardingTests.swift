import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIPMessage
import SIPTestKit
import Testing
@testable import SIPTransport

/// The shard function and the Call-ID peek (issue 12 item 4): every message of a call must
/// name the same SIP loop, however its sender spelled and spaced the header.
@Suite struct CallIDShardingTests {
    static func message(_ headers: String, body: String = "") -> [UInt8] {
        Array(("BYE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n" + headers
            + "CSeq: 2 BYE\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
    }

    static func peek(_ headers: String, body: String = "") -> String? {
        CallIDSharding.peekCallID(message(headers, body: body)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func peeksTheCallIDHeader() {
        #expect(Self.peek("Call-ID: abc123@host\r\n") == "abc123@host")
        // Compact form (RFC 3261 §7.3.3), any case, white space before and after the colon.
        #expect(Self.peek("i: abc123@host\r\n") == "abc123@host")
        #expect(Self.peek("I:abc123@host\r\n") == "abc123@host")
        #expect(Self.peek("CALL-ID   :   abc123@host  \r\n") == "abc123@host")
        #expect(Self.peek("call-id:\tabc123@host\t\r\n") == "abc123@host")
        // Folded onto the next line (§7.3.1).
        #expect(Self.peek("Call-ID:\r\n  abc123@host\r\n") == "abc123@host")
        // Bare LF line ends.
        #expect(Self.peek("Call-ID: abc123@host\n") == "abc123@host")
    }

    @Test func firstCallIDWinsAndLookalikesDoNot() {
        #expect(Self.peek("X-Call-ID: other\r\nCall-ID: right\r\nCall-ID: second\r\n") == "right")
        #expect(Self.peek("Call-Info: <http://x>\r\nid: no\r\ni: yes\r\n") == "yes")
        // A folded line of another header that starts with "Call-ID:" is that header's value.
        #expect(Self.peek("Subject: hello\r\n Call-ID: folded\r\nCall-ID: real\r\n") == "real")
    }

    @Test func missingCallIDIsNil() {
        #expect(Self.peek("From: <sip:a@b>;tag=1\r\n") == nil)
        #expect(Self.peek("Call-ID:   \r\n") == nil)
        // In the body, not the headers.
        #expect(Self.peek("Content-Type: text/plain\r\n", body: "Call-ID: in-body\r\n") == nil)
        #expect(CallIDSharding.peekCallID([]) == nil)
        #expect(CallIDSharding.peekCallID(Array("garbage without lines".utf8)) == nil)
    }

    @Test func sameCallSameShardHoweverSpelled() {
        let spellings = ["Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n", "i:a84b4c76e66710@pc33.atlanta.com\r\n",
                         "CALL-ID :\r\n a84b4c76e66710@pc33.atlanta.com \r\n"]
        for count in 2...5 {
            let shards = Set(spellings.map { CallIDSharding.shard(ofCallID: CallIDSharding.peekCallID(Self.message($0))!, count: count) })
            #expect(shards.count == 1)
            #expect(shards.first == CallIDSharding.shard(ofCallID: "a84b4c76e66710@pc33.atlanta.com", count: count))
        }
    }

    @Test func ourMarkedCallIDsGoToTheirShard() {
        for count in 2...4 {
            for shard in 0..<count {
                let callID = CallIDSharding.prefix(shard: shard, of: count) + UUID().uuidString.lowercased() + "@127.0.0.1"
                #expect(CallIDSharding.shard(ofCallID: callID, count: count) == shard)
            }
        }
        // One shard: no marker (the Call-IDs of before), everything on shard 0.
        #expect(CallIDSharding.prefix(shard: 0, of: 1) == "")
        #expect(CallIDSharding.shard(ofCallID: "sw3.x@h", count: 1) == 0)
        // A marker naming a shard we do not have (another node's, a peer's lookalike) is hashed.
        #expect(CallIDSharding.shard(ofCallID: "sw7.x@h", count: 2)
            == Int(CallIDSharding.finalize(CallIDSharding.fnv1a(Array("sw7.x@h".utf8))) % 2))
        #expect(CallIDSharding.markedShard(Array("sw12.x".utf8)) == 12)
        #expect(CallIDSharding.markedShard(Array("sw.x".utf8)) == nil)
        #expect(CallIDSharding.markedShard(Array("swx.1".utf8)) == nil)
        #expect(CallIDSharding.markedShard(Array("sw1".utf8)) == nil)
    }

    /// FNV-1a's published test vectors: the hash is stable across runs and builds (unlike
    /// `Hasher`), so a restarted daemon, or a reader of the logs, agrees on the owner.
    @Test func fnv1aIsTheStandardOne() {
        #expect(CallIDSharding.fnv1a(Array("".utf8)) == 0x811c_9dc5)
        #expect(CallIDSharding.fnv1a(Array("a".utf8)) == 0xe40c_292c)
        #expect(CallIDSharding.fnv1a(Array("foobar".utf8)) == 0xbf9c_f968)
    }

    /// Call-IDs that differ in one character (a UA's counter) must not simply alternate: the
    /// raw FNV-1a's lowest bit is the parity of the bytes' lowest bits.
    @Test func counterCallIDsDoNotAlternate() {
        let owners = (1...64).map { CallIDSharding.shard(ofCallID: "\($0)-4711@10.0.0.1", count: 2) }
        let alternating = (1...64).map { ($0 + owners[0] + 1) % 2 }
        #expect(owners != alternating)
        #expect(owners.filter { $0 == 0 }.count > 16 && owners.filter { $0 == 1 }.count > 16)
        #expect(CallIDSharding.finalize(0) == 0 && CallIDSharding.finalize(1) == 0x514e_28b7)
    }

    @Test func randomCallIDsSpreadOverShards() {
        var counts = [0, 0, 0]
        for _ in 0..<3000 { counts[CallIDSharding.shard(ofCallID: UUID().uuidString + "@10.0.0.1", count: 3)] += 1 }
        #expect(counts.allSatisfy { $0 > 800 })
    }
}

/// Two transports on two loops sharing one UDP port (SO_REUSEPORT): whichever socket a
/// datagram lands on, the loop its Call-ID names parses it, and answers from the same port.
@Suite(.serialized) struct ShardHandOffTests {
    @Test func datagramsReachTheOwnerLoopAndAnswersComeFromTheSamePort() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let port = FreePort.next()
        var configuration = SIPTransportConfiguration(endpoints: [.init(transport: .udp, host: "127.0.0.1", port: port)])
        configuration.reusePort = true
        let transports = loops.map { SIPTransport(configuration: configuration, eventLoop: $0, logger: Logger(label: "test")) }
        let seen = NIOLockedValueBox<[(callID: String, loop: Int)]>([])
        let owner: @Sendable ([UInt8]) -> SIPTransport? = { bytes in
            CallIDSharding.peekCallID(bytes).map { transports[CallIDSharding.shard(ofCallID: $0, count: 2)] }
        }
        for (index, transport) in transports.enumerated() {
            try await transport.eventLoop.submit {
                transport.owner = owner
                transport.onMessage = { message, peer in
                    #expect(transport.eventLoop.inEventLoop)
                    guard case .request(let request) = message else { return }
                    seen.withLockedValue { $0.append((request.callID, index)) }
                    transport.sendResponse(SIPResponse(to: request, statusCode: 200, toTag: "t"), requestSource: peer)
                }
            }.get()
            try await transport.start()
        }
        // Call-IDs of both shards: ours (marked) and a peer's (hashed).
        var callIDs = (0..<2).map { CallIDSharding.prefix(shard: $0, of: 2) + "m\($0)@127.0.0.1" }
        var hashed: [Int: String] = [:]
        while hashed.count < 2 {
            let id = UUID().uuidString + "@peer"
            hashed[CallIDSharding.shard(ofCallID: id, count: 2)] = id
        }
        callIDs += hashed.values
        // Several client sockets, so the kernel's reuseport hash lands on both sockets. The
        // client's socket is connected: it takes answers only from the port it sent to.
        var answers = 0
        for clientIndex in 0..<6 {
            let client = try RawSIPClient(.udp, port: port, receiveTimeout: 0.3)
            for callID in callIDs {
                client.send(SIPTransportListenerTests.options(
                    via: "SIP/2.0/UDP 127.0.0.1:\(client.localPort);rport;branch=z9hG4bK\(clientIndex)\(callID.hashValue)", callID: callID))
                let replies = client.receiveAll()
                answers += RawSIPClient.statusCodes(in: replies).filter { $0 == 200 }.count
            }
        }
        #expect(answers == 6 * callIDs.count)
        let byCallID = Dictionary(grouping: seen.withLockedValue { $0 }, by: \.callID)
        for callID in callIDs {
            let loopsSeen = Set(byCallID[callID]?.map(\.loop) ?? [])
            #expect(loopsSeen == [CallIDSharding.shard(ofCallID: callID, count: 2)], "\(callID)")
        }
        let handedOff = try await transports[0].eventLoop.submit { transports[0].statistics.handedOff }.get()
            + transports[1].eventLoop.submit { transports[1].statistics.handedOff }.get()
        #expect(handedOff > 0)
        for transport in transports { await transport.stop() }
        try await group.shutdownGracefully()
    }
}
