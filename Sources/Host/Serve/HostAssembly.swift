import Core
import Crypto
import Effects
import Foundation
import Hummingbird
import HummingbirdCore
import Interpreters
import Logging

/// Demo mode only: the in-process Calendly emulator.
public struct DemoCalendly: Sendable {
    public let baseURL: String
    public let model: EmulatorModel
    let shutdown: @Sendable () async -> Void
}

/// The production process, assembled once: the store (the SQLite file under the data directory, or
/// PostgreSQL with `DATABASE_URL`), the token vault and keeper, Calendly (real, or the built-in emulator
/// in demo mode), the runtime and the routes. `serve` runs it; tests and `bench` start the same assembly on a free port.
public final class HostAssembly<Store: HostStore>: Sendable {
    public let configuration: HostConfiguration
    public let store: Store
    public let keeper: Store.Keeper
    public let services: HostServices<Store>
    /// Demo mode only: the in-process Calendly emulator.
    public let emulator: DemoCalendly?
    /// The outbox's callback deliverer when `MESSAGE_CALLBACK_URL` is set (`serve` runs it in the background).
    public let callback: MessageCallback<Store>?
    /// Who runs the background jobs among the hosts on this store (with SQLite: this one).
    public let coordination: any HostCoordination
    let logger: Logger

    /// Migrates the database (already open) and starts the emulator in demo mode. Nothing listens yet.
    /// `observeCalendly` wraps the Calendly interpreter (the bench times it; `serve` does not).
    public static func make(configuration: HostConfiguration, environment: [String: String], store: Store, emulatorPort: Int = 0, logger: Logger,
                            limits: ConnectionLimits = .unlimited,
                            observeCalendly: (any CalendlyPerformer) -> any CalendlyPerformer = { $0 }) async throws -> HostAssembly {
        let vault = try tokenVault(configuration, environment)
        let keeper = store.makeKeeper(vault: vault, logger: logger)
        var demo: DemoCalendly?
        var calendlyConfiguration: LiveCalendly.Configuration
        if configuration.demoMode {
            let started = try await startEmulator(port: emulatorPort, seed: 1, faults: "none", signingKey: configuration.webhookSigningKey)
            demo = DemoCalendly(baseURL: started.baseURL, model: started.model, shutdown: started.shutdown)
            calendlyConfiguration = .init(clientID: EmulatorModel.clientID, clientSecret: EmulatorModel.clientSecret, redirectURI: configuration.redirectURI,
                                          apiBase: started.baseURL, authBase: started.baseURL)
        } else {
            calendlyConfiguration = .init(clientID: configuration.clientID ?? "", clientSecret: configuration.clientSecret, redirectURI: configuration.redirectURI,
                                          apiBase: configuration.calendlyAPIBase, authBase: configuration.calendlyAuthBase)
        }
        let metrics = Metrics()
        let telemetry = MetricsTelemetry(metrics: metrics, logger: logger)
        let live = LiveCalendly(configuration: calendlyConfiguration, tokens: keeper, verifiers: keeper, logger: logger)
        // What the runtime produces outside a request (webhooks, timers, recovery) is written to the store's
        // durable outbox in the step's transaction; `GET …/booking/messages?after=SEQ` reads it there.
        // Booking calls stop short of the connected user's Calendly cap (issue 6 item 5): the step engine
        // consults `BookingQuota` in the step that books, and a hold falls back to the link.
        // With `MESSAGE_CALLBACK_URL` the outbox is also POSTed to the chat platform: signed, in order, retried (issue 11).
        let report = MessageCallbackReport(metrics: metrics, logger: logger)
        let callback = configuration.messageCallbackURL.map { url in
            MessageCallback(configuration: .init(url: url, secret: configuration.messageCallbackSecret), store: store, client: .shared,
                            hmac: CryptoHMAC.sha256, body: MessageCallbackBody.encode, now: LiveCalendly.wallClock, observe: { report.observe($0) },
                            failed: { error in logger.error("message callback bookkeeping failed", metadata: ["error": "\(error)"]) })
        }
        let runtime = LiveRuntime(store: store, calendly: MeasuredCalendly(calendly: observeCalendly(live), metrics: metrics),
                                  sink: OutboxSignal(metrics: metrics, wake: { callback?.wake() }),
                                  telemetry: telemetry, now: LiveCalendly.wallClock, quotaTier: configuration.planTier, logger: logger)
        var shown = configuration
        if let demo { shown.calendlyAPIBase = demo.baseURL; shown.calendlyAuthBase = demo.baseURL }
        let services = HostServices(runtime: runtime, configuration: shown, clientID: calendlyConfiguration.clientID,
                                    signature: WebhookSignature(key: configuration.webhookSigningKey, hmac: PrimedHMAC.sha256(primedWith: configuration.webhookSigningKey)),
                                    verifiers: keeper, metrics: metrics, now: LiveCalendly.wallClock,
                                    newSecret: { CalendlyPKCE.makeVerifier() }, logger: logger, limits: limits)
        return HostAssembly(configuration: configuration, store: store, keeper: keeper, services: services, emulator: demo, logger: logger,
                            callback: callback)
    }

