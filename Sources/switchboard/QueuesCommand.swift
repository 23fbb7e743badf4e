import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SwitchboardConfig

/// `switchboard queues`: the running daemon's queues (waiting callers, agents and their
/// state), read from its status endpoint (`GET /queues` on the `metrics:` address).
struct QueuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queues",
        abstract: "Show the running daemon's call queues: waiting callers and agent states.")

    @Option(name: .long, help: "The daemon's metrics address host:port (default: the config file's, else 127.0.0.1:9090).")
    var metrics: String?

    @Option(name: .long, help: "Daemon config file, to find its metrics address.")
    var config: String?

    @Flag(name: .long, help: "Print the JSON document as the daemon sent it.")
    var json = false

    func run() throws {
        var address = metrics ?? "127.0.0.1:9090"
        if metrics == nil, let config, let settings = try? SwitchboardConfiguration.load(path: config), let endpoint = settings.metrics {
            address = endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
        }
        guard let url = URL(string: "http://\(address)/queues") else { throw ValidationError("bad address \(address)") }
        let data = try Self.get(url)
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

    static func get(_ url: URL) throws -> Data {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<Data, any Error> = .failure(ValidationError("no answer from \(url)"))
        let task = URLSession.shared.dataTask(with: url) { data, response, error in
            if let error {
                outcome = .failure(ValidationError("cannot reach the daemon at \(url): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                outcome = .failure(ValidationError("\(url) answered \(http.statusCode)"))
            } else {
                outcome = .success(data ?? Data())
            }
            semaphore.signal()
        }
        task.resume()
        if semaphore.wait(timeout: .now() + 5) == .timedOut { throw ValidationError("no answer from \(url) in 5 s") }
        return try outcome.get()
    }
}
