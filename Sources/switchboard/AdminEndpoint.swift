import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SwitchboardConfig

/// The running daemon's admin/metrics endpoint as the CLI reaches it: the address from
/// `--metrics`, else the config file's `metrics:`, else 127.0.0.1:9090; the bearer token from
/// `--token-file`, else the config file's `admin-token-file`. Shared by every subcommand that
/// reads the daemon's live state.
struct AdminEndpointOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's metrics address host:port (default: the config file's, else 127.0.0.1:9090).")
    var metrics: String?

    @Option(name: .long, help: "Daemon config file, to find its metrics address and admin-token-file.")
    var config: String?

    @Option(name: .long, help: "File holding the admin endpoint's bearer token (default: the config file's admin-token-file).")
    var tokenFile: String?

    func endpoint() throws -> AdminEndpoint {
        var address = metrics ?? "127.0.0.1:9090"
        var token: AdminToken?
        if let config {
            let settings = try ConfigurationFile.load(config)
            if metrics == nil, let endpoint = settings.metrics { address = endpoint.description }
            token = settings.adminToken
        }
        if let tokenFile {
            switch AdminToken.read(path: tokenFile) {
            case .success(let t): token = t
            case .failure(let error): throw ValidationError(error.message)
            }
        }
        return AdminEndpoint(address: address, token: token)
    }
}

struct AdminEndpoint {
    let address: String
    let token: AdminToken?

    func url(_ path: String) throws -> URL {
        guard let url = URL(string: "http://\(address)\(path)") else { throw ValidationError("bad address \(address)") }
        return url
    }

    /// One request, answered within 5 s; anything but 2xx is an error naming the status and
    /// the daemon's one-line reason.
    func request(_ method: String, _ path: String) throws -> Data {
        let url = try url(path)
        var request = URLRequest(url: url, timeoutInterval: 5)
        request.httpMethod = method
        if let token { request.setValue(token.authorizationHeader, forHTTPHeaderField: "Authorization") }
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<Data, any Error> = .failure(ValidationError("no answer from \(url)"))
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                outcome = .failure(ValidationError("cannot reach the daemon at \(url): \(error.localizedDescription)"))
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                let reason = data.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
                let hint = http.statusCode == 401 && token == nil ? " (give --token-file or --config)" : ""
                outcome = .failure(ValidationError("\(url) answered \(http.statusCode)\(reason.isEmpty ? "" : ": \(reason)")\(hint)"))
            } else {
                outcome = .success(data ?? Data())
            }
            semaphore.signal()
        }
        task.resume()
        if semaphore.wait(timeout: .now() + 6) == .timedOut {
            task.cancel()
            throw ValidationError("no answer from \(url) in 5 s")
        }
        return try outcome.get()
    }
}
