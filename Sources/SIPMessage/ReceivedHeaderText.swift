/// Via, From, To and CSeq of a received request exactly as the peer wrote them.
///
/// RFC 3261 §8.2.6.2: a response copies these from the request, and peers compare them as
/// text (a carrier's SBC matches its own `From: A <sip:a@x>;tag=abc;foo=Bar`, compact forms,
/// odd spacing or parameter case against what comes back). Our serialiser writes the typed
/// values in one canonical form, so the parser keeps the text too, and a response built by
/// `SIPResponse(to:)` writes that text back — for each header only while its typed value is
/// still what was parsed from it, plus the two changes a UAS may make: our To tag and the
/// top Via's `received`/`rport` (§18.2.1, RFC 3581). Anything else changed falls back to the
/// typed value.
public struct ReceivedHeaderText: Sendable, Equatable {
    /// Via header values, one per header line (a line may hold several Vias).
    public var viaLines: [String]
    /// The Vias those lines stand for: as parsed, or as the transport stamped them (`adopt`).
    public var vias: [Via]
    public var from: String
    public var parsedFrom: NameAddress
    public var to: String
    public var parsedTo: NameAddress
    public var cSeq: String
    public var parsedCSeq: CSeq

    public init(viaLines: [String], vias: [Via], from: String, parsedFrom: NameAddress, to: String,
                parsedTo: NameAddress, cSeq: String, parsedCSeq: CSeq) {
        self.viaLines = viaLines
        self.vias = vias
        self.from = from
        self.parsedFrom = parsedFrom
        self.to = to
        self.parsedTo = parsedTo
        self.cSeq = cSeq
        self.parsedCSeq = parsedCSeq
    }

    /// The From text, if `from` is still the value parsed from it.
    func fromText(for from: NameAddress) -> String? { from == parsedFrom ? self.from : nil }

    /// The To text, if `to` is the parsed value, or it plus a tag the request did not have.
    func toText(for to: NameAddress) -> String? {
        if to == parsedTo { return self.to }
        guard parsedTo.tag == nil, let tag = to.tag else { return nil }
        var untagged = to
        untagged.tag = nil
        return untagged == parsedTo ? self.to + ";tag=" + tag : nil
    }

    func cSeqText(for cSeq: CSeq) -> String? { cSeq == parsedCSeq ? self.cSeq : nil }

    /// Writes `vias` (the received ones with the top Via's `received`/`rport` stamped) into the
    /// lines once, so that every response to the request copies them as they are instead of
    /// splitting and patching the top line again (`perf`: ~2 % of the SIP loop per call).
    /// Leaves the text as it was when `vias` cannot be written as a patch.
    public mutating func adopt(_ vias: [Via]) {
        guard let lines = viaLines(for: vias) else { return }
        viaLines = lines
        self.vias = vias
    }

    /// The Via lines as received, with the top Via's changed or added parameters written in;
    /// nil when anything else about the Vias changed.
    func viaLines(for vias: [Via]) -> [String]? {
        if vias == self.vias { return viaLines }
        guard vias.count == self.vias.count, let top = vias.first, let original = self.vias.first,
              vias.dropFirst().elementsEqual(self.vias.dropFirst()), let firstLine = viaLines.first,
              top.transport == original.transport, top.host == original.host, top.port == original.port,
              top.version == original.version else { return nil }
        // A parameter removed cannot be written back by patching: fall back.
        for p in original.parameters where top.parameter(p.name) == nil { return nil }
        let (element, rest) = Self.splitFirstElement(firstLine)
        var segments = Self.splitOutsideQuotes(element, separator: UInt8(ascii: ";"))
        for p in top.parameters {
            let was = original.parameter(p.name)
            if was == .some(p.value) { continue }
            let text = p.name + (p.value.map { "=" + $0 } ?? "")
            if was != nil, let i = segments.indices.dropFirst().first(where: {
                Self.parameterName(segments[$0]).lowercased() == p.name.lowercased()
            }) {
                segments[i] = text
            } else {
                segments.append(text)
            }
        }
        var lines = viaLines
        lines[0] = segments.joined(separator: ";") + rest
        return lines
    }

    /// The first comma-separated element of a Via line, and the rest (from the comma on).
    static func splitFirstElement(_ line: String) -> (String, String) {
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let c = line[index]
            if c == "\"" { quoted.toggle() } else if c == ",", !quoted {
                return (String(line[..<index]), String(line[index...]))
            }
            index = line.index(after: index)
        }
        return (line, "")
    }

    static func splitOutsideQuotes(_ s: String, separator: UInt8) -> [String] {
        var parts: [String] = []
        var current: [UInt8] = []
        var quoted = false
        for c in s.utf8 {
            if c == UInt8(ascii: "\"") { quoted.toggle() }
            if c == separator, !quoted {
                parts.append(String(decoding: current, as: UTF8.self))
                current = []
            } else {
                current.append(c)
            }
        }
        parts.append(String(decoding: current, as: UTF8.self))
        return parts
    }

    /// `rport`, from ` rport = 5060 ` or `rport`.
    static func parameterName(_ segment: String) -> String {
        let name = segment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return name.trimmingWhitespace
    }
}

/// Holds a message's received text without making it part of the message's value: messages
/// that differ only in how they were written are equal (a parsed message equals the one it
/// was built from, with or without the text).
struct ReceivedTextSlot: Sendable, Equatable {
    var text: ReceivedHeaderText?
    static func == (a: ReceivedTextSlot, b: ReceivedTextSlot) -> Bool { true }
}

extension Substring {
    fileprivate var trimmingWhitespace: String {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
