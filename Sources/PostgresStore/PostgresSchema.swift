import Interpreters

/// The PostgreSQL schema: `SQLiteSchema`'s tables and versions, translated (TEXT stays TEXT, *_ms and
/// counters are BIGINT, blobs BYTEA, `INTEGER PRIMARY KEY AUTOINCREMENT` is BIGSERIAL). Version N here is
/// version N there — `PostgresSchemaTests` compares the version numbers and the table names, so the two
/// lists cannot drift. Append-only: never edit a migration that has shipped.
public enum PostgresSchema {
    public typealias Migration = SQLiteSchema.Migration

    public static let migrations: [Migration] = [version1, version2, version3, version4, version5, version6, version7]
    public static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// Every host migrates at start; this key serializes them (a transaction-scoped advisory lock).
    static let migrationLockKey = "calendly-action|schema-migration"

    static let version1 = Migration(version: 1, statements: [
        "CREATE TABLE connections(agent TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL)",
        "CREATE TABLE action_configs(agent TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL)",
        """
        CREATE TABLE conversations(id TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL, phase TEXT NOT NULL,
            awaits_calendly BIGINT NOT NULL, updated_at_ms BIGINT NOT NULL)
        """,
        "CREATE INDEX conversations_awaiting_calendly ON conversations(id) WHERE awaits_calendly = 1",
        """
        CREATE TABLE booking_references(key TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            event_type TEXT NOT NULL, start_ms BIGINT NOT NULL, email TEXT, status TEXT NOT NULL,
            invitee TEXT, event TEXT, recorded_at_ms BIGINT NOT NULL, canceled_at_ms BIGINT)
        """,
        "CREATE TABLE reference_invitees(invitee TEXT PRIMARY KEY NOT NULL, key TEXT NOT NULL)",
        """
        CREATE TABLE reference_matches(event_type TEXT NOT NULL, start_ms BIGINT NOT NULL, email_key TEXT NOT NULL, key TEXT NOT NULL,
            PRIMARY KEY(event_type, start_ms, email_key))
        """,
        "CREATE INDEX booking_references_recorded ON booking_references(recorded_at_ms)",
        """
        CREATE TABLE booking_intents(key TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            event_type TEXT NOT NULL, start_ms BIGINT NOT NULL, recorded_at_ms BIGINT NOT NULL, outcome TEXT)
        """,
        """
        CREATE TABLE daily_aggregates(agent TEXT NOT NULL, day TEXT NOT NULL, offered BIGINT NOT NULL DEFAULT 0,
            created BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0, canceled BIGINT NOT NULL DEFAULT 0,
            conflicts BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(agent, day))
        """,
        """
        CREATE TABLE failure_log(id BIGSERIAL PRIMARY KEY, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            reason TEXT NOT NULL, at_ms BIGINT NOT NULL)
        """,
        "CREATE INDEX failure_log_at ON failure_log(at_ms)",
        "CREATE TABLE webhook_deliveries(delivery_id TEXT PRIMARY KEY NOT NULL, seen_at_ms BIGINT NOT NULL)",
        "CREATE INDEX webhook_deliveries_seen ON webhook_deliveries(seen_at_ms)",
        """
        CREATE TABLE tokens(reference TEXT PRIMARY KEY NOT NULL, agent TEXT, ciphertext BYTEA NOT NULL, key_id TEXT NOT NULL,
            updated_at_ms BIGINT NOT NULL)
        """,
        "CREATE INDEX tokens_agent ON tokens(agent) WHERE agent IS NOT NULL",
        "CREATE TABLE oauth_verifiers(state TEXT PRIMARY KEY NOT NULL, verifier_ciphertext BYTEA NOT NULL, created_at_ms BIGINT NOT NULL)",
        """
        CREATE TABLE journal(seq BIGSERIAL PRIMARY KEY, stream TEXT NOT NULL, at_ms BIGINT NOT NULL,
            kind TEXT NOT NULL, payload TEXT NOT NULL)
        """,
        "CREATE INDEX journal_stream ON journal(stream, seq)",
        """
        CREATE TABLE telemetry(seq BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, agent TEXT, at_ms BIGINT NOT NULL,
            payload TEXT NOT NULL)
        """,
    ])

