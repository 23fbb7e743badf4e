import Dialplan
import Foundation
import Logging
import Media
import NIOCore

/// What the engine needs to anchor media for IVR and queue calls (design.md "Call engine
/// rules"): where RTP sessions live, the loop the engine itself runs on (every session
/// callback is hopped back to it), the port pool, the prompts loaded off the loop, and the
/// address our SDP advertises.
///
/// RTP sessions run on their own loops, not the engine's: a 20 ms packet clock must not wait
/// behind a burst of INVITEs being parsed and routed (bench/README.md "IVR calls end to
/// end"). Both sessions of one call share a loop, so the relay between them never hops.
public struct MediaServices: Sendable {
    /// The engine's loop: session callbacks (digits, prompt completions, media timeouts) run here.
    public var eventLoop: any EventLoop
    /// Loops RTP sessions are placed on, one per call, round-robin.
    public var sessionLoops: any EventLoopGroup
    public var pool: MediaPortPool
    public var prompts: PromptCache
    /// Address RTP sockets bind to and our SDP names.
    public var address: String
    /// No RTP from an IVR or bridged leg for this long ends the call with BYE both ways.
    public var timeout: TimeAmount

    /// Sessions on `sessionLoops`; callbacks hopped to `eventLoop` (the engine's).
    public init(eventLoop: any EventLoop, sessionLoops: any EventLoopGroup, pool: MediaPortPool, prompts: PromptCache,
                address: String, timeout: TimeAmount = .seconds(60)) {
        self.eventLoop = eventLoop
        self.sessionLoops = sessionLoops
        self.pool = pool
        self.prompts = prompts
        self.address = address
        self.timeout = timeout
    }
}

/// Prompts and hold music of every dialplan, decoded once. `preload` reads files (blocking):
/// call it at start-up and after a reload, never on an event loop; lookups are cheap.
public final class PromptCache: @unchecked Sendable {
    private let lock = NSLock()
    private var prompts: [String: Prompt] = [:]

    public init() {}

    /// Loads every prompt, invalid-input prompt, hold music and position sound the table's plans name. Files
    /// that cannot be read are reported and left out (the call plays silence there).
    @discardableResult
    public func preload(table: DialplanTable) -> [String: PromptError] {
        var paths = Set<String>()
        for account in table.accounts.values {
            for plan in account.plans.values {
                switch plan.kind {
                case .ivr(let ivr):
                    paths.insert(ivr.prompt)
                    if let p = ivr.invalidPrompt { paths.insert(p) }
                case .queue(let queue):
                    if let p = queue.holdMusic { paths.insert(p) }
                    paths.formUnion(queue.announcePosition?.paths ?? [])
                default: break
                }
            }
        }
        var loaded: [String: Prompt] = [:]
        var errors: [String: PromptError] = [:]
        for path in paths {
            do { loaded[path] = try Prompt.load(path: path) } catch { errors[path] = error }
        }
        lock.withLock { prompts = loaded }
        return errors
    }

    public func insert(_ prompt: Prompt, path: String) { lock.withLock { prompts[path] = prompt } }

    public func prompt(_ path: String) -> Prompt? { lock.withLock { prompts[path] } }

    public var count: Int { lock.withLock { prompts.count } }
}

extension Prompt {
    /// North American ringback (440 + 480 Hz, 2 s on, 4 s off), generated in memory: what a
    /// caller whose media we anchor hears while the chosen plan's legs ring.
    public static let ringback: Prompt = {
        let on = 2 * Prompt.sampleRate, total = 6 * Prompt.sampleRate
        var samples = [Int16](repeating: 0, count: total)
        for i in 0..<on {
            let t = Double(i) / Double(Prompt.sampleRate)
            let v = 0.25 * sin(2 * .pi * 440 * t) + 0.25 * sin(2 * .pi * 480 * t)
            samples[i] = Int16(v * 16000)
        }
        return Prompt(name: "ringback", samples: samples)
    }()
}

/// Carries loop-confined references into the `@Sendable` callbacks of NIO and the media
/// sessions. Sound only because those callbacks run on the engine's event loop (checked).
struct LoopBound<Value>: @unchecked Sendable {
    let value: Value
    let eventLoop: any EventLoop

    func run(_ body: @escaping (Value) -> Void) {
        if eventLoop.inEventLoop { body(value) } else {
            let me = self
            eventLoop.execute { body(me.value) }
        }
    }
}
