import Foundation
import LegStore
import SIPMessage
import ProcessTestKit
import Testing
@testable import Registrar
import Postgres

/// The store on a real PostgreSQL: HA1 only, and each node rewriting only its own bindings
/// (two nodes' registrations of one agent both stay), merged for routing by `BindingTable`.
@Suite(.serialized) struct AgentStoreTests {
    func binding(_ contact: String, port: Int) -> Binding {
        Binding(agent: "alice", account: "acme", contact: contact, flow: SIPPeer(transport: .udp, host: "198.51.100.7", port: port),
                callID: "c-\(port)", cseq: 1, expires: Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 300).rounded()))
    }

    @Test func nodesKeepEachOthersBindings() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let connection = try PostgresConnection(cluster.connectionString(database: try cluster.createDatabase()))
        defer { connection.close() }
        try Migrator.migrate(connection, migrations: RegistrarMigrations.all)
        let store = AgentStore(connection: connection)
        try store.add(account: "acme", name: "alice", number: "+14155550100", realm: "switchboard")
        try store.setPassword(name: "alice", password: "correct horse", realm: "switchboard", md5: false)
        let stored = try #require(try store.credentials().first)
        #expect(stored.ha1SHA256 == DigestAlgorithm.sha256.ha1(username: "alice", realm: "switchboard", password: "correct horse"))
        #expect(stored.ha1MD5 == nil)
        #expect(throws: AgentStore.Failure.self) { try store.setPassword(name: "alice", password: "short", realm: "switchboard", md5: false) }

        let desk = binding("sip:alice@10.0.0.1:5060", port: 5060), mobile = binding("sip:alice@10.0.0.2:5060", port: 5070)
        try store.replaceBindings(agent: "alice", with: [desk], node: "node-a")
        try store.replaceBindings(agent: "alice", with: [mobile], node: "node-b")
        #expect(try store.bindings().map(\.contact).sorted() == [desk.contact, mobile.contact])
        // node-a's phone unregisters: node-b's binding stays.
        try store.replaceBindings(agent: "alice", with: [], node: "node-a")
        let rows = try store.bindingsWithNodes()
        #expect(rows.map(\.binding.contact) == [mobile.contact])
        #expect(rows.map(\.node) == ["node-b"])
        #expect(rows.first?.binding == mobile)  // every field round-trips

        // The routing view on node-a: its own (none now) plus node-b's.
        let table = BindingTable()
        table.load(own: [], others: rows.map(\.binding))
        #expect(table.bindings(of: "alice").map(\.contact) == [mobile.contact])
        #expect(table.ownBindings(of: "alice").isEmpty)
        // Removing the agent removes its bindings.
        try store.remove(name: "alice")
        #expect(try store.bindings().isEmpty)
    }
}
