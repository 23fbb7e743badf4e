import ArgumentParser
import AdminAPI
import Foundation

/// `switchboard bans`: the addresses the running daemon has banned for flooding (`GET /bans`
/// on the `metrics:` address), and `--lift ADDRESS` to end one early (`DELETE /bans/ADDRESS`,
/// which needs the admin token when one is configured).
struct BansCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bans",
        abstract: "List the sources the running daemon banned for flooding, or lift a ban.")

    @OptionGroup var admin: AdminEndpointOptions

    @Option(name: .long, help: "Lift the ban on this IP address.")
    var lift: String?

    @Flag(name: .long, help: "Print the JSON document as the daemon sent it.")
    var json = false

    func run() throws {
        let endpoint = try admin.endpoint()
        if let lift {
            let escaped = lift.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-"))) ?? lift
            _ = try endpoint.request("DELETE", "/bans/\(escaped)")
            print("lifted the ban on \(lift)")
            return
        }
        let url = try endpoint.url("/bans")
        let data = try endpoint.request("GET", "/bans")
        if json {
            FileHandle.standardOutput.write(data)
            return
        }
        guard let document = try? AdminDocumentCoding.decode(BanDocument.self, from: data) else {
            throw ValidationError("unexpected answer from \(url)")
        }
        if document.bans.isEmpty { print("no source is banned") }
        for ban in document.bans {
            print("\(ban.address)  \(ban.remainingSeconds)s left  \(ban.droppedRequests) requests dropped")
        }
    }
}
