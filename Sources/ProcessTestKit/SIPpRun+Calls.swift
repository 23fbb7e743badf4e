import SIPTestKit

extension SIPpRun {
    /// A callee (UAS) waiting on its own port for `calls` calls.
    public static func callee(_ scenario: String, calls: Int, keys: [String: String] = [:], timeout: Int = 30) -> SIPpRun {
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
    public static func caller(_ scenario: String = "caller.xml", daemon: DaemonProcess, number: String = "+13125550100",
                              calls: Int, rate: Int = 10, keys: [String: String] = [:], timeout: Int = 30) -> SIPpRun {
        var run = SIPpRun(scenario: scenarioPath(scenario), target: "127.0.0.1:\(daemon.port)", calls: calls, rate: rate,
                          timeoutSeconds: timeout)
        run.extraArguments += ["-s", number]
        run.traceMessages = true
        for (k, v) in keys { run.extraArguments += ["-key", k, v] }
        return run
    }
}
