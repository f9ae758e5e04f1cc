import Core
import Effects
import Foundation
import Logging

/// Performs a Calendly call; `LiveCalendly` over HTTP in production, anything in tests.
public protocol CalendlyPerformer: Sendable {
    func perform(_ call: CalendlyCall) async -> CalendlyReply
}

/// Told about each customer message produced outside a request (after a reconcile timer, or a webhook
/// that beat the booking reply) once it is committed to the conversation's durable outbox — a wake-up for
/// whoever delivers it (the callback deliverer); `GET …/messages?after=SEQ` reads the outbox itself.
public protocol MessageSink: Sendable {
    func deliver(_ message: ChannelMessage) async
}

public protocol TelemetrySink: Sendable {
    func observe(_ event: TelemetryEvent) async
}

/// The runtime driver loop of DESIGN §1: input → reducer → (state + local effects in one transaction)
/// → external effects through the interpreters → their results as new inputs, until quiet.
/// One serial mailbox per aggregate; the clock is read here, never in the core.
public final class LiveRuntime<Store: TransactionalStore>: Sendable {
    public let store: Store
    /// The synchronous step engine this shell drives (the simulator drives the same one).
    public let engine: StepEngine<Store>
    let calendly: any CalendlyPerformer
    let sink: any MessageSink
    let telemetry: any TelemetrySink
    let now: @Sendable () -> Instant
    let mailboxes = KeyedSerializer()
    let logger: Logger

    /// `quotaTier` is the Calendly plan whose booking cap the engine enforces before each `POST /invitees`
    /// (nil: no cap, for tests that count calls themselves).
    public init(store: Store, calendly: any CalendlyPerformer, sink: any MessageSink, telemetry: any TelemetrySink,
                now: @escaping @Sendable () -> Instant, quotaTier: BookingQuota.Tier? = nil, logger: Logger = Logger(label: "calendly-action.runtime")) {
        self.store = store; self.calendly = calendly; self.sink = sink; self.telemetry = telemetry; self.now = now; self.logger = logger
        engine = StepEngine(store: store, quotaTier: quotaTier)
    }

    public struct StepResult: Sendable {
        public var messages: [ChannelMessage] = []
        public var rejections: [Rejection] = []
    }

    public enum RuntimeError: Error, CustomStringConvertible {
        case storage(String)
        public var description: String {
            switch self { case .storage(let message): return "storage error: \(message)" }
        }
    }

    // MARK: - Conversations

    /// Runs `input` and everything it causes until the conversation waits on the customer or a timer.
    public func conversation(_ id: ConversationID, _ input: BookingConversation.Input) async throws -> StepResult {
        try await mailboxes.run("conversation:\(id)") { [self] in
            await Result { try await self.driveConversation(id, input, origin: .request) }
        }.get()
    }

    typealias Origin = StepOrigin

    func driveConversation(_ id: ConversationID, _ first: BookingConversation.Input, origin: Origin) async throws -> StepResult {
        var result = StepResult()
        var queue: [BookingConversation.Input] = [first]
        var stepOrigin = origin
        while !queue.isEmpty {
            let input = queue.removeFirst()
            let step = try engine.conversation(id, input, origin: stepOrigin, at: now())
            stepOrigin = origin.continuation
            guard let step else { return result }
            for message in step.outboxed { await sink.deliver(message.message) }
            if let earliestTimer = step.earliestTimer { wakeForTimers(at: earliestTimer) }
            let outcome = step.outcome
            result.rejections += outcome.rejections
            for entry in outcome.logs { log(entry, conversation: id) }
            for event in outcome.telemetry { await telemetry.observe(event) }
            for followUp in outcome.followUps {
                switch followUp {
                case .conversation(let target, let next):
                    if target == id { queue.append(next) } else { spawnConversation(target, next) }
                case .config(let agent, let next):
                    spawnConfig(agent, next)
                case .connection(let agent, let next):
                    spawnConnection(agent, next)
                }
            }
            for effect in outcome.external {
                switch effect {
                case .send(let message):
                    result.messages.append(message)
                case .calendly(let request, let call):
                    let reply = await calendly.perform(call)
                    queue.append(.calendlyReplied(request, reply, at: now()))
                case .schedule, .emit, .store, .notify, .log, .reject:
                    break
                }
            }
        }
        return result
    }

