internal import CLibPQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One blocking libpq connection. This is the only file that sees a libpq type.
///
/// Not `Sendable` on purpose: every call blocks its thread, so a connection belongs to the
/// one thread that created it (the leg writer's own thread, or a CLI command), never to an
/// event loop.
public final class PostgresConnection {
    private var conn: OpaquePointer?

    /// Rows of one statement, every value in PostgreSQL's text form (nil for NULL).
    public struct Result: Sendable {
        public var columns: [String]
        public var rows: [[String?]]
        /// Rows inserted/updated/deleted/copied, as reported by the command tag.
        public var affectedRows: Int
    }

    /// - Parameter connectionString: a libpq conninfo ("host=… port=…") or URL
    ///   ("postgresql://…"). `connect_timeout` defaults to 5 s unless the string sets it, so a
    ///   dead host never hangs the caller for the kernel's TCP timeout.
    public init(_ connectionString: String, connectTimeout: Int = 5) throws {
        // The expanded dbname comes after the defaults so the caller's own values win.
        let keys = ["connect_timeout", "fallback_application_name", "dbname"]
        let values = [String(connectTimeout), "switchboard", connectionString]
        conn = withCStringArray(keys) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            close()
            throw PostgresError(kind: .connection, message: message.trimmed)
        }
        // Notices ("relation already exists, skipping") would go to stderr by default.
        _ = try execute("SET client_min_messages = warning")
    }

    deinit { close() }

    /// Closes the socket now; later calls throw `.connection`.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// False once the server went away (checked without a round trip).
    public var isHealthy: Bool { conn.map { PQstatus($0) == CONNECTION_OK } ?? false }

    /// Runs one statement with `$1…` text parameters (sent out of line: no quoting needed),
    /// or, without parameters, any number of statements.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?] = []) throws -> Result {
        let c = try live()
        // Without parameters use the simple protocol, which also accepts several statements
        // separated by semicolons (migrations).
        let res = parameters.isEmpty ? PQexec(c, sql) : withParameters(parameters) { count, values in
            PQexecParams(c, sql, count, nil, values, nil, nil, 0)
        }
        return try consume(res, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Parses and plans `sql` once on the server under `name` (per connection).
    public func prepare(_ name: String, _ sql: String) throws {
        let c = try live()
        _ = try consume(PQprepare(c, name, sql, 0, nil), expecting: [PGRES_COMMAND_OK])
    }

    @discardableResult
    public func executePrepared(_ name: String, _ parameters: [String?] = []) throws -> Result {
        let c = try live()
        let res = withParameters(parameters) { count, values in
            PQexecPrepared(c, name, count, values, nil, nil, 0)
        }
        return try consume(res, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// `COPY … FROM STDIN`: sends `data` (already in the COPY format the statement names).
    /// Returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8]) throws -> Int {
        let c = try live()
        _ = try consume(PQexec(c, sql), expecting: [PGRES_COPY_IN])
        var failure: String?
        // libpq copies what it needs; 256 KiB chunks keep each call's buffer bounded.
        var offset = 0
        while offset < data.count, failure == nil {
            let end = min(offset + 262_144, data.count)
            let sent = data[offset..<end].withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    PQputCopyData(c, $0, Int32(buf.count))
                }
            }
            if sent != 1 { failure = String(cString: PQerrorMessage(c)) }
            offset = end
        }
        if PQputCopyEnd(c, failure) != 1 {
            throw PostgresError(kind: .connection, message: String(cString: PQerrorMessage(c)).trimmed)
        }
        let result = try drainResults(c)
        if let failure { throw PostgresError(kind: .connection, message: failure.trimmed) }
        return result
    }

    /// `COPY … TO STDOUT`: hands each chunk (one row in text/CSV formats) to `chunk` as it
    /// arrives, so memory stays constant whatever the table size.
    @discardableResult
    public func copyOut(_ sql: String, chunk: ([UInt8]) throws -> Void) throws -> Int {
        let c = try live()
        _ = try consume(PQexec(c, sql), expecting: [PGRES_COPY_OUT])
        var callbackError: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(c, &buffer, 0)
            if n > 0, let buffer {
                if callbackError == nil {
                    let bytes = buffer.withMemoryRebound(to: UInt8.self, capacity: Int(n)) {
                        Array(UnsafeBufferPointer(start: $0, count: Int(n)))
                    }
                    do { try chunk(bytes) } catch { callbackError = error }
                }
                PQfreemem(buffer)
            } else if n == -1 {
                break  // done; the final status follows as a result
            } else {
                throw PostgresError(kind: .connection, message: String(cString: PQerrorMessage(c)).trimmed)
            }
        }
        let rows = try drainResults(c)
        if let callbackError { throw callbackError }
        return rows
    }

    // MARK: - Private

    private func live() throws -> OpaquePointer {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection closed") }
        return conn
    }

    /// Reads the results left after COPY until libpq returns NULL; throws the first error.
    private func drainResults(_ c: OpaquePointer) throws -> Int {
        var firstError: PostgresError?
        var rows = 0
        while let res = PQgetResult(c) {
            do { rows = try consume(res, expecting: [PGRES_COMMAND_OK]).affectedRows } catch let e as PostgresError {
                if firstError == nil { firstError = e }
            }
        }
        if let firstError { throw firstError }
        return rows
    }

    /// Converts a PGresult into `Result` and frees it, or throws with its SQLSTATE.
    private func consume(_ res: OpaquePointer?, expecting ok: [ExecStatusType]) throws -> Result {
        guard let res else {
            let message = conn.map { String(cString: PQerrorMessage($0)) } ?? "no connection"
            throw PostgresError(kind: .connection, message: message.trimmed)
        }
        defer { PQclear(res) }
        let status = PQresultStatus(res)
        guard ok.contains(status) else {
            let message = String(cString: PQresultErrorMessage(res)).trimmed
            let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            if status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR {
                let broken = conn.map { PQstatus($0) != CONNECTION_OK } ?? true
                throw PostgresError(kind: broken && state == nil ? .connection : .query, sqlState: state,
                                    message: message.isEmpty ? "fatal error" : message)
            }
            throw PostgresError(kind: .protocolViolation, sqlState: state,
                                message: "unexpected result status \(String(cString: PQresStatus(status)))")
        }
        // COPY results report field counts but have no names or values.
        let hasRows = status == PGRES_TUPLES_OK
        let nrows = hasRows ? Int(PQntuples(res)) : 0, ncols = hasRows ? Int(PQnfields(res)) : 0
        var columns: [String] = []
        columns.reserveCapacity(ncols)
        for j in 0..<ncols { columns.append(PQfname(res, Int32(j)).map { String(cString: $0) } ?? "") }
        var rows: [[String?]] = []
        rows.reserveCapacity(nrows)
        for i in 0..<nrows {
            var row: [String?] = []
            row.reserveCapacity(ncols)
            for j in 0..<ncols {
                if PQgetisnull(res, Int32(i), Int32(j)) == 1 { row.append(nil) }
                else { row.append(String(cString: PQgetvalue(res, Int32(i), Int32(j)))) }
            }
            rows.append(row)
        }
        let affected = Int(String(cString: PQcmdTuples(res))) ?? 0
        return Result(columns: columns, rows: rows, affectedRows: affected)
    }
}

/// Gives libpq `const char *const *` arrays built from Swift strings (nil → SQL NULL).
private func withParameters<R>(_ params: [String?], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = params.map { $0.map { strdup($0) } ?? nil }
    defer { owned.forEach { free($0) } }
    return owned.withUnsafeMutableBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buf.count, 1)) {
            body(Int32(params.count), params.isEmpty ? nil : UnsafePointer($0))
        }
    }
}

/// A NULL-terminated array of C strings for PQconnectdbParams.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { owned.forEach { free($0) } }
    return owned.withUnsafeMutableBufferPointer { buf in
        buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buf.count) { body(UnsafePointer($0)) }
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == " " || last == "\r" { s.removeLast() }
        return String(s)
    }
}
