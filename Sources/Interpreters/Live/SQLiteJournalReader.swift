import Effects
import Foundation

/// What `journal export` reads: one stream's rows, and the streams an id may be under.
public protocol JournalReading {
    /// Every row of one stream, in write order.
    func rows(stream: String) throws -> [JournalRow]
    /// The streams named `prefix + anything + ":" + suffix` — how the host namespaces ids by account
    /// ("conversation:<account>:<id>"), so an id can be found without its account.
    func streams(prefix: String, endingWith suffix: String) throws -> [String]
}

/// Reads the journal of a `SQLiteStore` file without writing to it: a read-only connection, no
/// migrations, no schema changes — safe to run beside a serving process (WAL lets it read a
/// consistent snapshot while the server writes).
public final class SQLiteJournalReader: JournalReading {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case noDatabase(path: String)
        case notACalendlyActionDatabase(path: String)
        case schemaTooNew(found: Int, supported: Int)

        public var description: String {
            switch self {
            case .noDatabase(let path): return "no database at \(path) (pass --data-dir where `serve` keeps its data)"
            case .notACalendlyActionDatabase(let path): return "\(path) is not a calendly-action database"
            case .schemaTooNew(let found, let supported):
                return "database schema version \(found) is newer than this build reads (\(supported)); use a newer calendly-action"
            }
        }
    }

    let db: Database

    public init(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw Failure.noDatabase(path: path) }
        db = try Database(path: path, readOnly: true)
        let hasVersion = try db.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'") ?? 0
        guard hasVersion == 1, let version = try db.scalarInt("SELECT version FROM schema_version WHERE id = 1") else {
            throw Failure.notACalendlyActionDatabase(path: path)
        }
        guard version <= SQLiteSchema.currentVersion else { throw Failure.schemaTooNew(found: Int(version), supported: SQLiteSchema.currentVersion) }
    }

    /// Every row of one stream, in write order.
    public func rows(stream: String) throws -> [JournalRow] {
        try db.rows("SELECT seq, stream, at_ms, kind, payload FROM journal WHERE stream = ? ORDER BY seq", [.text(stream)]) {
            JournalRow(seq: $0.int64(0), stream: $0.text(1) ?? "", at: Instant(millisecondsSince1970: $0.int64(2)), kind: $0.text(3) ?? "",
                       payload: $0.text(4) ?? "")
        }
    }

    /// The streams named `prefix + anything + ":" + suffix` — how the host namespaces ids by account
    /// ("conversation:<account>:<id>"), so an id can be found without its account.
    public func streams(prefix: String, endingWith suffix: String) throws -> [String] {
        // Filtered in Swift: LIKE would treat '%' and '_' inside ids as wildcards.
        try db.rows("SELECT DISTINCT stream FROM journal WHERE substr(stream, 1, ?) = ?", [.integer(Int64(prefix.unicodeScalars.count)), .text(prefix)]) {
            $0.text(0) ?? ""
        }.filter { $0.hasSuffix(":" + suffix) && $0.count > prefix.count + suffix.count + 1 }.sorted()
    }
}