    func spawnConversation(_ id: ConversationID, _ input: BookingConversation.Input) {
        Task { [self] in
            do { _ = try await background(id, input, origin: .background) } catch {
                logger.error("conversation step failed", metadata: ["conversation": "\(id)", "error": "\(error)"])
            }
        }
    }

    /// A drive no request waits on: its customer messages go to the durable outbox.
    func background(_ id: ConversationID, _ input: BookingConversation.Input, origin: Origin) async throws -> StepResult {
        try await mailboxes.run("conversation:\(id)") { [self] in
            await Result { try await self.driveConversation(id, input, origin: origin) }
        }.get()
    }

    func spawnConfig(_ agent: AgentID, _ input: ActionConfig.Input) {
        Task { [self] in
            do { _ = try await config(agent, input) } catch {
                logger.error("config step failed", metadata: ["agent": "\(agent)", "error": "\(error)"])
            }
        }
    }

    /// An in-process wake-up when a durable timer falls due; the timer itself is a row, so a restart (or a
    /// host's periodic `fireDueTimers`) fires it just the same, and only once.
    func wakeForTimers(at due: Instant) {
        let wait = max(Int64(0), (due - now()).milliseconds)
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(wait))
            do { _ = try await fireDueTimers() } catch {
                logger.error("firing due timers failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Fires every durable timer due now (each in its conversation's mailbox, at most once); returns how many fired.
    @discardableResult
    public func fireDueTimers(limit: Int = 500) async throws -> Int {
        let due = try store.transaction { tx in try tx.dueTimers(at: now(), limit: limit) }
        var fired = 0
        for timer in due {
            let input = BookingConversation.Input.timerFired(timer.timer, at: now())
            if (try? await background(timer.conversation, input, origin: .timer(timer.timer))) != nil { fired += 1 }
        }
        return fired
    }

    /// After a restart: every conversation that was waiting on Calendly resumes (DESIGN §5: a booking in
    /// doubt is looked up, never resent blindly), and timers that fell due while the process was down fire.
    public func recover(_ ids: [ConversationID]) async {
        for id in ids { spawnConversation(id, .recovered(at: now())) }
        Task { [self] in
            do { _ = try await fireDueTimers() } catch { logger.error("firing due timers failed", metadata: ["error": "\(error)"]) }
        }
    }

    /// The conversation's outbox after `after` (a poller's cursor), in order.
    public func outbox(_ id: ConversationID, after: Int64, limit: Int = 100) throws -> [OutboxMessage] {
        try store.transaction { tx in try tx.outbox(id, after: after, limit: limit) }
    }

    /// The conversation and its outbox after `after`, for a poller that stops once the state is final:
    /// the state is read first, the outbox after it, so a state that says `confirmed` always comes with
    /// the card its step wrote (they commit together). Read the other way round — or on PostgreSQL, where
    /// each statement of a READ COMMITTED transaction sees its own snapshot — a step committing in between
    /// showed `confirmed` with the card missing, and the poller stopped without it.
    public func conversationWithOutbox(_ id: ConversationID, after: Int64, limit: Int = 100) throws -> (BookingConversation, [OutboxMessage])? {
        try store.transaction { tx in
            guard let conversation = try tx.loadConversation(id) else { return nil }
            return (conversation, try tx.outbox(id, after: after, limit: limit))
        }
    }

    public func conversationState(_ id: ConversationID) throws -> BookingConversation? {
        try store.transaction { tx in try tx.loadConversation(id) }
    }

    // MARK: - Connection and action config (admin)

    public func connection(_ agent: AgentID, _ input: Connection.Input) async throws -> (Connection, [Rejection]) {
        try await mailboxes.run("agent:\(agent)") { [self] in
            await Result { try await self.driveAgent(agent, input) }
        }.get()
    }

    public func config(_ agent: AgentID, _ input: ActionConfig.Input) async throws -> (ActionConfig, [Rejection]) {
        try await mailboxes.run("agent:\(agent)") { [self] in
            await Result { try await self.driveAgentConfig(agent, input) }
        }.get()
    }

    func driveAgent(_ agent: AgentID, _ first: Connection.Input) async throws -> (Connection, [Rejection]) {
        var queue: [Connection.Input] = [first]
        var rejections: [Rejection] = []
        var last = Connection(agent: agent)
        while !queue.isEmpty {
            let step = try engine.connection(agent, queue.removeFirst(), at: now())
            last = step.state
            rejections += step.outcome.rejections
            for (request, reply) in await settleAgentStep(step.outcome) { queue.append(.calendlyReplied(request, reply, at: now())) }
        }
        return (last, rejections)
    }

    func driveAgentConfig(_ agent: AgentID, _ first: ActionConfig.Input) async throws -> (ActionConfig, [Rejection]) {
        var queue: [ActionConfig.Input] = [first]
        var rejections: [Rejection] = []
        var last = ActionConfig(agent: agent)
        while !queue.isEmpty {
            let step = try engine.config(agent, queue.removeFirst(), at: now())
            last = step.state
            rejections += step.outcome.rejections
            for (request, reply) in await settleAgentStep(step.outcome) { queue.append(.calendlyReplied(request, reply, at: now())) }
        }
        return (last, rejections)
    }

    /// Observes an admin step's telemetry and logs and performs its Calendly calls, in order; the
    /// replies go back to the same aggregate as inputs.
    func settleAgentStep(_ outcome: LocalEffects.Outcome) async -> [(RequestID, CalendlyReply)] {
        for event in outcome.telemetry { await telemetry.observe(event) }
        for entry in outcome.logs { log(entry, conversation: nil) }
        for followUp in outcome.followUps {
            switch followUp {
            case .conversation(let id, let input): spawnConversation(id, input)
            case .config(let agent, let input): spawnConfig(agent, input)
            case .connection(let agent, let input): spawnConnection(agent, input)
            }
        }
        var replies: [(RequestID, CalendlyReply)] = []
        for effect in outcome.external {
            if case .calendly(let request, let call) = effect { replies.append((request, await calendly.perform(call))) }
        }
        return replies
    }

    // MARK: - Webhook subscription care

    /// The periodic (and start-up) webhook subscription check for one agent: lists the subscriptions at
    /// Calendly and re-creates ours when it is missing or disabled (`Connection.subscriptionCheck`).
    /// `webhookURL` is `<PUBLIC_BASE_URL>/v1/webhooks/calendly`. Does nothing for an agent not connected.
    @discardableResult
    public func checkSubscription(agent: AgentID, webhookURL: String) async throws -> Connection {
        try await connection(agent, .subscriptionCheck(webhookURL: webhookURL, at: now())).0
    }

    /// `checkSubscription` for every agent with a connected account, one after another.
    public func checkSubscriptions(webhookURL: String) async throws {
        let agents = try store.transaction { tx in try tx.connectedAgents() }
        for agent in agents { try await checkSubscription(agent: agent, webhookURL: webhookURL) }
    }

    // MARK: - Disconnect

    /// Disconnects `agent` (S01 AC-4). Calendly keeps one webhook subscription per organization and URL,
    /// so when another connected agent of the same organization still relies on it, it is not deleted.
    public func disconnect(_ agent: AgentID) async throws -> Connection {
        let at = now()
        let input = try store.transaction { tx -> Connection.Input in
            let mine = try tx.loadConnection(agent) ?? Connection(agent: agent)
            let others = try tx.connectedAgents().filter { $0 != agent }.compactMap { try tx.loadConnection($0) }
            return mine.disconnectInput(others: others, at: at)
        }
        return try await connection(agent, input).0
    }

    // MARK: - Reconciliation

    /// Reads back from Calendly the window `BookingReconciliation` picks for this agent's open
    /// references and applies what it finds like webhooks (issue 6 item 2). Nil when nothing needed a look.
    @discardableResult
    public func reconcile(agent: AgentID, scope: BookingReconciliation.Scope) async throws -> BookingReconciliation.Window? {
        let at = now()
        let (references, linkTypes) = try store.transaction { tx in
            (try tx.openReferences(agent: agent), try tx.fallbackEventTypes(agent: agent, since: at - FallbackLink.offerLifetime))
        }
        guard let window = BookingReconciliation.window(for: references, linkEventTypes: linkTypes, scope: scope, now: at) else { return nil }
        _ = try await connection(agent, .reconcileDue(window, at: at))
        return window
    }

    /// `reconcile` for every agent with a connected account, one after another.
    /// Agents without a webhook subscription in place get a full run whatever `scope` says
    /// (`BookingReconciliation.scope`).
    public func reconcileAll(scope: BookingReconciliation.Scope) async throws {
        let agents = try store.transaction { tx in
            try tx.connectedAgents().map { agent in (agent, try tx.loadConnection(agent)?.webhooks.subscription != nil) }
        }
        for (agent, subscribed) in agents {
            try await reconcile(agent: agent, scope: BookingReconciliation.scope(scope, subscribed: subscribed))
        }
    }

    /// Reads an agent's connection and config consistently (for the admin view and for triggers).
    public func agentState(_ agent: AgentID) throws -> (Connection, ActionConfig) {
        try store.transaction { tx in
            (try tx.loadConnection(agent) ?? Connection(agent: agent), try tx.loadConfig(agent) ?? ActionConfig(agent: agent))
        }
    }

    // MARK: - Retention

    /// The retention sweep of PRD §6.7 plus the journal's own 90 days, in one transaction.
    public func purge() throws -> LocalEffects.Outcome {
        let at = now()
        return try store.transaction { tx in
            try tx.deleteJournal(before: at - Retention.journalLifetime)
            try tx.deleteDeadLetters(before: at - Retention.deadLetterLifetime)
            try tx.deleteOutbox(before: at - Retention.outboxLifetime)
            return LocalEffects.sweep(now: at, into: &tx)
        }
    }

    /// Applies a step's local effects in its transaction (the engine's commit, with the journal).
    static func commitStep<Transaction: AggregateTransaction>(_ effects: [Effect], at: Instant, into tx: inout Transaction) throws -> LocalEffects.Outcome {
        try StepEngine<Store>.commitStep(effects, at: at, journals: true, into: &tx)
    }

    func log(_ entry: LogEntry, conversation: ConversationID?) {
        var metadata: Logger.Metadata = [:]
        if let conversation { metadata["conversation"] = "\(conversation)" }
        switch entry.level {
        case .debug: logger.debug("\(entry.message)", metadata: metadata)
        case .info: logger.info("\(entry.message)", metadata: metadata)
        case .warning: logger.warning("\(entry.message)", metadata: metadata)
        case .error: logger.error("\(entry.message)", metadata: metadata)
        }
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension Connection.Input {
    /// The OAuth authorization code is a credential: journals keep that one arrived, never its value.
    public var redactedForJournal: Connection.Input {
        switch self {
        case .authorizationGranted(let state, _, let at): return .authorizationGranted(state, code: "<redacted>", at: at)
        case .connectRequested, .authorizationDenied, .calendlyReplied, .refreshDue, .tokenCheck, .disconnectRequested, .disconnectKeepingSubscription,
             .subscriptionCheck, .reconcileDue:
            return self
        }
    }
}

extension Effect {
    /// Keeps OAuth codes out of journals (effects carry the code to the exchange call).
    public var redactedForJournal: Effect {
        if case .calendly(let request, .exchangeCode(_, let verifier, let agent)) = self {
            return .calendly(request, .exchangeCode(code: "<redacted>", verifier: verifier, agent: agent))
        }
        return self
    }
}
