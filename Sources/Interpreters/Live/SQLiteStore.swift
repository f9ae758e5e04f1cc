import Core
import Effects
import Foundation
import Synchronization

/// The production `TransactionalStore`: one SQLite file in WAL mode, one `BEGIN IMMEDIATE` transaction
/// per runtime step. Every committed step survives kill -9 (`synchronous=NORMAL`: the WAL is in the
/// OS before COMMIT returns). A step after which something irreversible happens outside — a Calendly
/// call that changes Calendly — also survives power loss: it asks for a synced commit, and the store
/// fsyncs the WAL (which covers every earlier step) before the effect runs. Other steps skip the
/// fsync; what an OS crash could take from them, recovery and reconciliation redo.
///
/// One connection per store instance, guarded by a `Mutex`; several instances (or processes) may open
/// the same file — SQLite's write lock serializes them, waiting up to the busy timeout.
public final class SQLiteStore: TransactionalStore, Sendable {
    public typealias Transaction = SQLiteTransaction

    public let path: String
    let session: Mutex<SQLiteSession>
    /// Callers waiting for the next group-commit batch (SQLiteGroupCommit.swift).
    let groupQueue = Mutex(SQLiteGroupQueue())
    /// Where group-commit batches run (one at a time, off the concurrency pool: a batch waits in fsync).
    let groupThread = DispatchQueue(label: "calendly-action.sqlite.group-commit")
    public let counters = SQLiteStoreCounters()

    /// Opens (creating if needed) and migrates the database at `path`; ":memory:" for a private one.
    public convenience init(path: String) throws {
        try self.init(path: path, migrations: SQLiteSchema.migrations)
    }

    /// Opens with an explicit migration list (tests append a future version to prove upgrades work).
    init(path: String, migrations: [SQLiteSchema.Migration]) throws {
        let db = try Database(path: path)
        try SQLiteSchema.configure(db)
        try SQLiteSchema.migrate(db, migrations)
        self.path = path
        self.session = Mutex(SQLiteSession(db: db))
    }

    /// Runs `body` in one SQLite transaction: everything it wrote commits together, or — when it throws,
    /// or when any statement inside failed — nothing does.
    public func transaction<T>(_ body: (inout SQLiteTransaction) throws -> T) throws -> T {
        try session.withLock { session in
            // Written without a nested closure so the connection never shares a region with `body`'s captures.
            try session.db.begin()
            session.failure = nil
            do {
                var transaction = SQLiteTransaction(session: session)
                let value = try body(&transaction)
                // A DurableState method cannot throw; its failure is kept and fails the whole step here.
                if let failure = session.failure { throw failure }
                try session.db.commit()
                let synced = session.syncRequested
                if synced {
                    session.syncRequested = false
                    try SQLiteSchema.syncBarrier(session.db)
                }
                counters.committed(fsynced: synced)
                return value
            } catch {
                session.failure = nil
                session.syncRequested = false
                if session.db.isInTransaction { session.db.rollback() }
                throw error
            }
        }
    }

    // MARK: Conveniences (each in its own transaction)

    public func schemaVersion() throws -> Int {
        try session.withLock { current in try SQLiteSchema.version(current.db) }
    }

    /// `PRAGMA integrity_check`: "ok" for a sound file.
    public func integrityCheck() throws -> String {
        try session.withLock { current in try current.db.rows("PRAGMA integrity_check") { $0.text(0) ?? "" }.joined(separator: "\n") }
    }

    /// A PRAGMA's value on this store's own connection (per-connection settings such as `synchronous`).
    func pragma(_ name: String) throws -> String? {
        try session.withLock { current in try current.db.scalarText("PRAGMA \(name)") }
    }

    public func analytics(agent: AgentID, from: CivilDate, to: CivilDate) throws -> Analytics {
        try transaction { try $0.analytics(agent: agent, from: from, to: to) }
    }

    /// For crash recovery: conversations that were waiting on Calendly when the process stopped.
    public func conversationIDsAwaitingCalendly() throws -> [ConversationID] {
        try transaction { try $0.conversationIDsAwaitingCalendly() }
    }
}

/// The connection and what a transaction shares with it. Only ever touched under the store's lock.
final class SQLiteSession {
    let db: Database
    let encoder: JSONEncoder
    let decoder = JSONDecoder()
    /// The first failure inside the current transaction (set by non-throwing `DurableState` methods).
    var failure: (any Error)?
    /// The current step must reach the disk before its effects run (see `SQLiteStore`).
    var syncRequested = false
    /// Aggregate states as last read or written here, to skip decoding an unchanged row.
    var states = SQLiteDecodedStates()

