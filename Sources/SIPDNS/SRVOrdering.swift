/// RFC 2782 target selection: lowest priority first; within one priority, a weighted random
/// order (zero-weight records first in the list, so they get a small chance of going first).
public enum SRVOrdering {
    public static func order(_ records: [SRVRecord]) -> [SRVRecord] {
        var generator = SystemRandomNumberGenerator()
        return order(records, using: &generator)
    }

    public static func order<G: RandomNumberGenerator>(_ records: [SRVRecord], using generator: inout G) -> [SRVRecord] {
        var result: [SRVRecord] = []
        for priority in Set(records.map(\.priority)).sorted() {
            var pool = records.filter { $0.priority == priority }
            pool = pool.filter { $0.weight == 0 } + pool.filter { $0.weight != 0 }
            while !pool.isEmpty {
                let sum = pool.reduce(0) { $0 + Int($1.weight) }
                let pick = Int.random(in: 0...sum, using: &generator)
                var running = 0
                var chosen = pool.count - 1
                for (index, record) in pool.enumerated() {
                    running += Int(record.weight)
                    if running >= pick { chosen = index; break }
                }
                result.append(pool.remove(at: chosen))
            }
        }
        return result
    }
}
