import ArgumentParser
import Effects
import Foundation
import Interpreters
import Logging

/// `calendly-action purge`: the retention jobs `serve` runs on a schedule, once, on demand.
struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Run the retention jobs once (what `serve` runs on a schedule).")

    @Option(help: "The data directory `serve` uses.") var dataDir = "./.calendly-action"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration = try HostConfiguration.load(environment: environment, host: "127.0.0.1", port: 8080, dataDirectory: dataDir)
        let logger = Logger(label: "calendly-action.purge")
        let store = try SQLiteStore(path: configuration.databasePath)
        let keeper = SQLiteTokenKeeper(store: store, vault: try HostAssembly<SQLiteStore>.tokenVault(configuration, environment), logger: logger)
        let runtime = LiveRuntime(store: store, calendly: OfflineCalendly(), sink: OutboxSignal(metrics: Metrics()),
                                  telemetry: MetricsTelemetry(metrics: Metrics(), logger: logger), now: LiveCalendly.wallClock, logger: logger)
        print(try await HostAssembly<SQLiteStore>.purge(runtime: runtime, keeper: keeper))
    }
}

/// Retention never talks to Calendly; a purge-only runtime answers every call as unreachable.
struct OfflineCalendly: CalendlyPerformer {
    func perform(_ call: CalendlyCall) async -> CalendlyReply { .failed(.unreachable) }
}
