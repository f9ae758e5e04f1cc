import Core
import Crypto
import Effects
import Foundation
import Interpreters
import Logging
import Synchronization

/// The host as the bench drives it: `buildRouter` over a `SQLiteStore` file, `LiveCalendly` talking
/// HTTP to an in-process emulator, served on a loopback port. Kept in this one function so the
/// `serve` assembly can replace it.
struct BenchHost {
    let baseURL: String
    let emulator: (baseURL: String, shutdown: @Sendable () async -> Void, model: EmulatorModel)
    let services: HostServices<SQLiteStore>
    let store: SQLiteStore
    /// Time spent inside Calendly calls (the emulator's own time, as LiveCalendly sees it).
    let calendly: TimedCalendly
    let stopServer: @Sendable () async -> Void

    static let jwtSecret = Array("bench-platform-secret-0123456789".utf8)
    static let signingKey = Array("bench-webhook-signing-key-0123456789".utf8)

    static func start(directory: String) async throws -> BenchHost {
        let emulator = try await startEmulator(seed: 1, faults: "none")
        let store = try SQLiteStore(path: directory + "/calendly-action.sqlite")
        // The port is known only once the server listens; the OAuth redirect URI need not be reachable,
        // because the bench reads the emulator's redirect and calls the callback itself.
        var configuration = HostConfiguration(publicBaseURL: "http://127.0.0.1:0", webhookSigningKey: signingKey, jwtSecret: jwtSecret,
                                              tokenEncryptionKey: Array(repeating: 11, count: 32))
        configuration.calendlyAPIBase = emulator.baseURL
        configuration.calendlyAuthBase = emulator.baseURL
        configuration.clientID = EmulatorModel.clientID
        configuration.clientSecret = EmulatorModel.clientSecret
        configuration.dataDirectory = directory
        let keeper = SQLiteTokenKeeper(store: store, vault: try TokenVault(key: .init(data: configuration.tokenEncryptionKey)))
        let live = LiveCalendly(configuration: LiveCalendly.Configuration(clientID: EmulatorModel.clientID, clientSecret: EmulatorModel.clientSecret,
                                                                          redirectURI: configuration.redirectURI, apiBase: emulator.baseURL,
                                                                          authBase: emulator.baseURL),
                                tokens: keeper, verifiers: keeper, logger: quietLogger("calendly"))
        let calendly = TimedCalendly(live)
        let metrics = Metrics()
        let runtime = LiveRuntime(store: store, calendly: calendly, sink: ConversationOutbox(),
                                  telemetry: MetricsTelemetry(metrics: metrics, logger: quietLogger("telemetry")),
                                  now: LiveCalendly.wallClock, logger: quietLogger("runtime"))
        let services = HostServices(runtime: runtime, configuration: configuration, clientID: EmulatorModel.clientID,
                                    signature: WebhookSignature(key: signingKey, hmac: CryptoHMAC.sha256), verifiers: KeeperVerifiers(keeper: keeper),
                                    outbox: ConversationOutbox(), metrics: metrics, now: LiveCalendly.wallClock,
                                    newSecret: { UUID().uuidString }, logger: quietLogger("host"))
        let server = try await startInBackground(router: buildRouter(services))
        return BenchHost(baseURL: "http://127.0.0.1:\(server.port)", emulator: emulator, services: services, store: store, calendly: calendly,
                         stopServer: server.stop)
    }

    func stop() async {
        await stopServer()
        await emulator.shutdown()
    }

    static func quietLogger(_ name: String) -> Logger {
        var logger = Logger(label: "calendly-action.bench.\(name)")
        logger.logLevel = .critical
        return logger
    }

    func token(_ role: Role) -> String {
        let principal = Principal(subject: "bench", account: "bench", role: role, features: [Access.feature], addons: [Access.addon], flags: [Access.flag])
        return "Bearer " + PlatformToken(secret: BenchHost.jwtSecret).sign(principal, issuedAt: LiveCalendly.wallClock(), lifetime: .hours(1))
    }

    /// Connects agent-1 through the real OAuth dance (host → emulator authorize → host callback) and
    /// saves a runnable action for the emulator's intro type.
    func connectAndConfigure(_ client: BenchHTTPClient) async throws {
        let admin = ["Authorization": token(.admin), "Content-Type": "application/json"]
        let agent = baseURL + "/v1/agents/agent-1/calendly"
        let connect = try await client.send("POST", agent + "/connect", headers: admin)
        guard let authorize = connect.json["authorizeUrl"] as? String else { throw BenchHTTPClient.Failure(description: "connect: \(connect.status)") }
        let consent = try await client.send("GET", authorize)
        guard let location = consent.location, let query = URLComponents(string: location)?.query else {
            throw BenchHTTPClient.Failure(description: "authorize did not redirect (\(consent.status))")
        }
        let callback = try await client.send("GET", baseURL + "/v1/oauth/calendly/callback?" + query)
        guard callback.status == 200 else { throw BenchHTTPClient.Failure(description: "callback: \(callback.status)") }
        _ = try await client.send("GET", agent + "/event-types", headers: admin)
        let draft = #"{"eventType":"\#(emulator.baseURL)/event_types/ET-INTRO","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#
        let saved = try await client.send("PUT", agent + "/action", headers: admin, body: Data(draft.utf8))
        guard saved.json["runnable"] as? Bool == true else {
            throw BenchHTTPClient.Failure(description: "action not saved: \(saved.status) \(String(decoding: saved.body, as: UTF8.self))")
        }
    }
}

/// The SQLite keeper as the host's verifier store (it already seals verifiers at rest).
struct KeeperVerifiers: VerifierStore {
    let keeper: SQLiteTokenKeeper
    func saveVerifier(state: String, verifier: String, at: Instant) async throws { try await keeper.saveVerifier(state: state, verifier: verifier, at: at) }
    func verifier(forState state: String) async -> String? { await keeper.verifier(forState: state) }
}

/// `LiveCalendly` with a stopwatch: the time spent in Calendly calls since the last `take()`.
final class TimedCalendly: CalendlyPerformer, Sendable {
    let inner: LiveCalendly
    private let spent = Mutex(Duration.zero)
    init(_ inner: LiveCalendly) { self.inner = inner }

    func perform(_ call: CalendlyCall) async -> CalendlyReply {
        let clock = ContinuousClock()
        let start = clock.now
        let reply = await inner.perform(call)
        let elapsed = clock.now - start
        spent.withLock { $0 += elapsed }
        return reply
    }

    func take() -> Duration { spent.withLock { value in defer { value = .zero }; return value } }
}
