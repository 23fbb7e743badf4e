import Yams

/// The YAML tree the account parser walks: scalars (all strings, as with Yams' basic
/// resolver), mappings in file order and sequences, each with where it was written.
///
/// Its own type rather than `Yams.Node` so that `PlainYAML` can build it straight from the
/// text for the plain files dialplans are (issue 17 item 2: Yams' node construction, one
/// event, tag and Foundation string per scalar, was most of a million-number load after
/// libphonenumber); anything else goes through Yams and is converted.
enum Node: Equatable {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    struct Scalar: Equatable {
        var string: String
        var mark: Mark?
        init(_ string: String, mark: Mark? = nil) { self.string = string; self.mark = mark }
    }

    /// A mapping: key and value pairs in file order.
    struct Mapping: RandomAccessCollection, Equatable {
        var pairs: [Pair]
        var mark: Mark?
        struct Pair: Equatable { var key: Node; var value: Node }
        var startIndex: Int { pairs.startIndex }
        var endIndex: Int { pairs.endIndex }
        subscript(position: Int) -> (key: Node, value: Node) { (pairs[position].key, pairs[position].value) }
    }

    /// A sequence of nodes.
    struct Sequence: RandomAccessCollection, Equatable {
        var nodes: [Node]
        var mark: Mark?
        var startIndex: Int { nodes.startIndex }
        var endIndex: Int { nodes.endIndex }
        subscript(position: Int) -> Node { nodes[position] }
    }

    /// 1-based line and column (columns count Unicode scalars, as libyaml does).
    struct Mark: Equatable {
        var line: Int
        var column: Int
    }

    var mark: Mark? {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }

    var scalar: Scalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }

    var mapping: Mapping? {
        if case .mapping(let mapping) = self { return mapping }
        return nil
    }

    /// The same tree with every mark past the end of `text` moved to the end of its last line.
    /// libyaml puts the end of the stream on a line of its own when the text does not end in a
    /// line break, and an empty value there (a file that is only `--- ` or `--- # note`) was
    /// marked one line past the last, where an editor cannot jump (found by bench/fuzz). A
    /// text that ends in a line break has no such place.
    func keepingMarks(inside text: String) -> Node {
        guard let last = text.unicodeScalars.last, ![0x0A, 0x0D, 0x85, 0x2028, 0x2029].contains(last.value) else { return self }
        return keepingMarks(within: YAMLErrorDiagnostics.end(of: text))
    }

    private func keepingMarks(within end: (lines: Int, lastLineLength: Int)) -> Node {
        func inside(_ mark: Mark?) -> Mark? {
            mark.map { let (line, column) = YAMLErrorDiagnostics.clamp(line: $0.line, column: $0.column, to: end); return Mark(line: line, column: column) }
        }
        switch self {
        case .scalar(var scalar):
            scalar.mark = inside(scalar.mark)
            return .scalar(scalar)
        case .mapping(var mapping):
            mapping.mark = inside(mapping.mark)
            mapping.pairs = mapping.pairs.map { Mapping.Pair(key: $0.key.keepingMarks(within: end), value: $0.value.keepingMarks(within: end)) }
            return .mapping(mapping)
        case .sequence(var sequence):
            sequence.mark = inside(sequence.mark)
            sequence.nodes = sequence.nodes.map { $0.keepingMarks(within: end) }
            return .sequence(sequence)
        }
    }

    /// Yams' tree in this form (aliases are already resolved by Yams' composer).
    init(_ node: Yams.Node) {
        let mark = node.mark.map { Mark(line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let scalar):
            self = .scalar(Scalar(scalar.string, mark: mark))
        case .mapping(let mapping):
            self = .mapping(Mapping(pairs: mapping.map { Mapping.Pair(key: Node($0.key), value: Node($0.value)) }, mark: mark))
        case .sequence(let sequence):
            self = .sequence(Sequence(nodes: sequence.map(Node.init), mark: mark))
        case .alias:
            // compose() replaces aliases by the nodes they name; an empty scalar keeps this total.
            self = .scalar(Scalar("", mark: mark))
        }
    }
}
