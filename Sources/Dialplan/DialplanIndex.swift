/// The state of a dialplan directory between loads: every file as parsed, and the checks
/// that need all of them (a number claimed twice, an account defined twice), kept up to
/// date file by file (issue 17 item 3). A full load is this index fed every file once; a
/// reload feeds it only the files that changed, were added or were removed, and gets the
/// same table and diagnostics as a full load of the directory as it now is
/// (`IncrementalReloadTests` compares the two).
///
/// Changed by one thread at a time (`DialplanDirectory` serialises reloads); while a reload
/// reads files on all cores, those threads only read it.
final class DialplanIndex: @unchecked Sendable {
    /// By file id; nil where a file was removed (its id is reused).
    private(set) var files: [DialplanFile?] = []
    private var ids: [String: UInt32] = [:]
    private var freeIDs: [UInt32] = []
    /// Each number's first claim (in file order, then order within the file):
    /// file id << 32 | route index. Also the table's slots when nothing is in error.
    private var first: [UInt64: UInt64] = [:]
    /// Numbers claimed more than once: the id of every claiming file, once per claim, in
    /// claim order. Empty in any dialplan that loads.
    private var contested: [UInt64: [UInt32]] = [:]

    /// The file at `path`, as last applied.
    func file(_ path: String) -> DialplanFile? { ids[path].flatMap { files[Int($0)] } }

    var paths: Dictionary<String, UInt32>.Keys { ids.keys }

    /// Room for `count` more numbers (a full load, before the first `apply`).
    func reserve(_ count: Int) { first.reserveCapacity(first.count + count) }

    /// Takes a re-read file whose content turned out unchanged: only its signature and
    /// read time are new, so its claims stay as they are.
    func refresh(_ file: DialplanFile) {
        guard let id = ids[file.path] else { return }
        files[Int(id)]!.signature = file.signature
        files[Int(id)]!.readAt = file.readAt
    }

    /// Makes the index hold exactly the files in `order` (the listing, in file order):
    /// `changed` replaces or adds files, and every known path not in `order` is removed.
    func apply(order: [String], changed: [DialplanFile]) {
        let listed = Set(order)
        for (path, id) in ids where !listed.contains(path) {
            detach(id)
            files[Int(id)] = nil
            ids[path] = nil
            freeIDs.append(id)
        }
        for file in changed {
            let id: UInt32
            if let known = ids[file.path] {
                id = known
                detach(id)
            } else if let reused = freeIDs.popLast() {
                id = reused
            } else {
                id = UInt32(files.count)
                files.append(nil)
            }
            ids[file.path] = id
            files[Int(id)] = file
            attach(id)
        }
        for (rank, path) in order.enumerated() { files[Int(ids[path]!)]!.rank = rank }
        // Claim order is file order: ranks may have moved when files were added.
        for (key, claimers) in contested {
            let sorted = claimers.enumerated().sorted { a, b in
                let (ra, rb) = (files[Int(a.element)]!.rank, files[Int(b.element)]!.rank)
                return ra != rb ? ra < rb : a.offset < b.offset
            }.map(\.element)
            contested[key] = sorted
            first[key] = slot(sorted[0], key)
        }
    }

    /// The first claim of `key` in file `id`, as a slot.
    private func slot(_ id: UInt32, _ key: UInt64) -> UInt64 {
        let claim = files[Int(id)]!.spec!.numbers.first { $0.key == key }!
        return UInt64(id) << 32 | UInt64(claim.route)
    }

    private func attach(_ id: UInt32) {
        guard let spec = files[Int(id)]!.spec else { return }
        for claim in spec.numbers {
            if contested[claim.key] != nil {
                contested[claim.key]!.append(id)
            } else if let slot = first[claim.key] {
                contested[claim.key] = [UInt32(slot >> 32), id]
            } else {
                first[claim.key] = UInt64(id) << 32 | UInt64(claim.route)
            }
        }
    }

    private func detach(_ id: UInt32) {
        guard let spec = files[Int(id)]!.spec else { return }
        for claim in spec.numbers {
            if var claimers = contested[claim.key] {
                claimers.remove(at: claimers.firstIndex(of: id)!)
                if claimers.count == 1 {
                    contested[claim.key] = nil
                    first[claim.key] = slot(claimers[0], claim.key)
                } else {
                    contested[claim.key] = claimers
                }
            } else if let slot = first[claim.key], UInt32(slot >> 32) == id {
                first[claim.key] = nil
            }
        }
    }

    /// Every file's diagnostics and the cross-file ones; a table when none is an error.
    /// `extra`: diagnostics of the directory itself (unreadable, no files).
    func result(extra: [Diagnostic]) -> DialplanLoader.Result {
        let ordered = files.indices.compactMap { files[$0] == nil ? nil : $0 }.sorted { files[$0]!.rank < files[$1]!.rank }
        var diagnostics = extra
        for index in ordered { diagnostics += files[index]!.diagnostics }
        diagnostics += accountDiagnostics(ordered)
        diagnostics += numberDiagnostics()
        let sorted = diagnostics.sortedByLocation()
        guard !sorted.hasErrors else { return DialplanLoader.Result(table: nil, diagnostics: sorted) }
        var accounts: [String: Account] = [:]
        accounts.reserveCapacity(ordered.count)
        for index in ordered where files[index]!.spec != nil {
            if files[index]!.unit == nil { files[index]!.unit = DialplanCompiler.link(files[index]!.spec!) }
            let account = files[index]!.unit!.account
            accounts[account.name] = account
        }
        let table = DialplanTable(slots: first, units: files.map { $0?.unit }, accounts: accounts)
        return DialplanLoader.Result(table: table, diagnostics: sorted)
    }

    private func accountDiagnostics(_ ordered: [Int]) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var seen: [String: SourceLocation] = [:]
        for index in ordered {
            guard let spec = files[index]!.spec else { continue }
            if let first = seen[spec.name] {
                diagnostics.append(Diagnostic(.error, at: spec.nameLocation, "account '\(spec.name)' is already defined at \(first)"))
            } else {
                seen[spec.name] = spec.nameLocation
            }
        }
        return diagnostics
    }

    /// A number may belong to one account and one plan only: every claim after the
    /// first is an error that names the first.
    private func numberDiagnostics() -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        for (key, claimers) in contested {
            var claims: [(spec: AccountSpec, claim: NumberClaim)] = []
            var previous: UInt32?
            for id in claimers where id != previous {
                previous = id
                let spec = files[Int(id)]!.spec!
                for claim in spec.numbers where claim.key == key { claims.append((spec, claim)) }
            }
            let (firstSpec, firstClaim) = claims[0]
            for (spec, claim) in claims.dropFirst() {
                diagnostics.append(Diagnostic(.error, at: spec.location(of: claim),
                    "number \(claim.e164) is claimed twice: also at \(firstSpec.location(of: firstClaim)) (account '\(firstSpec.name)')"))
            }
        }
        return diagnostics
    }
}
