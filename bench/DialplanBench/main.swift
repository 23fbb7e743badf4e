// Dialplan benchmark: 10,000 account files holding 1,000,000 tracking
// numbers, loaded and validated by the real loader, then looked up.
// Run: swift run -c release DialplanBench [accounts] [numbers-per-account]
import Dialplan
import Foundation

let accounts = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let perAccount = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 100 : 100
precondition(accounts * perAccount <= 2_000_000, "bounded: at most 2,000,000 numbers")

/// Resident memory in MiB, from /proc/self/status (VmRSS).
func residentMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kib / 1024
}

/// CPU seconds (user + system, every thread) this process has used: on the shared machine the
/// wall time of a step grows with the other builders' load, its CPU time hardly.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The n-th tracking number: +1 NPA 555 XXXX with NPA 201, 202, … (fictitious 555 exchange).
func number(_ n: Int) -> String {
    let npa = 201 + n / 10_000, line = n % 10_000
    return "+1\(npa)555" + String(repeating: "0", count: 4 - String(line).count) + String(line)
}

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dialplan-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

let total = accounts * perAccount
let generate = try seconds {
    for account in 0..<accounts {
        // Half the numbers listed one by one, half in a pool: both paths are measured.
        var text = "account: acct\(account)\ntimezone: America/New_York\ncaller-id: tracking-number\nnumbers:\n"
        let base = account * perAccount
        for i in 0..<(perAccount / 2) { text += "  \"\(number(base + i))\": { plan: main, source: src\(i % 7) }\n" }
        text += "pools:\n  web:\n    plan: hours\n    source: website\n    numbers:\n"
        for i in (perAccount / 2)..<perAccount { text += "      - \"\(number(base + i))\"\n" }
        text += """
        plans:
          hours:
            schedule:
              branches:
                open: { days: [mon-fri], hours: "08:00-18:00", plan: main }
              default: after-hours
          main:
            ring-all: { targets: ["sip:desk@pbx\(account).example", "tel:+12125550100"], timeout: 20s }
            then: after-hours
          after-hours:
            sequential:
              - { target: "tel:+12125550101", timeout: 20s }
              - { target: "sip:voicemail@pbx\(account).example", timeout: 30s }

        """
        try text.write(toFile: "\(directory)/acct\(account).yaml", atomically: false, encoding: .utf8)
    }
}
print("generated \(accounts) files, \(total) numbers in \(String(format: "%.1f", generate)) s")

let rssBefore = residentMiB()
var result: DialplanLoader.Result?
var loadedStore: DialplanStore?
// The daemon's path: a store whose later reloads re-parse only changed files.
let loadCPU = cpuSeconds()
let load = seconds { (loadedStore, result) = DialplanStore.load(directory: directory) }
let loadCPUTime = cpuSeconds() - loadCPU
guard let table = result?.table, let store = loadedStore else {
    for diagnostic in (result?.diagnostics ?? []).prefix(20) { print(diagnostic) }
    fatalError("benchmark dialplans did not load")
}
let rssAfter = residentMiB()
print("load+validate+compile: \(String(format: "%.2f", load)) s wall, \(String(format: "%.2f", loadCPUTime)) s CPU (\(Int(Double(total) / load)) numbers/s), "
      + "\(table.accountCount) accounts, \(table.numberCount) numbers, \(table.planCount) plans")
print("resident memory: \(String(format: "%.0f", rssBefore)) MiB before, \(String(format: "%.0f", rssAfter)) MiB after load")

if CommandLine.arguments.count > 3, CommandLine.arguments[3] == "load-only" { exit(0) }  // for profiling the loader

// Incremental reload (issue 17 item 3): time from reload() to the new table in the store.
func timedReload(_ what: String, expect check: (DialplanLoader.Result) -> Bool) {
    var outcome: DialplanLoader.Result?
    let cpu = cpuSeconds()
    let time = seconds { outcome = store.reload() }
    let cpuTime = cpuSeconds() - cpu
    let work = store.lastReloadWork
    precondition(check(outcome!), "reload '\(what)' gave an unexpected result: \(outcome!.diagnostics.prefix(3))")
    print("reload, \(what): \(String(format: "%.1f", time * 1000)) ms wall, \(String(format: "%.1f", cpuTime * 1000)) ms CPU (read \(work.read), parsed \(work.parsed), removed \(work.removed) files)")
}
// Files written within a second of the load are read (not parsed) once more: their stat
// could not be trusted yet (see DialplanFile.isUnchanged).
timedReload("first, nothing changed") { $0.table != nil }
timedReload("nothing changed") { $0.table != nil }
let edited = "\(directory)/acct\(accounts / 2).yaml"
let original = try String(contentsOfFile: edited, encoding: .utf8)
let moved = number(total + 1)  // a number no file has
let firstNumber = number((accounts / 2) * perAccount)
try original.replacingOccurrences(of: firstNumber, with: moved).replacingOccurrences(of: "source: src0", with: "source: edited")
    .write(toFile: edited, atomically: true, encoding: .utf8)
timedReload("one file of \(accounts) edited") { $0.table?.lookup(e164: moved)?.source == "edited" && $0.table?.lookup(e164: firstNumber) == nil }
// A number claimed twice across files: refused, the running table stays.
let other = "\(directory)/acct\(accounts / 3).yaml"
let otherText = try String(contentsOfFile: other, encoding: .utf8)
try otherText.replacingOccurrences(of: number((accounts / 3) * perAccount), with: moved).write(toFile: other, atomically: true, encoding: .utf8)
timedReload("a duplicate across files (refused)") { $0.table == nil && $0.diagnostics.count == 1 }
try otherText.write(toFile: other, atomically: true, encoding: .utf8)
timedReload("duplicate fixed") { $0.table != nil }
try FileManager.default.removeItem(atPath: edited)
timedReload("one file removed") { $0.table?.lookup(e164: moved) == nil && $0.table?.numberCount == total - perAccount }
try original.write(toFile: edited, atomically: true, encoding: .utf8)
timedReload("one file added") { $0.table?.numberCount == total }
print("resident memory after reloads: \(String(format: "%.0f", residentMiB())) MiB")

// Lookups: a fixed pseudo-random sequence of hits and 10 % misses, E.164 strings prepared up front
// so the loop measures the table (string → key → dictionary), not number formatting.
var generator = SystemRandomNumberGenerator()
let probes = (0..<1_000_000).map { i in i % 10 == 0 ? "+1999555" + String(1000 + i % 9000) : number(Int.random(in: 0..<total, using: &generator)) }
var hits = 0
let rounds = 5
let lookup = seconds {
    for _ in 0..<rounds {
        for probe in probes where table.lookup(e164: probe) != nil { hits += 1 }
    }
}
let lookups = probes.count * rounds
print("lookups: \(lookups) in \(String(format: "%.2f", lookup)) s = \(Int(Double(lookups) / lookup)) lookups/s (\(hits) hits)")

// The store's hot path: take the current table, then look up.
let storeTime = seconds {
    for probe in probes where store.current.lookup(e164: probe) != nil { hits += 1 }
}
print("store.current + lookup: \(Int(Double(probes.count) / storeTime)) lookups/s")

// Where load time goes: libphonenumber parsing of each number (PhoneNumber(e164:) parses twice).
let sample = (0..<100_000).map { number($0 % total) }
var parsed = 0
let parseTime = seconds { for text in sample where PhoneNumber(e164: text) != nil { parsed += 1 } }
print("PhoneNumber(e164:) normalisation: \(Int(Double(sample.count) / parseTime)) numbers/s on one core")
