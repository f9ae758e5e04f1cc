import ArgumentParser
import Core
import Effects
import Foundation
import Hummingbird
import Interpreters
import Logging

/// `calendly-action serve`: the service. With no environment it runs on embedded defaults — a SQLite
/// file under the data directory and the built-in Calendly emulator in this process (demo mode) —
/// and prints development tokens so the README's curl walk works at once.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the HTTP service (demo mode with the built-in Calendly emulator unless CALENDLY_CLIENT_ID is set)."
    )

    @Option(help: "Port to listen on.") var port = 8080
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Where the SQLite file and generated development keys live.") var dataDir = "./.calendly-action"
    @Option(help: "Minutes between retention runs (one also runs at start).") var purgeEvery = 60
    @Option(help: "The platform account the printed development tokens belong to.") var account = "acme"
    @Option(help: "Minutes between webhook subscription checks, each followed by a full reconciliation (one of each also runs at start).")
    var subscriptionCheckEvery = 30
    @Option(help: "Minutes between reconciliations of bookings still unconfirmed after 10 minutes.") var reconcileEvery = 5
    @Option(help: "Demo mode: the built-in emulator's port (fixed, so saved event types stay valid across restarts; 0 picks one).")
    var emulatorPort = 8090

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1…65535 (got \(port))") }
        guard (0...65535).contains(emulatorPort) else { throw ValidationError("--emulator-port must be 0…65535 (got \(emulatorPort))") }
        guard (1...24 * 60).contains(reconcileEvery) else { throw ValidationError("--reconcile-every must be 1…1440 minutes") }
        guard (1...24 * 60).contains(subscriptionCheckEvery) else { throw ValidationError("--subscription-check-every must be 1…1440 minutes") }
        guard (1...24 * 60).contains(purgeEvery) else { throw ValidationError("--purge-every must be 1…1440 minutes") }
        guard Gate.validID(account) != nil else { throw ValidationError("--account must be letters, digits, '-', '_' or '.'") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configuration: HostConfiguration
        let limits: ConnectionLimits
        do {
            configuration = try HostConfiguration.load(environment: environment, host: host, port: port, dataDirectory: dataDir)
            limits = try ConnectionLimits.load(environment: environment)
        } catch {
            FileHandle.standardError.write(Data("calendly-action: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        // Info lines wait up to 20 ms in the sink; an exit (even through ArgumentParser's) writes them first.
        atexit { LogLineSink.standardError.flush() }
        let logger = Logger(label: "calendly-action")
        // Before the first journal row: emails in this deployment's journal are hashed under its own key.
        if !configuration.journalRedactionKey.isEmpty { Redaction.useKey(configuration.journalRedactionKey) }
        let assembly = try await HostAssembly.make(configuration: configuration, environment: environment, emulatorPort: emulatorPort, logger: logger,
                                                  limits: limits)
        if let emulator = assembly.emulator {
            logger.notice("demo mode: Calendly is the built-in emulator (no real Calendly account is used)", metadata: ["emulator": "\(emulator.baseURL)"])
        } else {
            logger.notice("Calendly mode", metadata: ["api": "\(configuration.calendlyAPIBase)", "auth": "\(configuration.calendlyAuthBase)"])
        }
        // The URL is not printed: a callback URL often carries the platform's token.
        if assembly.callback != nil { logger.notice("late customer messages are POSTed to MESSAGE_CALLBACK_URL (signed)") }
        let resumed = try await assembly.recover()
        if resumed > 0 { logger.notice("resumed conversations that were waiting on Calendly", metadata: ["count": "\(resumed)"]) }

        let jobs = BackgroundJobs.start(assembly, logger: logger, schedule: .init(purgeEvery: .minutes(Int64(purgeEvery)),
                                                                           subscriptionCheckEvery: .minutes(Int64(subscriptionCheckEvery)),
                                                                           reconcileEvery: .minutes(Int64(reconcileEvery))))
        // Tokens go to stdout (container logs) only in demo mode with the generated secret, never in Calendly mode.
        let banner = self.banner(configuration, assembly, printTokens: configuration.demoMode && (environment["PLATFORM_JWT_SECRET"] ?? "").isEmpty)
        let app = assembly.application { _ in
            // Unbuffered, so a script waiting for the tokens sees them at once.
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        do {
            try await app.runService()   // SIGINT/SIGTERM: stop accepting, finish requests in flight, return
        } catch {
            jobs.cancel()
            await assembly.shutdown()
            throw error
        }
        jobs.cancel()
        await assembly.shutdown()
        logger.notice("stopped")
    }

    func banner(_ configuration: HostConfiguration, _ assembly: HostAssembly, printTokens: Bool) -> String {
        var lines = [
            "calendly-action listening on http://\(configuration.host):\(configuration.port)",
            "  database: \(configuration.databasePath)",
            "  console: \(configuration.publicBaseURL.hasSuffix("/") ? String(configuration.publicBaseURL.dropLast()) : configuration.publicBaseURL)/console",
        ]
        if let emulator = assembly.emulator {
            lines.append("  demo mode: Calendly is the built-in emulator at \(emulator.baseURL)")
        }
        if printTokens {
            let now = LiveCalendly.wallClock()
            for role in [Role.admin, .runtime] {
                let principal = Principal(subject: "dev-\(role.rawValue)", account: AccountID(account), role: role, features: [Access.feature],
                                          addons: [Access.addon], flags: [Access.flag])
                let lifetime = min(Span.hours(24), configuration.tokenPolicy.maxLifetime)
                let token = PlatformToken(secret: configuration.jwtSecret, policy: configuration.tokenPolicy).sign(principal, issuedAt: now, lifetime: lifetime)
                lines.append("  \(role.rawValue) token (account \(account), \(lifetime.milliseconds / 3_600_000) h): \(token)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
