import PostgresNIO

/// Problems of the PostgreSQL store. Every case is safe to log: no bound value, no row content, no
/// connection password — a server error keeps its SQLSTATE and the operation only (the server's message
/// can quote a conflicting key, which may be an email).
public enum PostgresStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The database was migrated by a newer build; this one refuses to touch it.
    case schemaTooNew(found: Int, supported: Int)
    /// Opened to read only, but no calendly-action schema is there yet (nothing migrated it).
    case notMigrated
    /// Migrations must be numbered 1, 2, 3, … without gaps.
    case invalidMigrationList
    /// A stored row could not be decoded. Names the table and the row's id only.
    case undecodableRow(table: String, id: String)
    /// The server refused a statement (SQLSTATE, e.g. 40P01 deadlock, 23505 unique violation).
    case server(sqlState: String, operation: String)
    /// The connection could not be made or was lost (postgres-nio's error code, never its details).
    case connection(String)
    /// `transaction` was called on one of the store's own event-loop threads, which would wait for itself.
    case wrongThread
    /// A Swift string with a NUL character: PostgreSQL TEXT cannot hold it (SQLite can).
    case nulInText(operation: String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let supported):
            return "database schema version \(found) is newer than this build supports (\(supported))"
        case .notMigrated: return "no calendly-action schema in this database (run `calendly-action migrate`, or start a host, first)"
        case .invalidMigrationList: return "schema migrations must be numbered 1, 2, 3, … without gaps"
        case .undecodableRow(let table, let id): return "undecodable row in \(table) (id \(id.prefix(200)))"
        case .server(let state, let operation): return "PostgreSQL error \(state) in \(operation)"
        case .connection(let code): return "PostgreSQL connection failed (\(code))"
        case .wrongThread: return "PostgresStore.transaction called on the store's own event loop"
        case .nulInText(let operation): return "a NUL character cannot be stored in PostgreSQL text (\(operation))"
        }
    }

    /// SQLSTATEs after which the whole transaction may simply run again: serialization failure, deadlock.
    var isRetryable: Bool {
        switch self {
        case .server(let state, _): return state == "40001" || state == "40P01"
        case .schemaTooNew, .notMigrated, .invalidMigrationList, .undecodableRow, .connection, .wrongThread, .nulInText: return false
        }
    }

    /// Whether the connection that saw this error can still be used for the next transaction.
    var leavesConnectionUsable: Bool {
        switch self {
        case .server, .undecodableRow, .nulInText, .schemaTooNew, .notMigrated, .invalidMigrationList: return true
        case .connection, .wrongThread: return false
        }
    }

    /// postgres-nio's error reduced to what may be logged.
    static func wrap(_ error: any Error, operation: String) -> PostgresStoreError {
        if let mine = error as? PostgresStoreError { return mine }
        if let psql = error as? PSQLError {
            if let state = psql.serverInfo?[.sqlState] { return .server(sqlState: state, operation: operation) }
            return .connection(psql.code.description)
        }
        return .connection(String(describing: type(of: error)))
    }
}
