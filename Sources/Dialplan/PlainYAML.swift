/// A reader for the plain YAML dialplan files are in practice (issue 17 item 2): block
/// mappings and sequences by indentation, one-line flow mappings and sequences, plain and
/// simply quoted scalars, comments; ASCII only. It builds the same tree, marks included,
/// as Yams (libyaml) with the basic resolver — `PlainYAMLTests` compares the two over every
/// dialplan in the repository and thousands of mutations of them — at a fraction of the
/// cost. On anything else (anchors, tags, escapes, block or multi-line scalars, tabs,
/// duplicate keys, any syntax error) it answers nil and the loader asks Yams, so every
/// YAML diagnostic stays Yams' own.
struct PlainYAML {
    private let bytes: [UInt8]
    /// Start offset of every line; `lineEnds[i]` is its end (the newline or the end of text).
    private var lineStarts: [Int] = []
    private var lineEnds: [Int] = []
    /// The current line, and the offset within the text.
    private var line = 0
    private var position = 0

    /// Stops a deep nest of collections (`[[[[…`, or thousands of indentation levels) from
    /// exhausting the stack.
    private static let maximumDepth = 64
    private var depth = 0

    private struct Bail: Error {}

    /// The document's tree, or nil when the text is not plain YAML (then ask Yams).
    static func parse(_ bytes: [UInt8]) -> Node? {
        var reader = PlainYAML(bytes: bytes)
        return try? reader.document()
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func document() throws -> Node {
        var start = 0
        for (offset, byte) in bytes.enumerated() {
            // ASCII without control characters but newline: columns are byte offsets.
            if byte == 0x0A {
                lineStarts.append(start)
                lineEnds.append(offset)
                start = offset + 1
            } else if byte >= 0x80 || byte < 0x20 || byte == 0x7F {
                throw Bail()
            }
        }
        if start < bytes.count {
            lineStarts.append(start)
            lineEnds.append(bytes.count)
        }
        guard let first = nextContentLine(from: 0), indent(of: first) == 0 else { throw Bail() }
        line = first
        // Directives and document markers are Yams' business.
        if byte(at: lineStarts[first]) == UInt8(ascii: "%") || starts(with: "---", at: lineStarts[first])
            || starts(with: "...", at: lineStarts[first]) { throw Bail() }
        let root = try block(indent: 0)
        guard nextContentLine(from: line) == nil else { throw Bail() }
        return root
    }

    // MARK: Lines

    private func byte(at offset: Int) -> UInt8 { offset < bytes.count ? bytes[offset] : 0 }

    private func starts(with text: String, at offset: Int) -> Bool {
        var offset = offset
        for byte in text.utf8 {
            guard self.byte(at: offset) == byte else { return false }
            offset += 1
        }
        return true
    }

    private func indent(of line: Int) -> Int {
        var offset = lineStarts[line]
        while offset < lineEnds[line], bytes[offset] == UInt8(ascii: " ") { offset += 1 }
        return offset - lineStarts[line]
    }

    /// The first line from `line` on with something other than spaces and a comment.
    private func nextContentLine(from line: Int) -> Int? {
        var line = line
        while line < lineStarts.count {
            let offset = lineStarts[line] + indent(of: line)
            if offset < lineEnds[line], bytes[offset] != UInt8(ascii: "#") { return line }
            line += 1
        }
        return nil
    }

    private func mark(_ offset: Int) -> Node.Mark { Node.Mark(line: line + 1, column: offset - lineStarts[line] + 1) }

    private var lineEnd: Int { lineEnds[line] }

    private mutating func skipSpaces() {
        while position < lineEnd, bytes[position] == UInt8(ascii: " ") { position += 1 }
    }

    /// After a value: only spaces and a comment (after a space) may end the line.
    private mutating func finishLine() throws {
        let before = position
        skipSpaces()
        if position < lineEnd {
            guard bytes[position] == UInt8(ascii: "#"), position > before else { throw Bail() }
        }
        line += 1
    }

    /// Whether the byte at `offset` is a sequence entry's `-` (followed by a space or the end of line).
    private func isEntry(_ offset: Int) -> Bool {
        byte(at: offset) == UInt8(ascii: "-") && (offset + 1 >= lineEnd || bytes[offset + 1] == UInt8(ascii: " "))
    }

    // MARK: Block collections

    /// The block node whose first line is `line` (a content line) at `indent`.
    private mutating func block(indent: Int) throws -> Node {
        // Nesting by indentation recurses too: a deep file goes to Yams, never deep here.
        try enter()
        defer { depth -= 1 }
        position = lineStarts[line] + indent
        if isEntry(position) { return try sequence(indent: indent) }
        return try mapping(indent: indent)
    }

    /// A block mapping whose keys are at column `indent`; the first key is at `position`
    /// (which may be mid-line, after a sequence entry's `- `).
    private mutating func mapping(indent: Int) throws -> Node {
        var pairs: [Node.Mapping.Pair] = []
        var keys = Set<String>()
        let start = mark(position)
        while true {
            let key = try scalar(flow: false)
            guard byte(at: position) == UInt8(ascii: ":") else { throw Bail() }
            position += 1
            guard position >= lineEnd || bytes[position] == UInt8(ascii: " ") else { throw Bail() }
            // libyaml refuses keys over 1,024 characters; so does this, by asking Yams.
            guard case .scalar(let keyScalar) = key, keyScalar.string.utf8.count <= 1_000,
                  keys.insert(keyScalar.string).inserted else { throw Bail() }
            let value = try value(of: indent)
            pairs.append(Node.Mapping.Pair(key: key, value: value))
            guard let next = nextContentLine(from: line) else { line = lineStarts.count; break }
            let nextIndent = self.indent(of: next)
            if nextIndent < indent { line = next; break }
            guard nextIndent == indent else { throw Bail() }
            line = next
            position = lineStarts[line] + indent
            // A `- ` here ends the mapping (an indentless sequence of the parent's key).
            if isEntry(position) { break }
        }
        return .mapping(Node.Mapping(pairs: pairs, mark: start))
    }

    /// A mapping value after `key:` (position just after the colon), for a key at `indent`.
    private mutating func value(of indent: Int) throws -> Node {
        skipSpaces()
        if position >= lineEnd || bytes[position] == UInt8(ascii: "#") {
            if position < lineEnd, bytes[position - 1] != UInt8(ascii: " ") { throw Bail() }
            // The value is the block below: deeper, or an indentless sequence at the key's column.
            guard let next = nextContentLine(from: line + 1) else { throw Bail() }
            let nextIndent = self.indent(of: next)
            line = next
            if nextIndent > indent { return try block(indent: nextIndent) }
            if nextIndent == indent, isEntry(lineStarts[next] + indent) { return try sequence(indent: indent) }
            throw Bail()  // an empty value: Yams decides what it is
        }
        let node = try inline()
        try finishLine()
        try noContinuation(deeperThan: indent)
        return node
    }

    /// A line deeper than the key after an inline value would continue a plain scalar over
    /// lines (or be an error): Yams' business.
    private func noContinuation(deeperThan indent: Int) throws {
        if let next = nextContentLine(from: line), self.indent(of: next) > indent { throw Bail() }
    }

    /// A block sequence whose `-` entries are at column `indent`, the first at `line`.
    private mutating func sequence(indent: Int) throws -> Node {
        var nodes: [Node] = []
        position = lineStarts[line] + indent
        let start = mark(position)
        while true {
            position += 1  // the "-"
            skipSpaces()
            if position >= lineEnd || bytes[position] == UInt8(ascii: "#") {
                if position < lineEnd, bytes[position - 1] != UInt8(ascii: " ") { throw Bail() }
                guard let next = nextContentLine(from: line + 1), self.indent(of: next) > indent else { throw Bail() }
                line = next
                nodes.append(try block(indent: self.indent(of: next)))
            } else if isKey(at: position) {
                // `- key: value`: a mapping whose keys line up with this first one.
                nodes.append(try mapping(indent: position - lineStarts[line]))
            } else {
                nodes.append(try inline())
                try finishLine()
                try noContinuation(deeperThan: indent)
            }
            guard let next = nextContentLine(from: line) else { line = lineStarts.count; break }
            let nextIndent = self.indent(of: next)
            if nextIndent < indent { line = next; break }
            guard nextIndent == indent else { throw Bail() }
            line = next
            position = lineStarts[line] + indent
            guard isEntry(position) else { break }  // the parent mapping's next key
        }
        return .sequence(Node.Sequence(nodes: nodes, mark: start))
    }

    /// Whether a block mapping key (a scalar followed by `: ` or `:` at the end) starts at `offset`.
    private func isKey(at offset: Int) -> Bool {
        var copy = self
        copy.position = offset
        guard (try? copy.scalar(flow: false)) != nil, copy.byte(at: copy.position) == UInt8(ascii: ":") else { return false }
        return copy.position + 1 >= lineEnd || bytes[copy.position + 1] == UInt8(ascii: " ")
    }

    // MARK: Inline nodes

    /// A value within one line: a flow mapping or sequence, or a scalar.
    private mutating func inline() throws -> Node {
        switch byte(at: position) {
        case UInt8(ascii: "{"): return try flowMapping()
        case UInt8(ascii: "["): return try flowSequence()
        default: return try scalar(flow: false)
        }
    }

    private mutating func flowValue() throws -> Node {
        switch byte(at: position) {
        case UInt8(ascii: "{"): return try flowMapping()
        case UInt8(ascii: "["): return try flowSequence()
        default: return try scalar(flow: true)
        }
    }

    private mutating func enter() throws {
        depth += 1
        guard depth <= Self.maximumDepth else { throw Bail() }
    }

    private mutating func flowMapping() throws -> Node {
        try enter()
        defer { depth -= 1 }
        let start = mark(position)
        position += 1
        var pairs: [Node.Mapping.Pair] = []
        var keys = Set<String>()
        skipSpaces()
        if byte(at: position) == UInt8(ascii: "}"), position < lineEnd {
            position += 1
            return .mapping(Node.Mapping(pairs: pairs, mark: start))
        }
        while true {
            let key = try scalar(flow: true)
            guard case .scalar(let keyScalar) = key, keys.insert(keyScalar.string).inserted else { throw Bail() }
            guard position < lineEnd, bytes[position] == UInt8(ascii: ":") else { throw Bail() }
            position += 1
            guard position < lineEnd, bytes[position] == UInt8(ascii: " ") else { throw Bail() }
            skipSpaces()
            guard position < lineEnd, bytes[position] != UInt8(ascii: ","), bytes[position] != UInt8(ascii: "}") else { throw Bail() }
            pairs.append(Node.Mapping.Pair(key: key, value: try flowValue()))
            skipSpaces()
            guard position < lineEnd else { throw Bail() }
            if bytes[position] == UInt8(ascii: "}") { position += 1; break }
            guard bytes[position] == UInt8(ascii: ",") else { throw Bail() }
            position += 1
            skipSpaces()
        }
        return .mapping(Node.Mapping(pairs: pairs, mark: start))
    }

    private mutating func flowSequence() throws -> Node {
        try enter()
        defer { depth -= 1 }
        let start = mark(position)
        position += 1
        var nodes: [Node] = []
        skipSpaces()
        if byte(at: position) == UInt8(ascii: "]"), position < lineEnd {
            position += 1
            return .sequence(Node.Sequence(nodes: nodes, mark: start))
        }
        while true {
            nodes.append(try flowValue())
            skipSpaces()
            guard position < lineEnd else { throw Bail() }
            if bytes[position] == UInt8(ascii: "]") { position += 1; break }
            guard bytes[position] == UInt8(ascii: ",") else { throw Bail() }
            position += 1
            skipSpaces()
        }
        return .sequence(Node.Sequence(nodes: nodes, mark: start))
    }

    /// A scalar at `position`: quoted without escapes or line breaks, or plain.
    private mutating func scalar(flow: Bool) throws -> Node {
        let start = mark(position)
        guard position < lineEnd else { throw Bail() }
        let first = bytes[position]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            var text: [UInt8] = []
            var offset = position + 1
            while true {
                guard offset < lineEnd else { throw Bail() }
                let byte = bytes[offset]
                if byte == first {
                    // '' inside single quotes is one quote.
                    if first == UInt8(ascii: "'"), offset + 1 < lineEnd, bytes[offset + 1] == first {
                        text.append(first)
                        offset += 2
                        continue
                    }
                    break
                }
                if byte == UInt8(ascii: "\\"), first == UInt8(ascii: "\"") { throw Bail() }
                text.append(byte)
                offset += 1
            }
            position = offset + 1
            // What may follow a quoted scalar on its line.
            if position < lineEnd {
                let next = bytes[position]
                let allowed: Set<UInt8> = flow ? [0x20, 0x3A, 0x2C, 0x5D, 0x7D] : [0x20, 0x3A]  // space : , ] }
                guard allowed.contains(next) else { throw Bail() }
            }
            return .scalar(Node.Scalar(String(decoding: text, as: UTF8.self), mark: start))
        }
        guard Self.plainStart[Int(first)] else { throw Bail() }
        var end = position
        var offset = position
        while offset < lineEnd {
            let byte = bytes[offset]
            if byte == UInt8(ascii: ":") {
                let next = offset + 1 < lineEnd ? bytes[offset + 1] : 0x20
                if next == 0x20 { break }
                // A colon before a flow indicator, or in a flow before anything: Yams' call.
                if flow { throw Bail() }
            } else if byte == UInt8(ascii: "#"), bytes[offset - 1] == 0x20 {
                break
            } else if flow, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                        || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") {
                break
            }
            offset += 1
            if byte != 0x20 { end = offset }
        }
        let text = bytes[position..<end]
        position = end
        return .scalar(Node.Scalar(String(decoding: text, as: UTF8.self), mark: start))
    }

    /// Bytes a plain scalar may start with here (letters, digits and a few safe marks; not
    /// YAML indicators such as - ? : , [ ] { } # & * ! | > ' " % @ `).
    private static let plainStart: [Bool] = (0..<256).map { code in
        guard code < 128 else { return false }
        let c = Character(UnicodeScalar(UInt8(code)))
        return c.isLetter || c.isNumber || "+./_~($^;".contains(c)
    }
}
