import Core
import Effects
import Foundation
import Interpreters
import Logging
import Synchronization

/// Saves the PKCE verifier minted for an OAuth `state` (sealed at rest by the SQLite keeper).
public protocol VerifierStore: PKCEVerifiers {
    func saveVerifier(state: String, verifier: String, at: Instant) async throws
}

/// Told when the runtime commits a customer message to a conversation's durable outbox (a webhook, a
/// timer or recovery produced it). Counts them; the callback deliverer wakes on it when one is configured.
public final class OutboxSignal: MessageSink, Sendable {
    let metrics: Metrics
    /// The callback deliverer's wake-up (`MessageCallback.wake`); without a callback nothing waits on it.
    let wake: @Sendable () -> Void
    public init(metrics: Metrics, wake: @escaping @Sendable () -> Void = {}) { self.metrics = metrics; self.wake = wake }
    public func deliver(_ message: ChannelMessage) async {
        metrics.increment("calendly_outbox_messages_total", help: "Customer messages written to the durable outbox (produced outside a request)")
        wake()
    }
}

/// Telemetry → Prometheus counters, the log, and the alert rules.
public struct MetricsTelemetry: TelemetrySink {
    let metrics: Metrics
    let logger: Logger
    let alerts: AlertMonitor

    public init(metrics: Metrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
        alerts = AlertMonitor(metrics: metrics, logger: logger)
    }

    public func observe(_ event: TelemetryEvent) async {
        metrics.increment("calendly_events_total", labels: ["event": event.name], help: "calendly_* product events (PRD §13)")
        logger.info("\(event.name)", metadata: ["agent": "\(event.agent?.rawValue ?? "-")"])
        alerts.observe(event)
    }
}

/// Everything the routes need. The host is a shim: it authenticates, decodes, stamps time and ids,
/// hands an input to the runtime and encodes what comes back.
public final class HostServices<Store: TransactionalStore>: Sendable {
    public let runtime: LiveRuntime<Store>
    public let configuration: HostConfiguration
    /// The OAuth client id: Calendly's, or the emulator's in demo mode.
    public let clientID: String
    public let tokens: PlatformToken
    public let signature: WebhookSignature
    public let verifiers: any VerifierStore
    public let metrics: Metrics
    public let now: @Sendable () -> Instant
    public let newSecret: @Sendable () -> String
    public let logger: Logger
    let conversationReferences: ConversationReferences
    /// Timeouts, connection cap and per-account budgets (`serve` reads them from the environment).
    public let limits: ConnectionLimits
    let rateLimiter: AccountRateLimiter

    public init(runtime: LiveRuntime<Store>, configuration: HostConfiguration, clientID: String, signature: WebhookSignature, verifiers: any VerifierStore,
                metrics: Metrics, now: @escaping @Sendable () -> Instant,
                newSecret: @escaping @Sendable () -> String, logger: Logger, limits: ConnectionLimits = .unlimited) {
        self.runtime = runtime; self.configuration = configuration; self.clientID = clientID; self.tokens = PlatformToken(secret: configuration.jwtSecret, policy: configuration.tokenPolicy)
        self.signature = signature; self.verifiers = verifiers; self.metrics = metrics; self.now = now
        self.newSecret = newSecret; self.logger = logger
        conversationReferences = ConversationReferences(secret: configuration.jwtSecret)
        self.limits = limits
        rateLimiter = AccountRateLimiter(limits)
    }

    /// Agents and conversations are namespaced by the caller's account, so one tenant can never read
    /// or write another's — a foreign id is simply not there (404, never 403).
    public func agentID(_ principal: Principal, _ raw: String) -> AgentID { AgentID("\(principal.account.rawValue):\(raw)") }
    public func conversationID(_ principal: Principal, _ raw: String) -> ConversationID { ConversationID("\(principal.account.rawValue):\(raw)") }
}
