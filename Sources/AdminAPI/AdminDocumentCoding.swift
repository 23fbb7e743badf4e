import Foundation

/// How the admin endpoint's documents go over the wire: JSON with sorted keys (stable for
/// diffs and tests); `/queues` ends with a newline so `curl` output ends its line.
public enum AdminDocumentCoding {
    public static func encode<T: Encodable>(_ document: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(document)).map(Array.init) ?? Array("{}".utf8)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
