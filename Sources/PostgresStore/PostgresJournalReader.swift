import Effects
import Interpreters
import Logging

/// Reads the journal on PostgreSQL (`journal export` when `DATABASE_URL` is set) without writing: it
/// connects without migrating (`PostgresStore.reading`), so an export beside live hosts changes nothing.
public final class PostgresJournalReader: JournalReading {
    let store: PostgresStore

    public init(url: DatabaseURL, schema: String = "public", logger: Logger = Logger(label: "calendly-action.journal")) throws {
        store = try PostgresStore.reading(url: url, schema: schema, logger: logger)
    }

    public func rows(stream: String) throws -> [JournalRow] {
        try store.transaction { tx in
            try tx.session.rows("SELECT seq, stream, at_ms, kind, payload FROM journal WHERE stream = $1 ORDER BY seq", [.text(stream)],
                                operation: "journal rows").map {
                JournalRow(seq: try $0.int64(0), stream: try $0.text(1), at: Instant(millisecondsSince1970: try $0.int64(2)),
                           kind: try $0.text(3), payload: try $0.text(4))
            }
        }
    }

    public func streams(prefix: String, endingWith suffix: String) throws -> [String] {
        // starts_with, not LIKE: '%' and '_' inside ids are not wildcards.
        try store.transaction { tx in
            try tx.session.rows("SELECT DISTINCT stream FROM journal WHERE starts_with(stream, $1)", [.text(prefix)], operation: "journal streams")
                .map { try $0.text(0) }
        }.filter { $0.hasSuffix(":" + suffix) && $0.count > prefix.count + suffix.count + 1 }.sorted()
    }
}
