/// The little of RFC 1035 that RFC 3263 server location needs: one-question queries, and
/// answers with A, AAAA and SRV (RFC 2782) records. Names may be compressed (§4.1.4).
public enum DNSRecordType: UInt16, Sendable {
    case a = 1
    case aaaa = 28
    case srv = 33
}

public struct SRVRecord: Sendable, Equatable {
    public var priority: UInt16
    public var weight: UInt16
    public var port: UInt16
    /// Lower case, without the trailing dot; "." (the root) means "no service here".
    public var target: String

    public init(priority: UInt16, weight: UInt16, port: UInt16, target: String) {
        self.priority = priority
        self.weight = weight
        self.port = port
        self.target = target
    }
}

public struct DNSResourceRecord: Sendable, Equatable {
    public enum Data: Sendable, Equatable {
        case a(String)
        case aaaa(String)
        case srv(SRVRecord)
        case other(type: UInt16)
    }
    /// Lower case, without the trailing dot.
    public var name: String
    public var ttl: UInt32
    public var data: Data
}

public struct DNSResponse: Sendable, Equatable {
    public var id: UInt16
    public var rcode: UInt8
    public var truncated: Bool
    public var questionName: String
    public var questionType: UInt16
    public var answers: [DNSResourceRecord]
    public var additionals: [DNSResourceRecord]

    public var srvRecords: [SRVRecord] {
        answers.compactMap { if case .srv(let s) = $0.data { s } else { nil } }
    }

    /// IPv4 addresses of `name` found anywhere in the answer (answer or additional section).
    public func addresses(of name: String) -> [String] {
        let name = DNSMessage.normalize(name)
        return (answers + additionals).compactMap { record in
            guard record.name == name else { return nil }
            if case .a(let address) = record.data { return address }
            return nil
        }
    }
}

public enum DNSParseError: Error, Equatable {
    case truncatedMessage
    case badLabel
    case pointerLoop
    case notAResponse
}

public enum DNSMessage {
    /// `name` lower-cased, without the trailing dot.
    public static func normalize(_ name: String) -> String {
        var n = name.lowercased()
        while n.hasSuffix(".") && n.count > 1 { n.removeLast() }
        return n
    }

    /// A standard query (RD set) for one name and type, class IN.
    public static func query(id: UInt16, name: String, type: DNSRecordType) -> [UInt8]? {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let labels = normalize(name).split(separator: ".", omittingEmptySubsequences: false)
        var length = 1
        for label in labels {
            let utf8 = Array(label.utf8)
            guard !utf8.isEmpty, utf8.count <= 63 else { return nil }
            length += utf8.count + 1
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        guard length <= 255 else { return nil }
        bytes.append(0)
        bytes += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xff), 0, 1]
        return bytes
    }

    public static func parse(_ bytes: [UInt8]) throws(DNSParseError) -> DNSResponse {
        var reader = Reader(bytes: bytes)
        let id = try reader.u16()
        let flags = try reader.u16()
        guard flags & 0x8000 != 0 else { throw .notAResponse }
        let qdcount = try reader.u16(), ancount = try reader.u16(), nscount = try reader.u16(), arcount = try reader.u16()
        var questionName = "", questionType: UInt16 = 0
        for index in 0..<Int(qdcount) {
            let name = try reader.name()
            let type = try reader.u16()
            _ = try reader.u16()
            if index == 0 { questionName = name; questionType = type }
        }
        let answers = try (0..<Int(ancount)).map { _ throws(DNSParseError) in try reader.record() }
        _ = try (0..<Int(nscount)).map { _ throws(DNSParseError) in try reader.record() }
        let additionals = try (0..<Int(arcount)).map { _ throws(DNSParseError) in try reader.record() }
        return DNSResponse(id: id, rcode: UInt8(flags & 0x000f), truncated: flags & 0x0200 != 0,
                           questionName: questionName, questionType: questionType,
                           answers: answers, additionals: additionals)
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func u8() throws(DNSParseError) -> UInt8 {
            guard offset < bytes.count else { throw .truncatedMessage }
            defer { offset += 1 }
            return bytes[offset]
        }
        mutating func u16() throws(DNSParseError) -> UInt16 {
            UInt16(try u8()) << 8 | UInt16(try u8())
        }
        mutating func u32() throws(DNSParseError) -> UInt32 {
            UInt32(try u16()) << 16 | UInt32(try u16())
        }

        /// A possibly compressed name at the cursor; the cursor moves past its in-place part.
        mutating func name() throws(DNSParseError) -> String {
            var labels: [String] = []
            var position = offset
            var jumped = false
            var jumps = 0
            var total = 0
            while true {
                guard position < bytes.count else { throw .truncatedMessage }
                let length = Int(bytes[position])
                switch length & 0xc0 {
                case 0xc0:
                    guard position + 1 < bytes.count else { throw .truncatedMessage }
                    let target = (length & 0x3f) << 8 | Int(bytes[position + 1])
                    if !jumped { offset = position + 2 }
                    jumped = true
                    jumps += 1
                    // Pointers must go backwards; a bound on jumps stops loops regardless.
                    guard target < position, jumps <= 64 else { throw .pointerLoop }
                    position = target
                case 0x00:
                    if length == 0 {
                        if !jumped { offset = position + 1 }
                        return labels.isEmpty ? "." : labels.joined(separator: ".").lowercased()
                    }
                    guard position + 1 + length <= bytes.count else { throw .truncatedMessage }
                    total += length + 1
                    guard total <= 255 else { throw .badLabel }
                    labels.append(String(decoding: bytes[(position + 1)...(position + length)], as: UTF8.self))
                    position += 1 + length
                default:
                    throw .badLabel   // 0x40 / 0x80: extended label types, obsolete
                }
            }
        }

        mutating func record() throws(DNSParseError) -> DNSResourceRecord {
            let name = try name()
            let type = try u16()
            _ = try u16()   // class
            let ttl = try u32()
            let length = Int(try u16())
            let end = offset + length
            guard end <= bytes.count else { throw .truncatedMessage }
            let data: DNSResourceRecord.Data
            switch DNSRecordType(rawValue: type) {
            case .a? where length == 4:
                data = .a(bytes[offset..<end].map(String.init).joined(separator: "."))
            case .aaaa? where length == 16:
                let groups = stride(from: offset, to: end, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
                data = .aaaa(groups.joined(separator: ":"))
            case .srv? where length >= 7:
                let priority = try u16(), weight = try u16(), port = try u16()
                let target = try self.name()
                guard offset <= end else { throw .truncatedMessage }
                data = .srv(SRVRecord(priority: priority, weight: weight, port: port, target: target))
            default:
                data = .other(type: type)
            }
            offset = end
            return DNSResourceRecord(name: name, ttl: ttl, data: data)
        }
    }
}
