import Foundation
import Postgres

/// Google Ads offline conversion files for calls attributed to an ad click
/// (`switchboard export google-ads-calls`, docs/tracking.md). Two layouts, as Google's
/// import templates have them, both led by a `Parameters:TimeZone=` row so the times carry
/// no offset of their own:
///
/// * `click` (default): `Google Click ID,Conversion Name,Conversion Time,Conversion Value,
///   Conversion Currency` — the call is a conversion of the click (gclid) that brought the
///   visitor whose session held the number. This is the one that works for website pools.
/// * `caller`: `Caller's Phone Number,Call Start Time,Conversion Name,Conversion Time,
///   Conversion Value,Conversion Currency` — Google matches the caller id to its own call
///   records (calls from ads and Google forwarding numbers), for calls whose session came
///   from a Google click (gclid, gbraid or wbraid).
///
/// The conversion time is the call's end (when it was a call of that length), in
/// `yyyy-MM-dd HH:mm:ss` of the time zone given. Only finished calls are exported.
public struct GoogleAdsExport: Sendable {
    public enum Layout: String, Sendable, CaseIterable { case click, caller }

    public var account: String
    /// ISO 8601 or `YYYY-MM-DD` (PostgreSQL reads either), inclusive.
    public var since: String
    /// Exclusive; nil: now.
    public var until: String?
    public var layout: Layout = .click
    public var conversionName: String = "Phone call from website"
    /// `Conversion Value` text, already validated (non-negative decimal), or nil for none.
    public var value: String?
    /// ISO 4217 code, or nil.
    public var currency: String?
    /// IANA zone of the Google Ads account.
    public var timeZone: String = "UTC"
    /// Calls with less talk time (answer to end) are not conversions. 0: every call.
    public var minimumTalkSeconds: Int = 0

    public init(account: String, since: String) {
        self.account = account
        self.since = since
    }

    public struct Row: Sendable, Equatable {
        public var clickID: String?
        public var callerNumber: String?
        public var callStart: String
        public var conversionTime: String
    }

    public var header: [String] {
        switch layout {
        case .click: ["Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"]
        case .caller: ["Caller's Phone Number", "Call Start Time", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"]
        }
    }

    /// The qualifying calls, oldest first. Times are formatted by PostgreSQL in `timeZone`
    /// (an unknown zone is its error, passed on).
    public func rows(connection: PostgresConnection) throws -> [Row] {
        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("COMMIT") }
        _ = try connection.execute("SELECT set_config('TimeZone', $1, true)", [timeZone])
        let kinds = layout == .click ? "{gclid}" : "{gclid,gbraid,wbraid}"
        return try connection.execute("""
        SELECT a.click_id, a.caller_number,
               to_char(a.started_at, 'YYYY-MM-DD HH24:MI:SS'), to_char(a.ended_at, 'YYYY-MM-DD HH24:MI:SS')
        FROM call_attribution a
        CROSS JOIN LATERAL (
            SELECT min(l.answered_at) FILTER (WHERE l.direction = 'outbound') AS answered_at
            FROM call_legs l WHERE l.call_id = a.call_id) legs
        WHERE a.account = $1 AND a.started_at >= $2::timestamptz AND a.started_at < COALESCE($3::timestamptz, now())
          AND a.attribution = 'attributed' AND a.click_id_kind = ANY($4::text[]) AND a.ended_at IS NOT NULL
          AND ($5::int = 0 OR (legs.answered_at IS NOT NULL AND extract(epoch FROM a.ended_at - legs.answered_at) >= $5::int))
          AND ($6::boolean IS FALSE OR a.caller_number LIKE '+%')
        ORDER BY a.started_at, a.call_id
        """, [account, since, until, kinds, String(minimumTalkSeconds), layout == .caller ? "true" : "false"]).rows.map { r in
            Row(clickID: r[0], callerNumber: r[1], callStart: r[2] ?? "", conversionTime: r[3] ?? "")
        }
    }

    /// The whole file (CRLF line ends, as spreadsheet CSV; fields quoted when they must be).
    public func csv(_ rows: [Row]) -> String {
        var lines = ["Parameters:TimeZone=\(timeZone)", header.map(Self.field).joined(separator: ",")]
        for row in rows {
            let tail = [conversionName, row.conversionTime, value ?? "", currency ?? ""]
            let fields = layout == .click ? [row.clickID ?? ""] + tail : [row.callerNumber ?? "", row.callStart] + tail
            lines.append(fields.map(Self.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 4180: quote a field holding a comma, quote, CR or LF; double inner quotes.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