    init(db: Database) {
        self.db = db
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }
}

/// Problems of the store itself (SQLite's own errors are `SQLiteError`).
public enum SQLiteStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file was written by a newer build; this one refuses to touch it.
    case schemaTooNew(found: Int, supported: Int)
    /// Migrations must be numbered 1, 2, 3, … without gaps.
    case invalidMigrationList
    /// A stored row could not be decoded. Names the table and the row's id only, never its content.
    case undecodableRow(table: String, id: String)

    public var description: String {
        switch self {
        case .schemaTooNew(let found, let supported):
            return "database schema version \(found) is newer than this build supports (\(supported))"
        case .invalidMigrationList: return "schema migrations must be numbered 1, 2, 3, … without gaps"
        case .undecodableRow(let table, let id): return "undecodable row in \(table) (id \(id))"
        }
    }
}

/// The schema and its migrations. Version N is `migrations[N - 1]`; to change the schema, append a
/// migration — never edit one that has shipped.
public enum SQLiteSchema {
    public struct Migration: Sendable {
        public let version: Int
        public let statements: [String]
        public init(version: Int, statements: [String]) { self.version = version; self.statements = statements }
    }

    public static let migrations: [Migration] = [version1, version2, version3, version4, version5, version6, version7]
    public static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// Version 1. JSON columns are TEXT (STRICT tables only know INTEGER/REAL/TEXT/BLOB/ANY). There is no
    /// `event_type_cache` table: the `ActionConfig` state already embeds its event-type cache.
    static let version1 = Migration(version: 1, statements: [
        "CREATE TABLE connections(agent TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL) STRICT",
        "CREATE TABLE action_configs(agent TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL) STRICT",
        """
        CREATE TABLE conversations(id TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL, phase TEXT NOT NULL,
            awaits_calendly INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL) STRICT
        """,
        "CREATE INDEX conversations_awaiting_calendly ON conversations(id) WHERE awaits_calendly = 1",
        // `state` is the reference as JSON; the columns copy its fields for queries and audits.
        """
        CREATE TABLE booking_references(key TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            event_type TEXT NOT NULL, start_ms INTEGER NOT NULL, email TEXT, status TEXT NOT NULL,
            invitee TEXT, event TEXT, recorded_at_ms INTEGER NOT NULL, canceled_at_ms INTEGER) STRICT
        """,
        // The two lookup indexes of InMemoryStore, kept by the same algorithm (last put wins, an entry is
        // removed only by the reference it points to), so webhook matching is identical in both stores.
        // email_key is the lowercased email (Swift's Unicode lowercasing, as InMemoryStore matches).
        "CREATE TABLE reference_invitees(invitee TEXT PRIMARY KEY NOT NULL, key TEXT NOT NULL) STRICT",
        """
        CREATE TABLE reference_matches(event_type TEXT NOT NULL, start_ms INTEGER NOT NULL, email_key TEXT NOT NULL, key TEXT NOT NULL,
            PRIMARY KEY(event_type, start_ms, email_key)) STRICT, WITHOUT ROWID
        """,
        "CREATE INDEX booking_references_recorded ON booking_references(recorded_at_ms)",
        """
        CREATE TABLE booking_intents(key TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            event_type TEXT NOT NULL, start_ms INTEGER NOT NULL, recorded_at_ms INTEGER NOT NULL, outcome TEXT) STRICT
        """,
        """
        CREATE TABLE daily_aggregates(agent TEXT NOT NULL, day TEXT NOT NULL, offered INTEGER NOT NULL DEFAULT 0,
            created INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, canceled INTEGER NOT NULL DEFAULT 0,
            conflicts INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(agent, day)) STRICT, WITHOUT ROWID
        """,
        """
        CREATE TABLE failure_log(id INTEGER PRIMARY KEY, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            reason TEXT NOT NULL, at_ms INTEGER NOT NULL) STRICT
        """,
        "CREATE INDEX failure_log_at ON failure_log(at_ms)",
        "CREATE TABLE webhook_deliveries(delivery_id TEXT PRIMARY KEY NOT NULL, seen_at_ms INTEGER NOT NULL) STRICT",
        "CREATE INDEX webhook_deliveries_seen ON webhook_deliveries(seen_at_ms)",
        """
        CREATE TABLE tokens(reference TEXT PRIMARY KEY NOT NULL, agent TEXT, ciphertext BLOB NOT NULL, key_id TEXT NOT NULL,
            updated_at_ms INTEGER NOT NULL) STRICT
        """,
        "CREATE INDEX tokens_agent ON tokens(agent) WHERE agent IS NOT NULL",
        "CREATE TABLE oauth_verifiers(state TEXT PRIMARY KEY NOT NULL, verifier_ciphertext BLOB NOT NULL, created_at_ms INTEGER NOT NULL) STRICT",
        """
        CREATE TABLE journal(seq INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL, at_ms INTEGER NOT NULL,
            kind TEXT NOT NULL, payload TEXT NOT NULL) STRICT
        """,
        "CREATE INDEX journal_stream ON journal(stream, seq)",
        """
        CREATE TABLE telemetry(seq INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, agent TEXT, at_ms INTEGER NOT NULL,
            payload TEXT NOT NULL) STRICT
        """,
    ])

