import Core
import Crypto
import Effects
import Foundation
import Hummingbird
import HummingbirdCore
import Interpreters
import Logging
import PostgresStore
import Synchronization

/// The host as the bench drives it: `buildRouter` over a `SQLiteStore` file, `LiveCalendly` talking
/// HTTP to an in-process emulator, served on a loopback port. Kept in this one function so the
/// `serve` assembly can replace it.
struct BenchHost {
    let baseURL: String
    /// The SQLite assembly (nil when the bench runs this host on PostgreSQL: `DATABASE_URL`).
    let sqlite: HostAssembly<SQLiteStore>?
    let emulator: DemoCalendly
    var assembly: HostAssembly<SQLiteStore> {
        guard let sqlite else { preconditionFailure("a SQLite-only bench ran on the PostgreSQL host") }
        return sqlite
    }
    var store: SQLiteStore { assembly.store }
    /// Webhook deliveries stored so far (the ingest bench's check that each accepted delivery was kept).
    let storedDeliveries: @Sendable () throws -> Int
    /// Time spent inside Calendly calls (the emulator's own time, as LiveCalendly sees it).
    let calendly: TimedCalendly
    /// Time the server spent answering requests (router in, response out).
    let server: ServerTime
    let stopServer: @Sendable () async -> Void
    let stopAssembly: @Sendable () async -> Void

    static let jwtSecret = Array("bench-platform-secret-0123456789".utf8)
    static let signingKey = Array("bench-webhook-signing-key-0123456789".utf8)

    /// `serve`'s own assembly in demo mode (SQLite file, vault, LiveCalendly, in-process emulator) on a
    /// free port. The OAuth redirect URI need not be reachable: the bench follows the redirect itself.
    static func start(directory: String) async throws -> BenchHost {
        let configuration = try self.configuration(directory: directory)
        let timed = Mutex<TimedCalendly?>(nil)
        let assembly = try await HostAssembly<SQLiteStore>.make(configuration: configuration, environment: [:], logger: quietLogger("host")) { live in
            timed.withLock { $0 = TimedCalendly(live) }
            return timed.withLock { $0! }
        }
        let store = assembly.store
        return try await start(assembly, sqlite: assembly, timed: timed.withLock { $0 }) { try store.transaction { try $0.count(.webhookDeliveries) } }
    }

    /// The same host on PostgreSQL (issue 13): the bench's runtime turns and webhook ingest, side by side with SQLite.
    static func startPostgres(url: DatabaseURL, schema: String, directory: String) async throws -> BenchHost {
        let configuration = try self.configuration(directory: directory)
        let timed = Mutex<TimedCalendly?>(nil)
        let store = try PostgresStore(url: url, schema: schema, poolSize: 8, logger: quietLogger("postgres"))
        let assembly = try await HostAssembly.make(configuration: configuration, environment: [:], store: store, logger: quietLogger("host")) { live in
            timed.withLock { $0 = TimedCalendly(live) }
            return timed.withLock { $0! }
        }
        let host = try await start(assembly, sqlite: nil, timed: timed.withLock { $0 }) { try store.countWebhookDeliveries() }
        // The bench's schema goes when the host stops (the database is someone's: nothing of the bench stays in it).
        return BenchHost(baseURL: host.baseURL, sqlite: nil, emulator: host.emulator, storedDeliveries: host.storedDeliveries, calendly: host.calendly,
                         server: host.server, stopServer: host.stopServer, stopAssembly: {
                             await host.stopAssembly()
                             try? store.dropSchema()
                         })
    }

    static func configuration(directory: String) throws -> HostConfiguration {
        var configuration = HostConfiguration(publicBaseURL: "http://127.0.0.1:0", webhookSigningKey: signingKey, jwtSecret: jwtSecret,
                                              tokenEncryptionKey: Array(repeating: 11, count: 32))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        configuration.dataDirectory = directory
        // Hundreds of bookings a minute for one Calendly user: only the enterprise cap (500/min) allows that.
        configuration.planTier = .enterprise
        return configuration
    }

    static func start<Store>(_ assembly: HostAssembly<Store>, sqlite: HostAssembly<SQLiteStore>?, timed: TimedCalendly?,
                             storedDeliveries: @escaping @Sendable () throws -> Int) async throws -> BenchHost {
        guard let emulator = assembly.emulator, let calendly = timed else {
            throw BenchHTTPClient.Failure(description: "the bench needs demo mode (no Calendly credentials)")
        }
        let serverTime = ServerTime()
        let server = try await serve(assembly, timing: serverTime)
        return BenchHost(baseURL: "http://127.0.0.1:\(server.port)", sqlite: sqlite, emulator: emulator, storedDeliveries: storedDeliveries,
                         calendly: calendly, server: serverTime, stopServer: server.stop, stopAssembly: { await assembly.shutdown() })
    }

    /// `serve`'s application (same routes, same guarded HTTP/1 channel and connection cap) on a free
    /// loopback port, its router timed; returns once it listens.
    static func serve<Store>(_ assembly: HostAssembly<Store>, timing: ServerTime) async throws -> (port: Int, stop: @Sendable () async -> Void) {
        let (started, continuation) = AsyncStream.makeStream(of: Int.self)
        let limits = assembly.services.limits
        let app = Application(
            router: TimedRouter(router: buildRouter(assembly.services), spent: timing),
            server: .guardedHTTP1(limits: limits, metrics: assembly.services.metrics),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "calendly-action",
                                 availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: quietLogger("http"))),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0); continuation.finish() },
            logger: quietLogger("http")
        )
        let task = Task {
            do { try await app.run() } catch {}
            continuation.finish()
        }
        var bound: Int?
        for await port in started { bound = port; break }
        guard let bound, bound > 0 else {
            task.cancel()
            throw BenchHTTPClient.Failure(description: "the bench host could not listen on loopback")
        }
        return (bound, { task.cancel(); _ = await task.result })
    }

    func stop() async {
        await stopServer()
        await stopAssembly()
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

/// `LiveCalendly` with a stopwatch: the time spent in Calendly calls since the last `take()`.
final class TimedCalendly: CalendlyPerformer, Sendable {
    let inner: any CalendlyPerformer
    private let spent = Mutex((time: Duration.zero, calls: 0))
    init(_ inner: any CalendlyPerformer) { self.inner = inner }

    func perform(_ call: CalendlyCall) async -> CalendlyReply {
        let clock = ContinuousClock()
        let start = clock.now
        let reply = await inner.perform(call)
        let elapsed = clock.now - start
        spent.withLock { $0.time += elapsed; $0.calls += 1 }
        return reply
    }

    func take() -> Duration { takeWithCount().time }
    /// The time and the number of calls since the last take (the worst turn's detail names both).
    func takeWithCount() -> (time: Duration, calls: Int) { spent.withLock { value in defer { value = (.zero, 0) }; return value } }
}
