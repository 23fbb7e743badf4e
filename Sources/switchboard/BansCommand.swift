import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SwitchboardConfig

/// `switchboard bans`: the addresses the running daemon has banned for flooding (`GET /bans`
/// on the `metrics:` address), and `--lift ADDRESS` to end one early (`DELETE /bans/ADDRESS`).
struct BansCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bans",
        abstract: "List the sources the running daemon banned for flooding, or lift a ban.")

    @Option(name: .long, help: "The daemon's metrics address host:port (default: the config file's, else 127.0.0.1:9090).")
    var metrics: String?

    @Option(name: .long, help: "Daemon config file, to find its metrics address.")
    var config: String?

    @Option(name: .long, help: "Lift the ban on this IP address.")
    var lift: String?

    @Flag(name: .long, help: "Print the JSON document as the daemon sent it.")
    var json = false

    func run() throws {
        var address = metrics ?? "127.0.0.1:9090"
        if metrics == nil, let config, let settings = try? SwitchboardConfiguration.load(path: config), let endpoint = settings.metrics {
            address = endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
        }
        if let lift {
            let escaped = lift.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-"))) ?? lift
            guard let url = URL(string: "http://\(address)/bans/\(escaped)") else { throw ValidationError("bad address \(address)") }
            let (status, body) = try Self.request(url, method: "DELETE")
            guard status == 200 else { throw ValidationError(String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
            print("lifted the ban on \(lift)")
            return
        }
        guard let url = URL(string: "http://\(address)/bans") else { throw ValidationError("bad address \(address)") }
        let (status, data) = try Self.request(url, method: "GET")
        guard status == 200 else { throw ValidationError("\(url) answered \(status)") }
        if json {
            FileHandle.standardOutput.write(data)
            return
        }
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let bans = document["bans"] as? [[String: Any]] else {
            throw ValidationError("unexpected answer from \(url)")
        }
        if bans.isEmpty { print("no source is banned") }
        for ban in bans {
            print("\(ban["address"] ?? "?")  \(ban["remaining_seconds"] ?? "?")s left  \(ban["dropped_requests"] ?? 0) requests dropped")
        }
    }

    static func request(_ url: URL, method: String) throws -> (Int, Data) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(Int, Data), any Error> = .failure(ValidationError("no answer from \(url)"))
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                outcome = .failure(ValidationError("cannot reach the daemon at \(url): \(error.localizedDescription)"))
            } else {
                outcome = .success(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            }
            semaphore.signal()
        }
        task.resume()
        if semaphore.wait(timeout: .now() + 5) == .timedOut { throw ValidationError("no answer from \(url) in 5 s") }
        return try outcome.get()
    }
}