    /// SQLite's version 2 rebuilt `reference_matches` with the key in its primary key (every pending
    /// reference of a triple has its entry). Here the key is swapped in place; there is no version-1 data
    /// to repair (PostgreSQL support starts after version 6 shipped), so the rebuild is not repeated.
    static let version2 = Migration(version: 2, statements: [
        "ALTER TABLE reference_matches DROP CONSTRAINT reference_matches_pkey",
        "ALTER TABLE reference_matches ADD PRIMARY KEY(event_type, start_ms, email_key, key)",
    ])

    /// SQLite's fsync barrier row. PostgreSQL commits are durable as they return (`synchronous_commit=on`),
    /// so nothing writes it; the table exists so both schemas keep the same tables.
    static let version3 = Migration(version: 3, statements: [
        "CREATE TABLE durability_barrier(id BIGINT PRIMARY KEY CHECK (id = 1), commits BIGINT NOT NULL)",
        "INSERT INTO durability_barrier(id, commits) VALUES (1, 0)",
    ])

    static let version4 = Migration(version: 4, statements: [
        "ALTER TABLE daily_aggregates ADD COLUMN rescheduled BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE daily_aggregates ADD COLUMN fallback_booked BIGINT NOT NULL DEFAULT 0",
        """
        CREATE TABLE fallback_offers(reference TEXT PRIMARY KEY NOT NULL, agent TEXT NOT NULL, conversation TEXT NOT NULL,
            event_type TEXT NOT NULL, offered_at_ms BIGINT NOT NULL)
        """,
        "CREATE INDEX fallback_offers_offered ON fallback_offers(offered_at_ms)",
    ])

    static let version5 = Migration(version: 5, statements: [
        "CREATE TABLE booking_quotas(owner TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL)",
    ])

    static let version6 = Migration(version: 6, statements: [
        """
        CREATE TABLE webhook_dead_letters(id BIGSERIAL PRIMARY KEY, received_at_ms BIGINT NOT NULL, reason TEXT NOT NULL,
            body BYTEA NOT NULL)
        """,
        "CREATE INDEX webhook_dead_letters_received ON webhook_dead_letters(received_at_ms)",
    ])

    /// Version 7 (issue 11): the durable outbox (with the callback's delivery state) and durable timers.
    static let version7 = Migration(version: 7, statements: [
        """
        CREATE TABLE conversation_outbox(conversation TEXT NOT NULL, seq BIGINT NOT NULL, at_ms BIGINT NOT NULL, message TEXT NOT NULL,
            callback_attempts BIGINT NOT NULL DEFAULT 0, callback_next_at_ms BIGINT NOT NULL DEFAULT 0, callback_delivered_at_ms BIGINT,
            PRIMARY KEY(conversation, seq))
        """,
        "CREATE INDEX conversation_outbox_at ON conversation_outbox(at_ms)",
        "CREATE INDEX conversation_outbox_callbacks ON conversation_outbox(conversation, seq) WHERE callback_delivered_at_ms IS NULL",
        "CREATE TABLE outbox_sequences(conversation TEXT PRIMARY KEY NOT NULL, last_seq BIGINT NOT NULL)",
        "CREATE TABLE timers(conversation TEXT NOT NULL, timer TEXT NOT NULL, due_at_ms BIGINT NOT NULL, PRIMARY KEY(conversation, timer))",
        "CREATE INDEX timers_due ON timers(due_at_ms)",
    ])

    // MARK: The cluster's own tables (PostgreSQL only)

    /// What several hosts on one database coordinate through (issue 13); one SQLite file serves one host
    /// and has none of it, so these are versioned apart from the shared list above (in
    /// `cluster_schema_version`), and the schema comparison with SQLite leaves them out. Append-only too.
    /// - `host_leases`: one row per lease — `host:<name>` (a live host renews its own) and `jobs` (the one
    ///   host running the background jobs); `expires_at_ms` is on the server's clock, so hosts' clocks never
    ///   have to agree.
    /// - `conversations.driver`: the host that last saved the conversation; one waiting on Calendly whose
    ///   driver's lease expired is resumed by another host.
    public static let clusterMigrations: [Migration] = [cluster1]
    public static let clusterTables: Set<String> = ["cluster_schema_version", "host_leases"]

