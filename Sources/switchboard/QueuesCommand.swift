import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import AdminAPI
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
        guard let document = try? AdminDocumentCoding.decode(QueueDocument.self, from: data) else {
            throw ValidationError("unexpected answer from \(url)")
        }
        if document.queues.isEmpty { print("no queue has been used since the daemon started") }
        for queue in document.queues {
            print("\(queue.account)/\(queue.plan) (\(queue.strategy)): "
                  + "\(queue.waiting.count) waiting, answered \(queue.answered), timed out \(queue.timedOut), "
                  + "abandoned \(queue.abandoned)")
            for caller in queue.waiting {
                print("  waiting  #\(caller.position)  \(caller.caller)  for \(String(format: "%.0fs", caller.waitedSeconds))")
            }
            for agent in queue.agents {
                print("  agent    \(agent.target)  \(agent.state)  calls \(agent.callsTaken)")
            }
        }
    }
}
