/// Resolves a target's host name to IP addresses without blocking the event loop.
/// `completion` must be called on the engine's event loop, with an empty list on failure.
public protocol HostResolver: AnyObject {
    func resolve(_ host: String, _ completion: @escaping ([String]) -> Void)
}
