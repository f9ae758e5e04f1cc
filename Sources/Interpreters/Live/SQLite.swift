import CSQLite
import Foundation

/// SQLITE_TRANSIENT is a C macro (`(sqlite3_destructor_type)-1`) that Swift cannot import: SQLite copies
/// the bound bytes before `bind` returns.
let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A failed SQLite call. Carries SQLite's own message and what was being done — never a bound value
/// (every statement binds its values as parameters, so SQL text holds none either).
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code (`SQLITE_BUSY` = 5, `SQLITE_CONSTRAINT_PRIMARYKEY` = 1555, …).
    public let code: Int32
    public let message: String
    /// What the wrapper was doing: "open", "prepare", "step", "bind", "execute", "commit", "migration 2", …
    public let operation: String

    public init(code: Int32, message: String, operation: String) {
        self.code = code; self.message = message; self.operation = operation
    }

    /// The primary result code (the low byte of the extended one).
    public var primaryCode: Int32 { code & 0xFF }
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    public var description: String { "SQLite error \(code) during \(operation): \(message)" }
}

/// A value bound to a statement parameter.
public enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case text(String)
    case blob(Data)
    case null

    public static func optional(_ value: String?) -> SQLValue { value.map(SQLValue.text) ?? .null }
    public static func optional(_ value: Int64?) -> SQLValue { value.map(SQLValue.integer) ?? .null }
}

/// One SQLite connection. Not thread-safe by itself (opened with `SQLITE_OPEN_NOMUTEX`): exactly one
/// owner uses it at a time (`SQLiteStore` keeps it behind a `Mutex`).
public final class Database {
    let handle: OpaquePointer
    /// Prepared statements keyed by their SQL, so hot statements are compiled once per connection.
    private var cache: [String: Statement] = [:]
    public static let defaultBusyTimeoutMilliseconds: Int32 = 5000

    /// `readOnly` opens an existing file without write access (never creating one), for tools that
    /// inspect a database a running server may be writing.
    public init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = Database.defaultBusyTimeoutMilliseconds) throws {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: message, operation: "open")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        cache.removeAll()  // finalizes every cached statement before the connection closes
        sqlite3_close_v2(handle)
    }

    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    func error(_ rc: Int32, _ operation: String) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : rc,
                    message: String(cString: sqlite3_errmsg(handle)), operation: operation)
    }

    /// Runs one or more statements without parameters (DDL, PRAGMAs, BEGIN/COMMIT).
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, operation: "execute")
        }
    }

    /// The cached statement for `sql`, reset and with its bindings cleared. Use it fully (or reset it)
    /// before preparing the same SQL again: the same object comes back.
    public func prepare(_ sql: String) throws -> Statement {
        if let statement = cache[sql] {
            statement.reset()
            return statement
        }
        var pointer: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard rc == SQLITE_OK, let pointer else { throw error(rc, "prepare") }
        let statement = Statement(handle: pointer, db: handle)
        cache[sql] = statement
        return statement
    }

    /// Number of distinct statements compiled so far (for tests of the cache).
    public var cachedStatementCount: Int { cache.count }

    /// Runs a statement to completion; returns the number of rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// Every row of a query, mapped while the statement is positioned on it.
    public func rows<Row>(_ sql: String, _ values: [SQLValue] = [], _ map: (Statement) throws -> Row) throws -> [Row] {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        var rows: [Row] = []
        while try statement.step() { rows.append(try map(statement)) }
        return rows
    }

    /// The first row of a query, if any.
    public func row<Row>(_ sql: String, _ values: [SQLValue] = [], _ map: (Statement) throws -> Row) throws -> Row? {
        let statement = try prepare(sql)
        defer { statement.reset() }
        try statement.bind(values)
        return try statement.step() ? try map(statement) : nil
    }

    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// BEGIN IMMEDIATE (takes the write lock up front, waiting up to the busy timeout) … COMMIT, or
    /// ROLLBACK when `body` throws or the commit fails. Transactions do not nest.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try begin()
        do {
            let value = try body()
            try commit()
            return value
        } catch {
            rollback()
            throw error
        }
    }

    /// BEGIN IMMEDIATE. Prefer `transaction`; these three are for callers that cannot pass a closure.
    public func begin() throws {
        guard !isInTransaction else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "a transaction is already open on this connection", operation: "begin")
        }
        do { try execute("BEGIN IMMEDIATE") } catch let failure as SQLiteError {
            throw SQLiteError(code: failure.code, message: failure.message, operation: "begin")
        }
    }

    /// COMMIT; on failure the transaction is rolled back before the error is thrown.
    public func commit() throws {
        do { try execute("COMMIT") } catch let failure as SQLiteError {
            rollback()
            throw SQLiteError(code: failure.code, message: failure.message, operation: "commit")
        }
    }

    /// ROLLBACK if a transaction is open (SQLite may already have rolled back itself, e.g. on SQLITE_FULL).
    public func rollback() {
        guard isInTransaction else { return }
        for statement in cache.values { statement.reset() }
        _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
    }

    /// The first column of the first row as text (PRAGMA answers).
    public func scalarText(_ sql: String) throws -> String? {
        try row(sql) { $0.text(0) } ?? nil
    }

    public func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws -> Int64? {
        try row(sql, values) { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
    }
}

