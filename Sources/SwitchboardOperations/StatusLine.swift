import SIPTransport

/// The systemd `STATUS=` line (shown by `systemctl status`): "Ready: 3 calls in progress",
/// plus the last reload's failure while it stands and any listening socket that is down or
/// had to be reopened, so an operator sees trouble without reading the log.
public enum StatusLine {
    public static func text(head: String, calls: Int, reloads: ReloadStatus, transport: TransportStatistics) -> String {
        "\(head): \(calls) call\(calls == 1 ? "" : "s") in progress\(reloads.suffix)\(listenerSuffix(transport))"
    }

    /// "; 1 listening socket down" / "; listening sockets reopened 2 times".
    public static func listenerSuffix(_ s: TransportStatistics) -> String {
        var text = ""
        if s.listenersDown > 0 { text += "; \(s.listenersDown) listening socket\(s.listenersDown == 1 ? "" : "s") down" }
        if s.listenerReopens > 0 { text += "; listening sockets reopened \(s.listenerReopens) time\(s.listenerReopens == 1 ? "" : "s")" }
        return text
    }
}
