import CallLegs
import Foundation

/// The journal's record payload: a compact little-endian binary form (about 45 bytes for
/// ringing/answered/ended, ~150 for a typical created), cheaper to write on the hot path than
/// JSON and versioned by its first byte so old journals stay readable after an upgrade.
///
///     u8 version(1) | u8 kind | 16 leg id | 16 call id | i64 µs
///     created: u8 direction | str account | str tracking | str source | str target
///              | str sip call-id | u8 hasCaller [str caller]
///              version 2 only: | str agent (an agent's call; other events stay version 1)
///     ended:   u16 status (0 = none) | u8 reason
///     str = u16 length + UTF-8
extension LegEvent {
    static let encodingVersion: UInt8 = 1
    /// A created event with an agent (issue 15 item 4); older readers skip it as unknown.
    static let agentEncodingVersion: UInt8 = 2

    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        encode(into: &out)
        return out
    }

    func encode(into out: inout [UInt8]) {
        var agent: String?
        if case .created(let o) = detail { agent = o.agent }
        out.append(agent == nil ? Self.encodingVersion : Self.agentEncodingVersion)
        out.append(kind.rawValue)
        appendUUID(legID, &out)
        appendUUID(callID, &out)
        appendInteger(UInt64(bitPattern: microseconds), &out)
        switch detail {
        case .created(let o):
            out.append(o.direction.rawValue)
            for s in [o.account, o.trackingNumber, o.source, o.target, o.sipCallID] { appendString(s, &out) }
            if let caller = o.callerNumber { out.append(1); appendString(caller, &out) } else { out.append(0) }
            if let agent = o.agent { appendString(agent, &out) }
        case .ringing, .answered:
            break
        case .ended(let status, let reason):
            appendInteger(UInt16(clamping: status ?? 0), &out)
            out.append(reason.rawValue)
        }
    }

    /// Decodes one payload; nil if it is not a well-formed event (the CRC already passed, so
    /// this means a newer writer or a bug: the caller logs and skips it).
    public init?(decoding bytes: some Collection<UInt8>) {
        self.init(decoding: ArraySlice(bytes))
    }

    /// The same over an array.
    public init?(decoding bytes: [UInt8]) {
        self.init(decoding: bytes[...])
    }

    /// The same over a slice (a record's payload inside the bytes read from a segment),
    /// read in place: the journal reader decodes every record this way, without a copy.
    public init?(decoding bytes: ArraySlice<UInt8>) {
        var r = ByteReader(bytes)
        guard let version = r.u8(), version == Self.encodingVersion || version == Self.agentEncodingVersion,
              let k = r.u8().flatMap(Kind.init(rawValue:)),
              let leg = r.uuid(), let call = r.uuid(), let us = r.u64() else { return nil }
        let detail: Detail
        switch k {
        case .created:
            guard let dir = r.u8().flatMap(Direction.init(rawValue:)),
                  let account = r.string(), let tracking = r.string(), let source = r.string(),
                  let target = r.string(), let sip = r.string(), let has = r.u8() else { return nil }
            var caller: String?
            if has == 1 { guard let c = r.string() else { return nil }; caller = c }
            var agent: String?
            if version == Self.agentEncodingVersion { guard let a = r.string() else { return nil }; agent = a }
            detail = .created(Origin(account: account, trackingNumber: tracking, source: source, direction: dir,
                                     target: target, sipCallID: sip, callerNumber: caller, agent: agent))
        case _ where version != Self.encodingVersion: return nil
        case .ringing: detail = .ringing
        case .answered: detail = .answered
        case .ended:
            guard let status = r.u16(), let reason = r.u8().flatMap(EndReason.init(rawValue:)) else { return nil }
            detail = .ended(status: status == 0 ? nil : Int(status), reason: reason)
        }
        guard r.atEnd else { return nil }
        self.init(legID: leg, callID: call, microseconds: Int64(bitPattern: us), detail)
    }
}

private func appendUUID(_ u: UUID, _ out: inout [UInt8]) {
    let t = u.uuid
    out.append(contentsOf: [t.0, t.1, t.2, t.3, t.4, t.5, t.6, t.7, t.8, t.9, t.10, t.11, t.12, t.13, t.14, t.15])
}

func appendInteger<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
    var le = v.littleEndian
    withUnsafeBytes(of: &le) { out.append(contentsOf: $0) }
}

private func appendString(_ s: String, _ out: inout [UInt8]) {
    // Longer fields are cut at 65535 bytes (SIP caps headers far below that).
    var utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
    while !utf8.isEmpty, String(validating: utf8, as: UTF8.self) == nil { utf8.removeLast() }
    appendInteger(UInt16(utf8.count), &out)
    out.append(contentsOf: utf8)
}

/// Bounds-checked little-endian reads over one record, in place over a slice of the bytes
/// read (no copy of the payload, of a UUID or of an integer's bytes).
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    /// An index of `bytes` (a slice keeps the indices of the array it is cut from).
    var index: Int
    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    var atEnd: Bool { index == bytes.endIndex }

    /// The `T` stored little-endian at `bytes[start...]`; the caller checked the length.
    static func littleEndian<T: FixedWidthInteger>(_: T.Type, _ bytes: ArraySlice<UInt8>, at start: Int) -> T {
        var value = T(0)
        for i in (start..<start + MemoryLayout<T>.size).reversed() { value = (value << 8) | T(bytes[i]) }
        return value
    }

    mutating func take(_ n: Int) -> ArraySlice<UInt8>? {
        guard n >= 0, bytes.endIndex - index >= n else { return nil }
        defer { index += n }
        return bytes[index..<index + n]
    }
    mutating func u8() -> UInt8? { take(1)?.first }
    mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard bytes.endIndex - index >= size else { return nil }
        defer { index += size }
        return Self.littleEndian(T.self, bytes, at: index)
    }
    mutating func u16() -> UInt16? { integer(UInt16.self) }
    mutating func u64() -> UInt64? { integer(UInt64.self) }
    mutating func uuid() -> UUID? {
        guard bytes.endIndex - index >= 16 else { return nil }
        let i = index, b = bytes
        index += 16
        return UUID(uuid: (b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7],
                           b[i + 8], b[i + 9], b[i + 10], b[i + 11], b[i + 12], b[i + 13], b[i + 14], b[i + 15]))
    }
    mutating func string() -> String? {
        guard let n = u16(), let s = take(Int(n)) else { return nil }
        return String(validating: s, as: UTF8.self)
    }
}