    static let cluster1 = Migration(version: 1, statements: [
        "CREATE TABLE host_leases(name TEXT PRIMARY KEY NOT NULL, holder TEXT NOT NULL, expires_at_ms BIGINT NOT NULL)",
        "ALTER TABLE conversations ADD COLUMN driver TEXT",
    ])

    /// The cluster migrations, under the same lock and in the same way as `migrate` (after it: they alter its tables).
    static func migrateCluster(_ session: PostgresSession) throws {
        try inTransaction(session) {
            try session.lock(migrationLockKey)
            try session.run("CREATE TABLE IF NOT EXISTS cluster_schema_version(id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
                            operation: "cluster migration 0")
            try session.run("INSERT INTO cluster_schema_version(id, version) VALUES (1, 0) ON CONFLICT(id) DO NOTHING", operation: "cluster migration 0")
        }
        for migration in clusterMigrations {
            try inTransaction(session) {
                try session.lock(migrationLockKey)
                let found = try session.rows("SELECT version FROM cluster_schema_version WHERE id = 1", operation: "cluster schema version")
                guard Int(try found.first?.int64(0) ?? 0) < migration.version else { return }
                for statement in migration.statements {
                    try session.run(statement, operation: "cluster migration \(migration.version)")
                }
                try session.run("UPDATE cluster_schema_version SET version = $1 WHERE id = 1", [.integer(Int64(migration.version))],
                                operation: "cluster migration \(migration.version)")
            }
        }
    }

    static func version(_ session: PostgresSession) throws -> Int {
        let rows = try session.rows("SELECT version FROM schema_version WHERE id = 1", operation: "schema version")
        return Int(try rows.first?.int64(0) ?? 0)
    }

    /// A database this build can read as it is: migrated (by anyone), and not by a newer build.
    static func checkReadable(_ session: PostgresSession) throws {
        let tables = try session.rows("SELECT to_regclass('schema_version') IS NOT NULL", operation: "schema check")
        guard (try? tables.first?[0].decode(Bool.self)) == true else { throw PostgresStoreError.notMigrated }
        let found = try version(session)
        let supported = migrations.last?.version ?? 0
        guard found > 0 else { throw PostgresStoreError.notMigrated }
        if found > supported { throw PostgresStoreError.schemaTooNew(found: found, supported: supported) }
    }

    /// Brings the database up to the last migration, each in its own transaction under one advisory
    /// lock: two hosts starting together take turns, and the second finds the version already applied.
    /// DDL is transactional in PostgreSQL, so a failed migration leaves the previous version intact.
    /// `schema`, when given, is created first under the same lock (two hosts creating it at once would race).
    static func migrate(_ session: PostgresSession, _ migrations: [Migration], creating schema: String? = nil) throws {
        guard migrations.enumerated().allSatisfy({ $0.element.version == $0.offset + 1 }) else {
            throw PostgresStoreError.invalidMigrationList
        }
        let supported = migrations.last?.version ?? 0
        try inTransaction(session) {
            try session.lock(migrationLockKey)
            if let schema { try session.run("CREATE SCHEMA IF NOT EXISTS \(PostgresStore.quoted(schema))", operation: "create schema") }
            try session.run("CREATE TABLE IF NOT EXISTS schema_version(id BIGINT PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)",
                            operation: "migration 0")
            try session.run("INSERT INTO schema_version(id, version) VALUES (1, 0) ON CONFLICT(id) DO NOTHING", operation: "migration 0")
            let found = try version(session)
            if found > supported { throw PostgresStoreError.schemaTooNew(found: found, supported: supported) }
        }
        for migration in migrations {
            try inTransaction(session) {
                try session.lock(migrationLockKey)
                guard try version(session) < migration.version else { return }
                for statement in migration.statements {
                    try session.run(statement, operation: "migration \(migration.version)")
                }
                try session.run("UPDATE schema_version SET version = $1 WHERE id = 1", [.integer(Int64(migration.version))],
                                operation: "migration \(migration.version)")
            }
        }
    }

    /// BEGIN … COMMIT around `body`; ROLLBACK when it throws.
    static func inTransaction(_ session: PostgresSession, _ body: () throws -> Void) throws {
        try session.run("BEGIN", operation: "begin")
        do {
            try body()
            try session.run("COMMIT", operation: "commit")
        } catch {
            _ = try? session.run("ROLLBACK", operation: "rollback")
            throw error
        }
    }
}
