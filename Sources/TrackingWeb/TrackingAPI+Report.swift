import Foundation
import HTTPTypes
import Hummingbird
import LegStore
import NIOCore
import Tracking

extension TrackingAPI {
    /// `GET /v1/admin/report?account=A[&since=YYYY-MM-DD][&until=YYYY-MM-DD][&timezone=Z]`:
    /// the HTML report (admin token). Days are [since, until) in the zone; default the last
    /// 30 days in UTC; at most 366 days.
    func report(_ request: Request, context: WebRequestContext) async throws -> Response {
        try requireAdmin(request)
        let query = request.uri.queryParameters
        guard let account = query["account"].map(String.init), !account.isEmpty else {
            throw APIError(.badRequest, "account is missing (?account=NAME)")
        }
        guard pools.pools[account] != nil || configuration.accounts[account] != nil else {
            throw APIError(.notFound, "unknown account \(account)")
        }
        let zoneName = query["timezone"].map(String.init) ?? "UTC"
        guard zoneName.count <= 64, let zone = TimeZone(identifier: zoneName) else {
            throw APIError(.badRequest, "timezone must be an IANA name such as America/New_York")
        }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = zone
        day.dateFormat = "yyyy-MM-dd"
        func parse(_ name: String) throws -> Date? {
            guard let text = query[Substring(name)] else { return nil }
            guard text.count == 10, let d = day.date(from: String(text)) else { throw APIError(.badRequest, "\(name) must be a date YYYY-MM-DD") }
            return d
        }
        let untilDate = try parse("until") ?? day.date(from: day.string(from: Date().addingTimeInterval(86_400)))!
        let sinceDate = try parse("since") ?? untilDate.addingTimeInterval(-30 * 86_400)
        guard sinceDate < untilDate else { throw APIError(.badRequest, "since must be before until") }
        guard untilDate.timeIntervalSince(sinceDate) <= 366 * 86_400 else { throw APIError(.badRequest, "at most 366 days per report") }
        let iso = ISO8601DateFormatter()
        var report = CallReport(account: account, since: iso.string(from: sinceDate), until: iso.string(from: untilDate), dimension: .day)
        report.timeZone = zoneName
        let r = report
        let (daily, status) = try await database.withStore { store in
            (try r.daily(connection: store.connection), try store.poolStatus().filter { $0.account == account })
        }
        let page = ReportPage(account: account, since: day.string(from: sinceDate),
                              until: day.string(from: untilDate.addingTimeInterval(-1)), daily: daily, pools: status)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Nothing but the page itself: no script, no fetches, inline styles only.
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.html())))
    }
}
