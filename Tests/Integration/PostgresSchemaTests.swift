import Foundation
import Testing
@testable import Interpreters
@testable import PostgresStore

/// The two migration lists must never drift: same versions, and after migrating, the same tables.
@Suite struct PostgresSchemaTests {
    @Test func bothStoresNumberTheirMigrationsAlike() {
        #expect(PostgresSchema.migrations.map(\.version) == SQLiteSchema.migrations.map(\.version))
        #expect(PostgresSchema.currentVersion == SQLiteSchema.currentVersion)
        #expect(PostgresSchema.migrations.allSatisfy { !$0.statements.isEmpty })
    }

    /// The statements name the same tables, checked without a server (the live check below compares the
    /// migrated schemas themselves).
    @Test func everySQLiteTableIsCreatedByThePostgresMigrations() {
        let created = Set(PostgresSchema.migrations.flatMap(\.statements).compactMap { statement -> String? in
            let words = statement.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == "\n" })
            guard words.count > 2, words[0] == "CREATE", words[1] == "TABLE" else { return nil }
            return String(words[2])
        })
        #expect(Set(SQLiteSchema.Table.allCases.map(\.rawValue)).isSubset(of: created))
    }

    @Test func aMigratedPostgresSchemaHasExactlySQLitesTables() throws {
        try PostgresTestDatabase.withStore { store, _ throws in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-schema-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("store.sqlite").path
            _ = try SQLiteStore(path: path)
            let sqliteTables = try Database(path: path).rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                $0.text(0) ?? ""
            }.sorted()
            #expect(try store.tableNames() == sqliteTables)
            #expect(try store.schemaVersion() == SQLiteSchema.currentVersion)
        }
    }

    /// A database migrated by a newer build is refused, never written.
    @Test func aNewerSchemaIsRefused() throws {
        try PostgresTestDatabase.withStore { store, url throws in
            _ = try store.transaction { try $0.session.run("UPDATE schema_version SET version = 999 WHERE id = 1", operation: "test") }
            #expect(throws: PostgresStoreError.schemaTooNew(found: 999, supported: PostgresSchema.currentVersion)) {
                _ = try PostgresStore(url: url, schema: store.schema, poolSize: 1)
            }
        }
    }

    /// An appended migration applies on the next start; a failing one leaves the previous version whole.
    @Test func anAppendedMigrationAppliesAndAFailingOneRollsBack() throws {
        try PostgresTestDatabase.withStore { store, url throws in
            let next = PostgresSchema.currentVersion + 1
            let broken = PostgresSchema.migrations + [PostgresSchema.Migration(version: next, statements: [
                "CREATE TABLE half_done(id BIGINT PRIMARY KEY)", "SELECT no_such_function()",
            ])]
            #expect(throws: PostgresStoreError.self) {
                _ = try PostgresStore(url: url, schema: store.schema, poolSize: 1, logger: .init(label: "test"), migrations: broken)
            }
            #expect(try store.schemaVersion() == PostgresSchema.currentVersion)
            #expect(!(try store.tableNames()).contains("half_done"))
            let good = PostgresSchema.migrations + [PostgresSchema.Migration(version: next, statements: ["CREATE TABLE added(id BIGINT PRIMARY KEY)"])]
            let upgraded = try PostgresStore(url: url, schema: store.schema, poolSize: 1, logger: .init(label: "test"), migrations: good)
            #expect(try upgraded.schemaVersion() == next)
            #expect(try store.tableNames().contains("added"))
            #expect(throws: PostgresStoreError.invalidMigrationList) {
                _ = try PostgresStore(url: url, schema: store.schema, poolSize: 1, logger: .init(label: "test"),
                                      migrations: Array(PostgresSchema.migrations.dropFirst()))
            }
        }
    }

    /// `calendly-action migrate` as a user runs it: the SQLite file under --data-dir without DATABASE_URL,
    /// the PostgreSQL database with it — and the password never printed.
    @Test func theMigrateCommandMigratesEitherStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sqlite = try Self.migrate(["migrate", "--data-dir", directory], environment: [:])
        #expect(sqlite.status == 0, "\(sqlite.output)")
        #expect(sqlite.output.contains("calendly-action.sqlite to schema version \(SQLiteSchema.currentVersion)"), "\(sqlite.output)")
        #expect(try SQLiteStore(path: directory + "/calendly-action.sqlite").schemaVersion() == SQLiteSchema.currentVersion)

        let refused = try Self.migrate(["migrate"], environment: ["DATABASE_URL": "postgres://app:hunter2@127.0.0.1:1/db?sslmode=sometimes"])
        #expect(refused.status != 0 && refused.output.contains("sslmode") && !refused.output.contains("hunter2"), "\(refused.output)")

        guard let url = try PostgresTestDatabase.url() else { return }
        let text = "postgres://\(url.user):unused-by-trust-auth@\(url.host):\(url.port)/\(url.database)?sslmode=\(url.sslMode.rawValue)"
        let postgres = try Self.migrate(["migrate"], environment: ["DATABASE_URL": text])
        #expect(postgres.status == 0, "\(postgres.output)")
        #expect(postgres.output.contains("to schema version \(PostgresSchema.currentVersion)") && !postgres.output.contains("unused-by-trust-auth"),
                "\(postgres.output)")
    }

    static func migrate(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try ServeProcess.executable()
        process.arguments = arguments
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