/// A prepared statement owned by a `Database`'s cache. Parameters are 1-based, columns 0-based.
public final class Statement {
    let handle: OpaquePointer
    /// The connection, for error messages only (the statement never outlives its `Database`'s use).
    private let db: OpaquePointer

    init(handle: OpaquePointer, db: OpaquePointer) {
        self.handle = handle
        self.db = db
    }

    deinit { sqlite3_finalize(handle) }

    private func check(_ rc: Int32, _ operation: String) throws {
        guard rc == SQLITE_OK else {
            throw SQLiteError(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), operation: operation)
        }
    }

    public func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(handle, index, value), "bind")
    }

    public func bind(_ index: Int32, _ value: String) throws {
        try check(sqlite3_bind_text(handle, index, value, Int32(value.utf8.count), SQLITE_TRANSIENT), "bind")
    }

    public func bind(_ index: Int32, _ value: Data) throws {
        // An empty blob must stay a blob (a NULL pointer would store NULL).
        let rc = value.isEmpty ? sqlite3_bind_zeroblob(handle, index, 0) : value.withUnsafeBytes { buffer in
            sqlite3_bind_blob(handle, index, buffer.baseAddress, Int32(buffer.count), SQLITE_TRANSIENT)
        }
        try check(rc, "bind")
    }

    public func bindNull(_ index: Int32) throws {
        try check(sqlite3_bind_null(handle, index), "bind")
    }

    public func bind(_ index: Int32, _ value: SQLValue) throws {
        switch value {
        case .integer(let number): try bind(index, number)
        case .text(let text): try bind(index, text)
        case .blob(let data): try bind(index, data)
        case .null: try bindNull(index)
        }
    }

    /// Binds `values` to parameters 1…n; the count must match the statement's.
    public func bind(_ values: [SQLValue]) throws {
        guard values.count == Int(sqlite3_bind_parameter_count(handle)) else {
            throw SQLiteError(code: SQLITE_RANGE, message: "expected \(sqlite3_bind_parameter_count(handle)) parameters, got \(values.count)",
                              operation: "bind")
        }
        for (offset, value) in values.enumerated() { try bind(Int32(offset + 1), value) }
    }

    /// True when a row is available, false when the statement is done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let failure = SQLiteError(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), operation: "step")
            sqlite3_reset(handle)
            throw failure
        }
    }

    /// Makes the statement runnable again and drops its bindings.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// Text by byte count (not C-string), so embedded NULs round-trip.
    public func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Whether the column's text is exactly `other`'s UTF-8 bytes, compared in place (no String is made).
    public func textEquals(_ column: Int32, _ other: String) -> Bool {
        guard let pointer = sqlite3_column_text(handle, column) else { return false }
        let count = Int(sqlite3_column_bytes(handle, column))
        var other = other
        return other.withUTF8 { bytes in bytes.count == count && (count == 0 || memcmp(bytes.baseAddress!, pointer, count) == 0) }
    }

    public func blob(_ column: Int32) -> Data? {
        guard !isNull(column) else { return nil }
        let pointer = sqlite3_column_blob(handle, column)  // first the pointer, then its size (SQLite's rule)
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer else { return Data() }
        return Data(bytes: pointer, count: count)
    }
}
