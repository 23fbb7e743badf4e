import Foundation
import SIPTestKit

/// Builds a throwaway dialplan directory for one test: one account whose tracking numbers
/// route to the plans given as YAML text.
struct TestDialplan {
    let directory: URL

    init(plans: String, numbers: [String: String] = ["+13125550100": "main"], callerID: String = "caller",
         extra: String = "") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dialplans-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var yaml = """
        account: test-account
        timezone: America/Chicago
        caller-id: \(callerID)
        numbers:

        """
        for (number, plan) in numbers.sorted(by: { $0.key < $1.key }) {
            yaml += "  \"\(number)\": { plan: \(plan), source: test-source }\n"
        }
        yaml += extra
        yaml += "plans:\n" + plans
        try yaml.write(to: directory.appendingPathComponent("test-account.yaml"), atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

extension SIPpRun {
    /// A callee (UAS) waiting on its own port for `calls` calls.
    static func callee(_ scenario: String, calls: Int, keys: [String: String] = [:], timeout: Int = 30) -> SIPpRun {
        var run = SIPpRun(scenario: scenarioPath(scenario), target: nil, calls: calls, timeoutSeconds: timeout)
        run.localPort = FreePort.next()
        run.traceMessages = true
        for (k, v) in keys {
            // SIPp cannot put a -key value in a pause: the ring time is the default pause (-d).
            run.extraArguments += k == "ring" ? ["-d", v] : ["-key", k, v]
        }
        return run
    }

    /// A caller (UAC) dialling `number` on the daemon.
    static func caller(_ scenario: String = "caller.xml", daemon: DaemonProcess, number: String = "+13125550100",
                       calls: Int, rate: Int = 10, keys: [String: String] = [:], timeout: Int = 30) -> SIPpRun {
        var run = SIPpRun(scenario: scenarioPath(scenario), target: "127.0.0.1:\(daemon.port)", calls: calls, rate: rate,
                          timeoutSeconds: timeout)
        run.extraArguments += ["-s", number]
        run.traceMessages = true
        for (k, v) in keys { run.extraArguments += ["-key", k, v] }
        return run
    }
}

/// Messages of one kind found in a SIPp message trace; `received` keeps only those SIPp
/// received (true) or sent (false).
func tracedMessages(_ trace: String, startingWith prefix: String, received: Bool? = nil) -> [String] {
    trace.components(separatedBy: "----------------------------------------------- ")
        .compactMap { block -> String? in
            if let received, block.contains("message received") != received { return nil }
            guard let start = block.range(of: "\n\n") else { return nil }
            let message = String(block[start.upperBound...]).replacingOccurrences(of: "\r\n", with: "\n")
            return message.hasPrefix(prefix) ? message : nil
        }
}

func header(_ name: String, in message: String) -> String? {
    for line in message.split(separator: "\n") where line.lowercased().hasPrefix(name.lowercased() + ":") {
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }
    return nil
}

/// Final (≥ 200) statuses the caller received, in order.
func finalStatuses(_ run: SIPpRun.Result) -> [Int] {
    tracedMessages(run.messages, startingWith: "SIP/2.0 ").compactMap { message in
        let parts = message.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let code = Int(parts[1]), code >= 200 else { return nil }
        return code
    }
}
