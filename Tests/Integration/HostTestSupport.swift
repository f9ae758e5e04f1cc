import Core
import Effects
import Foundation
import Hummingbird
import HummingbirdTesting
import Interpreters
import Synchronization
@testable import Host

/// A settable clock: tests move time explicitly, never read the wall clock.
final class TestClock: Sendable {
    private let current: Mutex<Instant>
    init(_ start: Instant) { current = Mutex(start) }
    var now: Instant { current.withLock { $0 } }
    func advance(_ span: Span) { current.withLock { $0 = $0 + span } }
}

final class MemoryVerifiers: VerifierStore, Sendable {
    private let verifiers = Mutex<[String: String]>([:])
    func saveVerifier(state: String, verifier: String, at: Instant) async throws { verifiers.withLock { $0[state] = verifier } }
    func verifier(forState state: String) async -> String? { verifiers.withLock { $0[state] } }
}

/// The host wired to an in-memory store and the in-process Calendly model.
struct HostHarness {
    static let start = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let jwtSecret = Array("test-platform-secret-0123456789".utf8)
    static let signingKey = Array("test-webhook-signing-key".utf8)
    static let host = CalendlyUser(uri: "https://api.calendly.com/users/HOST", email: "host@example.com",
                                   organization: "https://api.calendly.com/organizations/ORG", schedulingURL: "https://calendly.com/host")
    static let intro = EventType(uri: "https://api.calendly.com/event_types/INTRO", name: "Intro call", durationMinutes: 30,
                                 schedulingURL: "https://calendly.com/host/intro", customQuestions: [CustomQuestion(name: "Company", position: 0)])

    let clock = TestClock(HostHarness.start)
    let store = MemoryRuntimeStore()
    let calendly: SimCalendlyPerformer
    let services: HostServices<MemoryRuntimeStore>
    let signature = WebhookSignature(key: HostHarness.signingKey, hmac: CryptoHMAC.sha256)

    /// `wrap` lets a test watch or slow the Calendly calls the runtime makes.
    init(scopes: [String] = Connection.requiredScopes, organizationAdmin: Bool = true,
         wrap: (any CalendlyPerformer) -> any CalendlyPerformer = { $0 }) {
        let clock = self.clock
        calendly = HostHarness.calendly(scopes: scopes, organizationAdmin: organizationAdmin, clock: clock)
        services = HostHarness.services(store: store, calendly: wrap(calendly), clock: clock)
    }

    /// The in-process Calendly model with the event types the route tests use.
    static func calendly(scopes: [String] = Connection.requiredScopes, organizationAdmin: Bool = true, clock: TestClock) -> SimCalendlyPerformer {
        var model = SimCalendly()
        model.addEventType(HostHarness.intro)
        model.addEventType(EventType(uri: "https://api.calendly.com/event_types/TEAM", name: "Team round robin", poolingType: .roundRobin,
                                     schedulingURL: "https://calendly.com/team/rr"))
        model.addEventType(EventType(uri: "https://api.calendly.com/event_types/PAID", name: "Paid consult", isPaid: true, schedulingURL: "https://calendly.com/host/paid"))
        model.addEventType(EventType(uri: "https://api.calendly.com/event_types/GROUP", name: "Group webinar", kind: .group, schedulingURL: "https://calendly.com/host/webinar"))
        return SimCalendlyPerformer(calendly: model, account: .init(user: HostHarness.host, scopes: scopes, organizationAdmin: organizationAdmin),
                                    now: { clock.now })
    }

    /// The host's services over any store (the harness uses memory; journal tests use SQLite files).
    static func services<Store: TransactionalStore>(store: Store, calendly: any CalendlyPerformer, clock: TestClock) -> HostServices<Store> {
        let signature = WebhookSignature(key: HostHarness.signingKey, hmac: CryptoHMAC.sha256)
        let configuration = HostConfiguration(publicBaseURL: "http://127.0.0.1:8080", webhookSigningKey: HostHarness.signingKey,
                                              jwtSecret: HostHarness.jwtSecret, tokenEncryptionKey: Array(repeating: 7, count: 32))
        let counter = Mutex(0)
        let metrics = Metrics()
        let runtime = LiveRuntime(store: store, calendly: calendly, sink: OutboxSignal(metrics: metrics), telemetry: MetricsTelemetry(metrics: metrics, logger: .init(label: "test")),
                                  now: { clock.now })
        return HostServices(runtime: runtime, configuration: configuration, clientID: "test-client", signature: signature,
                            verifiers: MemoryVerifiers(), metrics: metrics, now: { clock.now },
                            newSecret: { counter.withLock { $0 += 1; return "secret\($0)" } }, logger: .init(label: "test"))
    }

    var application: some ApplicationProtocol { Application(router: buildRouter(services)) }

    static func token(_ role: Role, account: String = "acme", entitled: Bool = true, expiresIn: Span = .hours(1), at: Instant = start) -> String {
        let principal = Principal(subject: "u1", account: AccountID(account), role: role, features: entitled ? [Access.feature] : [],
                                  addons: entitled ? [Access.addon] : [], flags: entitled ? [Access.flag] : [])
        return "Bearer " + PlatformToken(secret: jwtSecret).sign(principal, issuedAt: at, lifetime: expiresIn)
    }
}

extension TestClientProtocol {
    /// Sends a request and returns (status, parsed JSON object or nil, raw body).
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String? = nil, headers extra: HTTPFields = [:],
              body raw: [UInt8]? = nil) async throws -> (Int, [String: Any], String) {
        var headers = extra
        if let token { headers[.authorization] = token }
        if json != nil { headers[.contentType] = "application/json" }
        let body = raw.map { ByteBuffer(bytes: $0) } ?? json.map { ByteBuffer(string: $0) }
        return try await execute(uri: uri, method: method, headers: headers, body: body) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object, text)
        }
    }
}

import HTTPTypes