    init(configuration: HostConfiguration, store: Store, keeper: Store.Keeper, services: HostServices<Store>,
         emulator: DemoCalendly?, logger: Logger, callback: MessageCallback<Store>? = nil) {
        self.configuration = configuration; self.store = store; self.keeper = keeper; self.services = services
        self.emulator = emulator; self.logger = logger; self.callback = callback
        coordination = store.makeCoordination()
    }

    /// With `TOKEN_ENCRYPTION_KEY` set, the environment decides (key id, old keys for rotation);
    /// otherwise the data directory's generated development key.
    static func tokenVault(_ configuration: HostConfiguration, _ environment: [String: String]) throws -> TokenVault {
        if let key = environment[TokenVault.keyVariable], !key.isEmpty { return try TokenVault.fromEnvironment(environment) }
        return try TokenVault(key: SymmetricKey(data: configuration.tokenEncryptionKey), id: "dev")
    }

    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        var httpLogger = logger
        httpLogger[metadataKey: "component"] = "http"
        let limits = services.limits
        return Application(
            router: buildRouter(services),
            server: .guardedHTTP1(limits: limits, metrics: services.metrics),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "calendly-action",
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: httpLogger)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: httpLogger
        )
    }

    /// Every connected agent's webhook subscription exists and is active (re-created, and reported, if
    /// Calendly disabled it); connecting creates it in the first place.
    public func checkSubscriptions() async throws {
        try await services.runtime.checkSubscriptions(webhookURL: configuration.webhookURL)
    }

    /// Reads back from Calendly what webhooks may have missed (issue 6 item 2): `.all` at start-up and
    /// after each subscription check, `.stale` (unconfirmed references only) in between.
    public func reconcile(_ scope: BookingReconciliation.Scope) async throws {
        try await services.runtime.reconcileAll(scope: scope)
    }

    /// After a restart every conversation that was waiting on Calendly resumes (looked up, never resent
    /// blindly) — with several hosts, those whose host died (`HostCoordination`); later, the jobs' holder
    /// resumes the conversations of hosts that die while it runs.
    public func recover(atStart: Bool = true) async throws -> Int {
        let waiting = try coordination.conversationsToResume(atStart: atStart)
        if atStart || !waiting.isEmpty { await services.runtime.recover(waiting) }
        return waiting.count
    }

    /// The retention jobs (PRD §12): expired references, failure logs, deliveries, old journal rows,
    /// stale OAuth verifiers. Daily aggregates are never touched, so counts do not change.
    public func purge() async throws -> RetentionReport {
        try await Self.purge(runtime: services.runtime, keeper: keeper)
    }

    static func purge(runtime: LiveRuntime<Store>, keeper: Store.Keeper) async throws -> RetentionReport {
        let outcome = try runtime.purge()
        let verifiers = try await keeper.deleteVerifiers(createdBefore: LiveCalendly.wallClock() - Retention.oauthVerifierLifetime)
        return RetentionReport(telemetry: outcome.telemetry.count, staleVerifiers: verifiers)
    }

    /// Serves on a free loopback port in the background (the bench; `serve` uses `application`).
    func serveInBackground() async throws -> (port: Int, stop: @Sendable () async -> Void) {
        try await startInBackground(router: buildRouter(services), host: configuration.host, port: 0)
    }

    public func shutdown() async {
        await emulator?.shutdown()
    }
}

public struct RetentionReport: Sendable, CustomStringConvertible {
    public var telemetry: Int
    public var staleVerifiers: Int
    public var description: String { "retention run done (\(staleVerifiers) stale OAuth verifiers removed)" }
}

/// The keeper seals PKCE verifiers like tokens; it is the host's verifier store as it is.
extension SealedTokenKeeper: VerifierStore {}

extension HostAssembly where Store == SQLiteStore {
    /// The default store: the SQLite file under the data directory.
    public static func make(configuration: HostConfiguration, environment: [String: String], emulatorPort: Int = 0, logger: Logger,
                            limits: ConnectionLimits = .unlimited,
                            observeCalendly: (any CalendlyPerformer) -> any CalendlyPerformer = { $0 }) async throws -> HostAssembly {
        try await make(configuration: configuration, environment: environment, store: try SQLiteStore(path: configuration.databasePath),
                       emulatorPort: emulatorPort, logger: logger, limits: limits, observeCalendly: observeCalendly)
    }
}
