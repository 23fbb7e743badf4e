import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A dialplan directory loaded once and then reloaded (SIGHUP, `DialplanStore.reload`):
/// a reload stats every file, reads again only those whose stat changed (or was too close
/// to the last read to be trusted), parses only those whose content hash changed, and
/// lets `DialplanIndex` update the cross-file checks for just those files (issue 17
/// item 3). The first reload is a full load. Reloads are serialised.
final class DialplanDirectory: @unchecked Sendable {
    let directory: String
    private let lock = NSLock()
    private let index = DialplanIndex()

    init(directory: String) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
    }

    private var work = DialplanStore.ReloadWork()
    /// What the last reload did.
    var lastWork: DialplanStore.ReloadWork { lock.withLock { work } }

    func reload() -> DialplanLoader.Result {
        lock.lock()
        defer { lock.unlock() }
        let fileNames: [String]
        do {
            fileNames = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") && !$0.hasPrefix(".") }.sorted()
        } catch {
            let diagnostic = Diagnostic(path: directory, line: 0, column: 0, severity: .error,
                                        message: "cannot read dialplan directory: \(error.localizedDescription)")
            return DialplanLoader.Result(table: nil, diagnostics: [diagnostic])
        }
        var extra: [Diagnostic] = []
        if fileNames.isEmpty {
            extra.append(Diagnostic(path: directory, line: 0, column: 0, severity: .warning, message: "no *.yaml dialplan files"))
        }
        let paths = fileNames.map { directory + "/" + $0 }
        let today = Porting.today()
        let index = self.index
        let known = DialplanLoader.parseAll(paths.count) { i -> Bool in
            index.file(paths[i])?.isUnchanged(now: FileSignature(path: paths[i]), today: today) ?? false
        }
        let candidates = paths.indices.filter { !known[$0] }.map { paths[$0] }
        let root = self.directory
        let outcomes = DialplanLoader.parseAll(candidates.count) { i -> (file: DialplanFile, parsed: Bool) in
            let path = candidates[i]
            let readAt = timespec.now
            switch FileRead.read(path) {
            case .contents(let bytes, let signature):
                if var old = index.file(path), old.contentHash == FileRead.hash(bytes), old.dependenciesUnchanged(today: today) {
                    old.signature = signature
                    old.readAt = readAt
                    return (old, false)
                }
                return (DialplanLoader.parse(bytes, name: path, path: path, directory: root, signature: signature, readAt: readAt), true)
            case .empty:
                return (DialplanLoader.failed(name: path, Diagnostic(path: path, line: 1, column: 1, severity: .error, message: "file is empty"),
                                              readAt: readAt), true)
            case .unreadable:
                return (DialplanLoader.failed(name: path, Diagnostic(path: path, line: 0, column: 0, severity: .error, message: "cannot read file"),
                                              readAt: readAt), true)
            case .tooLarge:
                return (DialplanLoader.failed(name: path, Diagnostic(path: path, line: 0, column: 0, severity: .error,
                                                                     message: "file is larger than \(FileRead.maximumSize >> 20) MiB"),
                                              readAt: readAt), true)
            }
        }
        let changed = outcomes.filter(\.parsed).map(\.file)
        for outcome in outcomes where !outcome.parsed { index.refresh(outcome.file) }
        if index.files.isEmpty { index.reserve(changed.reduce(0) { $0 + ($1.spec?.numbers.count ?? 0) }) }
        let listed = Set(paths)
        work = DialplanStore.ReloadWork(read: candidates.count, parsed: changed.count, removed: index.paths.filter { !listed.contains($0) }.count)
        index.apply(order: paths, changed: changed)
        let result = index.result(extra: extra)
        #if canImport(Glibc)
        // Parsing a big directory leaves hundreds of MiB of YAML trees freed in the worker
        // threads' malloc arenas; give them back rather than keep them resident.
        if changed.count >= 1_000 { Self.trimMalloc() }
        #endif
        return result
    }

    #if canImport(Glibc)
    /// glibc's malloc_trim(0), looked up at run time (Swift's Glibc module does not export it).
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    private static func trimMalloc() { _ = mallocTrim?(0) }
    #endif
}
