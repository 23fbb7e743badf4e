import Foundation

// Two ways in, one body (`FuzzTarget.run`):
// - the fuzz build (`-DFUZZING -sanitize=fuzzer,address -parse-as-library`, see ../run.sh):
//   libFuzzer's driver owns argv and calls `FuzzTarget.run` for every input, and the
//   target comes from the environment (`FUZZ_TARGET=sip`);
// - the normal build: a plain executable, `Fuzz TARGET FILE...`, that runs each file through
//   the same code once. It keeps the harness compiling in `swift build --build-tests` without
//   the sanitizer flags, and replays a crash input under the debugger.

#if FUZZING
internal import CFuzzDriver

nonisolated(unsafe) private var selected: FuzzTarget?

/// SwiftPM aliases `main` to this module's entry point, so the entry point hands control to
/// libFuzzer's driver (which parses the libFuzzer flags in argv).
@_cdecl("Fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " "))\n".utf8))
        return 2
    }
    target.setUp()
    selected = target
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput)
}

/// The callback, under its libFuzzer name too: compiler-rt's (unused) `main` object refers
/// to it, and the link fails without it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected!.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum FuzzReplay {
    static func main() {
        let args = CommandLine.arguments.dropFirst()
        if args.first == "journal-seed", let out = args.dropFirst().first {
            do { try JournalSeed.write(to: out) } catch { print("journal-seed: \(error)"); exit(1) }
            return
        }
        guard let name = args.first, let target = FuzzTarget(rawValue: name) else {
            print("usage: Fuzz TARGET FILE...   (TARGET: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")))")
            exit(2)
        }
        target.setUp()
        var count = 0
        for path in args.dropFirst() {
            for file in files(at: path) {
                guard let data = FileManager.default.contents(atPath: file) else { print("cannot read \(file)"); exit(1) }
                data.withUnsafeBytes { target.run($0) }
                count += 1
            }
        }
        print("\(name): \(count) inputs ran without a finding")
    }

    /// A file, or every regular file of a directory (a corpus).
    static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { path + "/" + $0 }
    }
}
#endif
