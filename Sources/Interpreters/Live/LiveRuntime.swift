import Core
import Effects
import Foundation
import Logging

/// Performs a Calendly call; `LiveCalendly` over HTTP in production, anything in tests.
public protocol CalendlyPerformer: Sendable {
    func perform(_ call: CalendlyCall) async -> CalendlyReply
}

/// Where customer messages go when they are produced outside a request (after a reconcile timer,
/// or a webhook that beat the booking reply). In demo mode: an in-memory outbox the API exposes.
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
    let calendly: any CalendlyPerformer
    let sink: any MessageSink
    let telemetry: any TelemetrySink
    let now: @Sendable () -> Instant
    let mailboxes = KeyedSerializer()
    let logger: Logger

    public init(store: Store, calendly: any CalendlyPerformer, sink: any MessageSink, telemetry: any TelemetrySink,
                now: @escaping @Sendable () -> Instant, logger: Logger = Logger(label: "calendly-action.runtime")) {
        self.store = store; self.calendly = calendly; self.sink = sink; self.telemetry = telemetry; self.now = now; self.logger = logger
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
            await Result { try await self.driveConversation(id, input) }
        }.get()
    }

    func driveConversation(_ id: ConversationID, _ first: BookingConversation.Input) async throws -> StepResult {
        var result = StepResult()
        var queue: [BookingConversation.Input] = [first]
        while !queue.isEmpty {
            let input = queue.removeFirst()
            let at = now()
            let outcome = try store.transaction { tx -> LocalEffects.Outcome in
                var state = try tx.loadConversation(id) ?? BookingConversation(id: id)
                let before = state
                let effects = BookingConversation.reduce(&state, input)
                try tx.saveConversation(state)
                try tx.appendJournal(stream: "conversation:\(id)", at: at, kind: "conversation",
                                     payload: Self.record("conversation:\(id)", at, .conversation, id.rawValue, input, effects, before))
                return try Self.commitStep(effects, at: at, into: &tx)
            }
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
                case .schedule(let timer, let after):
                    scheduleTimer(id, timer, after)
                case .emit, .store, .notify, .log, .reject:
                    break
                }
            }
        }
        return result
    }

    func spawnConversation(_ id: ConversationID, _ input: BookingConversation.Input) {
        Task { [self] in
            do {
                let result = try await conversation(id, input)
                for message in result.messages { await sink.deliver(message) }
            } catch {
                logger.error("conversation step failed", metadata: ["conversation": "\(id)", "error": "\(error)"])
            }
        }
    }

    func spawnConfig(_ agent: AgentID, _ input: ActionConfig.Input) {
        Task { [self] in
            do { _ = try await config(agent, input) } catch {
                logger.error("config step failed", metadata: ["agent": "\(agent)", "error": "\(error)"])
            }
        }
    }

    func scheduleTimer(_ id: ConversationID, _ timer: TimerID, _ after: Span) {
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(after.milliseconds))
            spawnConversation(id, .timerFired(timer, at: now()))
        }
    }

    /// After a restart: every conversation that was waiting on Calendly resumes (DESIGN §5: a booking in
    /// doubt is looked up, never resent blindly).
    public func recover(_ ids: [ConversationID]) async {
        for id in ids { spawnConversation(id, .recovered(at: now())) }
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
            let input = queue.removeFirst()
            let at = now()
            let (state, outcome) = try store.transaction { tx -> (Connection, LocalEffects.Outcome) in
                var state = try tx.loadConnection(agent) ?? Connection(agent: agent)
                let before = state
                let effects = Connection.reduce(&state, input)
                try tx.saveConnection(state)
                try tx.appendJournal(stream: "agent:\(agent)", at: at, kind: "connection",
                                     payload: Self.record("agent:\(agent)", at, .connection, agent.rawValue, input.redactedForJournal, effects.map(\.redactedForJournal), before))
                var outcome = try Self.commitStep(effects, at: at, into: &tx)
                // The connection told its config (e.g. `connectionLost`): same agent, same transaction.
                let followUps = outcome.followUps
                outcome.followUps = []
                for followUp in followUps {
                    switch followUp {
                    case .config(let target, let configInput) where target == agent:
                        outcome.merge(try Self.configStep(agent, configInput, at: at, into: &tx))
                    case .config, .conversation, .connection:
                        outcome.followUps.append(followUp)
                    }
                }
                return (state, outcome)
            }
            last = state
            rejections += outcome.rejections
            for (request, reply) in await settleAgentStep(outcome) { queue.append(.calendlyReplied(request, reply, at: now())) }
        }
        return (last, rejections)
    }

    func driveAgentConfig(_ agent: AgentID, _ first: ActionConfig.Input) async throws -> (ActionConfig, [Rejection]) {
        var queue: [ActionConfig.Input] = [first]
        var rejections: [Rejection] = []
        var last = ActionConfig(agent: agent)
        while !queue.isEmpty {
            let input = queue.removeFirst()
            let at = now()
            let (state, outcome) = try store.transaction { tx -> (ActionConfig, LocalEffects.Outcome) in
                let outcome = try Self.configStep(agent, input, at: at, into: &tx)
                return (try tx.loadConfig(agent) ?? ActionConfig(agent: agent), outcome)
            }
            last = state
            rejections += outcome.rejections
            for (request, reply) in await settleAgentStep(outcome) { queue.append(.calendlyReplied(request, reply, at: now())) }
        }
        return (last, rejections)
    }

    /// One journaled `ActionConfig` step inside the caller's transaction.
    static func configStep(_ agent: AgentID, _ input: ActionConfig.Input, at: Instant, into tx: inout Store.Transaction) throws -> LocalEffects.Outcome {
        var state = try tx.loadConfig(agent) ?? ActionConfig(agent: agent)
        let before = state
        let effects = ActionConfig.reduce(&state, input)
        try tx.saveConfig(state)
        try tx.appendJournal(stream: "agent:\(agent)", at: at, kind: "config",
                             payload: record("agent:\(agent)", at, .config, agent.rawValue, input, effects, before))
        return try Self.commitStep(effects, at: at, into: &tx)
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

    // MARK: - Webhooks

    /// Verifies, dedupes and applies one delivery; the verdict tells the host what to answer.
    public func webhook(_ delivery: WebhookIntake.Delivery, signature: WebhookSignature) async throws -> WebhookIntake.Verdict {
        let at = now()
        let verdict = WebhookIntake.judge(delivery, at: at, signature: signature, processed: [:])
        switch verdict {
        case .rejected:
            // Not shown to come from Calendly: nothing is written (issue 10); the host counts it in memory.
            return verdict
        case .deadLettered(let reason):
            // Signed but unreadable: kept (bounded, emails redacted like the journal) and counted; the host acknowledges it.
            let letter = WebhookDeadLetter(reason: reason, receivedAt: at,
                                           body: Array(Redaction.redactEmails(String(decoding: delivery.body, as: UTF8.self)).utf8))
            await telemetry.observe(.webhookRejected(reason: reason, at: at))
            try store.transaction { tx in
                _ = LocalEffects.commit([.emit(.webhookRejected(reason: reason, at: at))], at: at, into: &tx)
                try tx.keepDeadLetter(letter, cap: Retention.deadLetterCap)
            }
            return verdict
        case .ignored, .duplicate:
            return verdict
        case .accepted(let notice):
            let outcome = try await mailboxes.run("webhooks") { [self] in
                Result {
                    try self.store.transaction { tx -> LocalEffects.Outcome? in
                        guard try tx.insertDeliveryIfNew(notice.delivery, at: at) else { return nil }
                        return try Self.commitStep([.notify(.inviteeNotice(notice))], at: at, into: &tx)
                    }
                }
            }.get()
            guard let outcome else { return .duplicate }
            for event in outcome.telemetry { await telemetry.observe(event) }
            for followUp in outcome.followUps {
                switch followUp {
                case .conversation(let id, let input): spawnConversation(id, input)
                case .config(let agent, let input): spawnConfig(agent, input)
                case .connection(let agent, let input): spawnConnection(agent, input)
                }
            }
            return verdict
        }
    }

    // MARK: - Retention

    /// The retention sweep of PRD §6.7 plus the journal's own 90 days, in one transaction.
    public func purge() throws -> LocalEffects.Outcome {
        let at = now()
        return try store.transaction { tx in
            try tx.deleteJournal(before: at - Retention.journalLifetime)
            try tx.deleteDeadLetters(before: at - Retention.deadLetterLifetime)
            return LocalEffects.sweep(now: at, into: &tx)
        }
    }

    /// Applies a step's local effects in its transaction; a step followed by a call that changes
    /// Calendly (booking, token refresh or revoke, subscriptions) must be on disk before that call.
    static func commitStep<Transaction: AggregateTransaction>(_ effects: [Effect], at: Instant, into tx: inout Transaction) throws -> LocalEffects.Outcome {
        var outcome = LocalEffects.commit(effects, at: at, into: &tx)
        if outcome.external.contains(where: { if case .calendly(_, let call) = $0 { call.changesCalendly } else { false } }) {
            tx.requireSyncedCommit()
        }
        try journalReferenceSteps(outcome.referenceSteps, at: at, into: &tx)
        outcome.referenceSteps = []
        return outcome
    }

    /// Booking-reference steps go to their conversation's stream (an export of the conversation then shows
    /// what webhooks did to its booking); a notice about no booking of ours goes to "webhooks".
    static func journalReferenceSteps<Transaction: AggregateTransaction>(_ steps: [LocalEffects.ReferenceStep], at: Instant,
                                                                        into tx: inout Transaction) throws {
        for step in steps {
            let stream = (step.after ?? step.before).map { "conversation:\($0.conversation)" } ?? "webhooks"
            let id = step.key?.rawValue ?? "unknown"
            try tx.appendJournal(stream: stream, at: at, kind: "reference",
                                 payload: record(stream, at, .reference, id, step.input, step.effects, step.before))
        }
    }

    /// A journal row's payload: the step as one record line of the journal's own format (redacted).
    static func record<I: JournalCodable, S: Encodable>(_ stream: String, _ at: Instant, _ aggregate: JournalRecord.Aggregate, _ id: String, _ input: I,
                                                        _ effects: [Effect], _ before: S) -> String {
        JournalFormat.line(JournalRecord(stream: stream, at: at, aggregate: aggregate, id: id, input: input, effects: effects, stateBefore: before))
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
