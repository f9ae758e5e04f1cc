import ArgumentParser
import Effects
import Foundation
import Interpreters
import Logging
import PostgresStore

/// `calendly-action purge`: the retention jobs `serve` runs on a schedule, once, on demand — on
/// PostgreSQL when `DATABASE_URL` is set (like `serve` and `migrate`), else on the SQLite file under
/// `--data-dir`. Running it beside live hosts is safe: every delete is its own step under the same locks.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Run the retention jobs once (what `serve` runs on a schedule); PostgreSQL when DATABASE_URL is set, else the SQLite file under --data-dir.")

    @Option(help: "The data directory `serve` uses.") var dataDir = "./.calendly-action"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try HostConfiguration.load(environment: environment, host: "127.0.0.1", port: 8080, dataDirectory: dataDir)
        let logger = Logger(label: "calendly-action.purge")
        let vault = try HostAssembly<SQLiteStore>.tokenVault(configuration, environment)
        if let url = try HostConfiguration.databaseURL(environment) {
            print(try await Self.purge(try PostgresStore(url: url, poolSize: 1, logger: logger), vault: vault, logger: logger))
        } else {
            print(try await Self.purge(try SQLiteStore(path: configuration.databasePath), vault: vault, logger: logger))
        }
    }

    static func purge<Store: HostStore>(_ store: Store, vault: TokenVault, logger: Logger) async throws -> RetentionReport {
        let runtime = LiveRuntime(store: store, calendly: OfflineCalendly(), sink: OutboxSignal(metrics: Metrics()),
                                  telemetry: MetricsTelemetry(metrics: Metrics(), logger: logger), now: LiveCalendly.wallClock, logger: logger)
        return try await HostAssembly<Store>.purge(runtime: runtime, keeper: store.makeKeeper(vault: vault, logger: logger))
    }
}

/// Retention never talks to Calendly; a purge-only runtime answers every call as unreachable.
struct OfflineCalendly: CalendlyPerformer {
    func perform(_ call: CalendlyCall) async -> CalendlyReply { .failed(.unreachable) }
}