    /// Version 2. `reference_matches` holds every pending reference of a (event type, start, email)
    /// triple, not only the last one put: when a newer intent with the same triple settled, version 1
    /// dropped the entry and the older intent's webhook became `unknown_event`. Entries lost that way
    /// are rebuilt from `booking_references` (ASCII emails, which SQLite's `lower` folds as Swift does).
    static let version2 = Migration(version: 2, statements: [
        """
        CREATE TABLE reference_matches_v2(event_type TEXT NOT NULL, start_ms INTEGER NOT NULL, email_key TEXT NOT NULL, key TEXT NOT NULL,
            PRIMARY KEY(event_type, start_ms, email_key, key)) STRICT, WITHOUT ROWID
        """,
        "INSERT INTO reference_matches_v2(event_type, start_ms, email_key, key) SELECT event_type, start_ms, email_key, key FROM reference_matches",
        """
        INSERT OR IGNORE INTO reference_matches_v2(event_type, start_ms, email_key, key)
            SELECT event_type, start_ms, lower(email), key FROM booking_references
            WHERE email IS NOT NULL AND email NOT GLOB '*[^ -~]*'
        """,
        "DROP TABLE reference_matches",
        "ALTER TABLE reference_matches_v2 RENAME TO reference_matches",
    ])

    /// One row the sync barrier rewrites: a commit needs a WAL frame to fsync.
    static let version3 = Migration(version: 3, statements: [
        "CREATE TABLE durability_barrier(id INTEGER PRIMARY KEY CHECK (id = 1), commits INTEGER NOT NULL) STRICT",
        "INSERT INTO durability_barrier(id, commits) VALUES (1, 0)",
    ])

    /// Makes every commit so far durable against power loss: one tiny commit under `synchronous=FULL`
    /// fsyncs the WAL, and the WAL holds all earlier commits (the safety level cannot change inside
    /// a transaction, hence a transaction of its own).
    static func syncBarrier(_ db: Database) throws {
        try db.execute("PRAGMA synchronous=FULL")
        defer { try? db.execute("PRAGMA synchronous=NORMAL") }
        try db.begin()
        do {
            try db.run("UPDATE durability_barrier SET commits = commits + 1 WHERE id = 1")
        } catch {
            db.rollback()
            throw error
        }
        try db.commit()
    }

    /// Version 4 (issue 6): reschedules and fallback-link bookings get their own daily counters, and
    /// handed-out fallback links are remembered so a booking made through one maps back. Reschedule
    /// facts live in the reference's JSON `state`; `reference_invitees` indexes every invitee URI.
    static let version4 = Migration(version: 4, statements: [
        "ALTER TABLE daily_aggregates ADD COLUMN rescheduled INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE daily_aggregates ADD COLUMN fallback_booked INTEGER NOT NULL DEFAULT 0",
        """
        CREATE TABLE fallback_offers(reference TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            event_type TEXT NOT NULL, offered_at_ms INTEGER NOT NULL) STRICT
        """,
        "CREATE INDEX fallback_offers_offered ON fallback_offers(offered_at_ms)",
    ])

    /// Version 5: booking-quota trackers per Calendly user (`QuotaLedger`), so a restart keeps counting.
    static let version5 = Migration(version: 5, statements: [
        "CREATE TABLE booking_quotas(owner TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL) STRICT",
    ])

    /// Version 6 (issue 10): signed webhooks whose body could not be read, bounded by
    /// `Retention.deadLetterCap` (newest kept) and `Retention.deadLetterLifetime`.
    static let version6 = Migration(version: 6, statements: [
        """
        CREATE TABLE webhook_dead_letters(id INTEGER PRIMARY KEY AUTOINCREMENT, received_at_ms INTEGER NOT NULL, reason TEXT NOT NULL,
            body BLOB NOT NULL) STRICT
        """,
        "CREATE INDEX webhook_dead_letters_received ON webhook_dead_letters(received_at_ms)",
    ])

