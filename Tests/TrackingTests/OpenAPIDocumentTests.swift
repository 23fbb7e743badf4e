import Foundation
import Testing
import Yams
@testable import Tracking
@testable import TrackingWeb

/// docs/tracking.openapi.yaml describes exactly the server: the same endpoints as the route
/// table, the same JSON field names as the encoders, and every reference resolves.
@Suite struct OpenAPIDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func document() throws -> [String: Any] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/tracking.openapi.yaml"), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any])
    }

    static func schemaProperties(_ doc: [String: Any], _ name: String) throws -> Set<String> {
        let components = try #require(doc["components"] as? [String: Any])
        let schemas = try #require(components["schemas"] as? [String: Any])
        let schema = try #require(schemas[name] as? [String: Any], "schema \(name)")
        return Set(try #require(schema["properties"] as? [String: Any]).keys)
    }

    static func encodedKeys<T: Encodable>(_ value: T) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(value))
        return Set(try #require(object as? [String: Any]).keys)
    }

    @Test func endpointsMatchTheRouteTable() throws {
        let doc = try Self.document()
        #expect(doc["openapi"] as? String == "3.0.3")
        let paths = try #require(doc["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where method != "parameters" {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(documented == Set(TrackingWebServer.endpoints))
        // Every POST names its 400 and 429, so clients know the refusals.
        for (path, item) in paths {
            guard let post = (item as? [String: Any])?["post"] as? [String: Any] else { continue }
            let responses = try #require(post["responses"] as? [String: Any])
            #expect(responses["400"] != nil && responses["429"] != nil, "\(path)")
        }
    }

    @Test func schemasMatchTheJSONTheServerReadsAndWrites() throws {
        let doc = try Self.document()
        let full = SessionRequest(key: "k", pool: "p", landingURL: "u", referrer: "r", utmSource: "s", utmMedium: "m",
                                  utmCampaign: "c", utmTerm: "t", utmContent: "x", gclid: "g", gbraid: "gb", wbraid: "wb",
                                  msclkid: "ms", visitorID: "v")
        #expect(try Self.schemaProperties(doc, "SessionRequest") == Self.encodedKeys(full))
        let session = SessionResponse(sessionID: "s", number: "n", national: "n", international: "i", region: "US",
                                      expiresAt: "e", heartbeatSeconds: 1, tookOver: false)
        #expect(try Self.schemaProperties(doc, "Session") == Self.encodedKeys(session))
        #expect(try Self.schemaProperties(doc, "Heartbeat") == Self.encodedKeys(HeartbeatResponse(number: "n", expiresAt: "e", heartbeatSeconds: 1)))
        #expect(try Self.schemaProperties(doc, "PoolStatus")
                == Self.encodedKeys(PoolStatus(account: "a", pool: "p", numbers: 1, leased: 0, free: 1, takeovers: 0)))
    }

    @Test func everyReferenceResolves() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("docs/tracking.openapi.yaml"), encoding: .utf8)
        let doc = try Self.document()
        let components = try #require(doc["components"] as? [String: Any])
        let refs = text.matches(of: /"#\/components\/(\w+)\/(\w+)"/).map { (String($0.1), String($0.2)) }
        #expect(!refs.isEmpty)
        for (kind, name) in refs {
            #expect((components[kind] as? [String: Any])?[name] != nil, "#/components/\(kind)/\(name)")
        }
    }
}
