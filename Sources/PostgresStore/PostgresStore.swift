import Core
import Effects
import Foundation
import Interpreters
import Logging
import PostgresNIO
import Synchronization

/// The `TransactionalStore` for several hosts on one PostgreSQL database (issue 13): the same schema,
/// migrations and semantics as `SQLiteStore`, one `BEGIN … COMMIT` per runtime step.
///
/// Why blocking: `TransactionalStore.transaction` is synchronous and `LiveRuntime` calls it from its
/// tasks. The store runs the statements on a pooled connection whose I/O happens on the store's own
/// event loops, and the calling thread waits on a semaphore (`PostgresBlocking`) — never on a Swift task,
/// so the cooperative pool cannot deadlock on itself. The price is a cooperative thread held for the
/// round trips of one step, as SQLite holds it for its disk writes; an `async` transaction path in the
/// runtime would lift that (the next step, README "Deployment").
///
/// Across hosts: every aggregate load takes a transaction-scoped advisory lock on the aggregate
/// (`conversation:ID`, `connection:AGENT`, `config:AGENT`, `reference:KEY`), so one conversation's steps
/// never interleave even where its row does not exist yet; webhook dedupe is one
/// `INSERT … ON CONFLICT DO NOTHING RETURNING`. A transaction that the server aborts as a deadlock victim
/// or serialization failure is rolled back and `body` runs again from the start (up to three times) —
/// `body` must therefore only compute and write through the transaction, as the runtime's steps do.
public final class PostgresStore: TransactionalStore, Sendable {
    public typealias Transaction = PostgresTransaction

    public let url: DatabaseURL
    /// The schema every table lives in (`public` in production; a private one per test).
    public let schema: String
    /// This process among the hosts on the database: unique per process (a restarted host is a new one, so
    /// its predecessor's conversations wait for that one's lease to expire, like any dead host's).
    public let host: String
    let pool: PostgresPool
    let group: MultiThreadedEventLoopGroup
    static let attempts = 3

    /// Connects, then migrates under the advisory lock. `poolSize` connections at most (README
    /// "Deployment": hosts × pool size must stay under the server's `max_connections`).
    public convenience init(url: DatabaseURL, schema: String = "public", poolSize: Int = 4, host: String = PostgresStore.processHostName(),
                            logger: Logger = Logger(label: "calendly-action.postgres")) throws {
        try self.init(url: url, schema: schema, poolSize: poolSize, host: host, logger: logger, migrations: PostgresSchema.migrations)
    }

    /// Connects without migrating or writing anything (`journal export` beside live hosts): a database
    /// not yet migrated, or migrated by a newer build, is refused rather than changed.
    public static func reading(url: DatabaseURL, schema: String = "public", logger: Logger = Logger(label: "calendly-action.postgres")) throws -> PostgresStore {
        try PostgresStore(url: url, schema: schema, poolSize: 1, logger: logger, migrations: nil)
    }

    /// `migrations` nil: read only (see `reading`).
    init(url: DatabaseURL, schema: String, poolSize: Int, host: String = PostgresStore.processHostName(), logger: Logger,
         migrations: [PostgresSchema.Migration]?) throws {
        self.url = url
        self.schema = schema
        self.host = host
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tls: PostgresConnection.Configuration.TLS
        switch url.sslMode {
        case .disable: tls = .disable
        case .require:
            do { tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration())) } catch {
                throw PostgresStoreError.connection("tls setup")
            }
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                             database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        if schema != "public" {
            // A startup parameter, so every pooled connection resolves tables in this schema.
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        pool = PostgresPool(size: poolSize, configuration: configuration, group: group, logger: logger, lockNamespace: schema, host: host)
        do {
            let session = try pool.checkout()
            var usable = true
            defer { pool.checkin(session, usable: usable) }
            do {
                if let migrations {
                    try PostgresSchema.migrate(session, migrations, creating: schema == "public" ? nil : schema)
                    try PostgresSchema.migrateCluster(session)
                } else {
                    try PostgresSchema.checkReadable(session)
                }
            } catch let error as PostgresStoreError {
                usable = error.leavesConnectionUsable
                throw error
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// `<hostname>-<pid>-<8 hex>`: readable in the leases table, never reused by a later process.
    public static func processHostName() -> String {
        let name = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(name)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    private let closed = Atomic<Bool>(false)

    /// Closes the idle connections, then the event loop — once (a second close would wait forever on a
    /// loop that is gone). Called when the store goes away, or when its init fails.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        pool.closeIdle()
        try? group.syncShutdownGracefully()
    }

    /// An identifier quoted for SQL (a schema name is not a bindable value).
    static func quoted(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Runs `body` in one PostgreSQL transaction: everything it wrote commits together, or — when it
    /// throws, or when any statement inside failed — nothing does. Re-runs `body` after a deadlock or
    /// serialization failure (see the type's comment).
    public func transaction<T>(_ body: (inout PostgresTransaction) throws -> T) throws -> T {
        let session = try pool.checkout()
        var usable = true
        defer { pool.checkin(session, usable: usable) }
        var attempt = 1
        while true {
            do {
                return try once(session, body)
            } catch let error as PostgresStoreError where error.isRetryable && attempt < Self.attempts {
                attempt += 1
            } catch {
                usable = (error as? PostgresStoreError)?.leavesConnectionUsable ?? true
                throw error
            }
        }
    }

    private func once<T>(_ session: PostgresSession, _ body: (inout PostgresTransaction) throws -> T) throws -> T {
        session.failure = nil
        try session.run("BEGIN", operation: "begin")
        do {
            var transaction = PostgresTransaction(session: session)
            let value = try body(&transaction)
            // A DurableState method cannot throw; its failure is kept and fails the whole step here.
            if let failure = session.failure { throw failure }
            try session.run("COMMIT", operation: "commit")
            return value
        } catch {
            session.failure = nil
            _ = try? session.run("ROLLBACK", operation: "rollback")
            throw error
        }
    }

    // MARK: Conveniences (each in its own transaction)

    public func schemaVersion() throws -> Int {
        try transaction { try PostgresSchema.version($0.session) }
    }

    public func analytics(agent: AgentID, from: CivilDate, to: CivilDate) throws -> Analytics {
        try transaction { try $0.analytics(agent: agent, from: from, to: to) }
    }

    /// For crash recovery: conversations that were waiting on Calendly when their host stopped.
    public func conversationIDsAwaitingCalendly() throws -> [ConversationID] {
        try transaction { try $0.conversationIDsAwaitingCalendly() }
    }

    /// The tables of this store's schema, sorted (for the schema comparison with SQLite): the cluster's
    /// own (`PostgresSchema.clusterTables`, which one SQLite file on one host has no use for) left out.
    public func tableNames() throws -> [String] {
        try transaction { tx in
            try tx.session.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                                operation: "tables").map { try $0.text(0) }.filter { !PostgresSchema.clusterTables.contains($0) }.sorted()
        }
    }
}

extension PostgresStore {
    /// Webhook deliveries kept (the bench checks that every accepted delivery was stored).
    public func countWebhookDeliveries() throws -> Int {
        try transaction { tx in Int(try tx.session.rows("SELECT count(*) FROM webhook_deliveries", operation: "count deliveries").first?.int64(0) ?? 0) }
    }
}

extension PostgresStore {
    /// Drops this store's own schema with everything in it (a bench's or a test's; never `public`).
    public func dropSchema() throws {
        guard schema != "public" else { return }
        _ = try transaction { tx in try tx.session.run("DROP SCHEMA \(Self.quoted(schema)) CASCADE", operation: "drop schema") }
    }
}