    /// Version 7 (issue 11): the durable outbox of customer messages produced outside a request (with the
    /// callback's delivery state) and durable timers, both written in the step's transaction.
    static let version7 = Migration(version: 7, statements: [
        """
        CREATE TABLE conversation_outbox(conversation TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, message TEXT NOT NULL,
            callback_attempts INTEGER NOT NULL DEFAULT 0, callback_next_at_ms INTEGER NOT NULL DEFAULT 0, callback_delivered_at_ms INTEGER,
            PRIMARY KEY(conversation, seq)) STRICT
        """,
        "CREATE INDEX conversation_outbox_at ON conversation_outbox(at_ms)",
        "CREATE INDEX conversation_outbox_callbacks ON conversation_outbox(conversation, seq) WHERE callback_delivered_at_ms IS NULL",
        // The highest sequence number handed out per conversation: never reused, even after retention emptied the outbox.
        "CREATE TABLE outbox_sequences(conversation TEXT PRIMARY KEY NOT NULL, last_seq INTEGER NOT NULL) STRICT",
        "CREATE TABLE timers(conversation TEXT NOT NULL, timer TEXT NOT NULL, due_at_ms INTEGER NOT NULL, PRIMARY KEY(conversation, timer)) STRICT",
        "CREATE INDEX timers_due ON timers(due_at_ms)",
    ])

    /// Per-connection settings: WAL (readers never block the writer), NORMAL sync (commits survive a
    /// process crash; `syncBarrier` where power loss matters), foreign keys enforced.
    static func configure(_ db: Database) throws {
        // "wal" for files, "memory" for ":memory:"; anything else (e.g. a file system without shared
        // memory) would silently lose the concurrency and durability this store promises.
        let mode = try db.scalarText("PRAGMA journal_mode=WAL") ?? ""
        guard mode == "wal" || mode == "memory" else {
            throw SQLiteError(code: 1, message: "could not switch to WAL (journal_mode is \(mode))", operation: "open")
        }
        try db.execute("PRAGMA synchronous=NORMAL")
        try db.execute("PRAGMA foreign_keys=ON")
    }

    static func version(_ db: Database) throws -> Int {
        Int(try db.scalarInt("SELECT version FROM schema_version WHERE id = 1") ?? 0)
    }

    /// Brings the file up to the last migration, each migration in its own transaction (so a crash
    /// between two leaves a consistent, resumable version). Safe when several processes open at once:
    /// each step re-reads the version under the write lock.
    static func migrate(_ db: Database, _ migrations: [Migration]) throws {
        guard migrations.enumerated().allSatisfy({ $0.element.version == $0.offset + 1 }) else {
            throw SQLiteStoreError.invalidMigrationList
        }
        let supported = migrations.last?.version ?? 0
        try db.transaction {
            try db.execute("CREATE TABLE IF NOT EXISTS schema_version(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT")
            try db.run("INSERT INTO schema_version(id, version) VALUES (1, 0) ON CONFLICT(id) DO NOTHING")
            let found = try version(db)
            if found > supported { throw SQLiteStoreError.schemaTooNew(found: found, supported: supported) }
        }
        for migration in migrations {
            try db.transaction {
                guard try version(db) < migration.version else { return }
                for statement in migration.statements {
                    do { try db.execute(statement) } catch let failure as SQLiteError {
                        throw SQLiteError(code: failure.code, message: failure.message, operation: "migration \(migration.version)")
                    }
                }
                try db.run("UPDATE schema_version SET version = ? WHERE id = 1", [.integer(Int64(migration.version))])
            }
        }
    }
}

extension SQLiteSchema {
    /// The tables of the current schema (for counts in tests and audits).
    public enum Table: String, CaseIterable, Sendable {
        case connections, actionConfigs = "action_configs", conversations, bookingReferences = "booking_references"
        case referenceInvitees = "reference_invitees", referenceMatches = "reference_matches", bookingIntents = "booking_intents", dailyAggregates = "daily_aggregates", failureLog = "failure_log"
        case webhookDeliveries = "webhook_deliveries", tokens, oauthVerifiers = "oauth_verifiers", journal, telemetry
        case fallbackOffers = "fallback_offers", bookingQuotas = "booking_quotas", webhookDeadLetters = "webhook_dead_letters"
        case conversationOutbox = "conversation_outbox", outboxSequences = "outbox_sequences", timers
    }
}
