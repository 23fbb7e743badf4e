import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SwitchboardConfig

/// `switchboard queues`: the running daemon's queues (waiting callers, agents and their
/// state), read from its status endpoint (`GET /queues` on the `metrics:` address). Callers'
/// numbers show only with the admin token (`--token-file` or the config's admin-token-file).
struct QueuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues",
        abstract: "Show the running daemon's call queues: waiting callers and agent states.")

    @OptionGroup var admin: AdminEndpointOptions

    @Flag(name: .long, help: "Print the JSON document as the daemon sent it.")
    var json = false

    func run() throws {
        let endpoint = try admin.endpoint()
        let url = try endpoint.url("/queues")
        let data = try endpoint.request("GET", "/queues")
        if json {
            FileHandle.standardOutput.write(data)
            return
        }
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let queues = document["queues"] as? [[String: Any]] else {
            throw ValidationError("unexpected answer from \(url)")
        }
        if queues.isEmpty { print("no queue has been used since the daemon started") }
        for queue in queues {
            let waiting = queue["waiting"] as? [[String: Any]] ?? []
            let agents = queue["agents"] as? [[String: Any]] ?? []
            print("\(queue["account"] ?? "?")/\(queue["plan"] ?? "?") (\(queue["strategy"] ?? "?")): "
                  + "\(waiting.count) waiting, answered \(queue["answered"] ?? 0), timed out \(queue["timed_out"] ?? 0), "
                  + "abandoned \(queue["abandoned"] ?? 0)")
            for caller in waiting {
                let waited = (caller["waited_seconds"] as? Double).map { String(format: "%.0fs", $0) } ?? "?"
                print("  waiting  #\(caller["position"] ?? "?")  \(caller["caller"] ?? "?")  for \(waited)")
            }
            for agent in agents {
                print("  agent    \(agent["target"] ?? "?")  \(agent["state"] ?? "?")  calls \(agent["calls_taken"] ?? 0)")
            }
        }
    }
}
