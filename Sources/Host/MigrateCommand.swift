import ArgumentParser
import Foundation
import Interpreters
import PostgresStore

/// `calendly-action migrate`: applies the schema migrations and exits, so a deployment can migrate once
/// before rolling out hosts (each host also migrates at start, under the same lock, so this is optional).
/// PostgreSQL when `DATABASE_URL` is set, else the SQLite file `serve` uses under `--data-dir`.
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema migrations and exit (PostgreSQL when DATABASE_URL is set, else the SQLite file under --data-dir).")

    @Option(help: "The data directory `serve` uses (SQLite only).") var dataDir = "./.calendly-action"

    func run() throws {
        if let text = ProcessInfo.processInfo.environment["DATABASE_URL"], !text.isEmpty {
            // Both errors and the URL's description leave the password out.
            let url = try DatabaseURL(parsing: text)
            let store = try PostgresStore(url: url, poolSize: 1)
            print("migrated \(url) to schema version \(try store.schemaVersion())")
        } else {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // HostConfiguration.databasePath's file.
            let path = dataDir + "/calendly-action.sqlite"
            let store = try SQLiteStore(path: path)
            print("migrated \(path) to schema version \(try store.schemaVersion())")
        }
    }
}
