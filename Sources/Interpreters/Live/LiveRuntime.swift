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
            await Result { try await self.driveConversation(id, input, origin: .request) }
        }.get()
    }

    /// Who receives a drive's customer messages: the request that caused it (in its response), or — for
    /// steps no request waits on (webhooks, timers, recovery) — the conversation's durable outbox, written
    /// in the step's transaction. `.timer` is a background drive started by a due durable timer: it runs
    /// only if the timer is still pending (so two wake-ups for one timer fire it once).
    enum Origin: Equatable { case request, background, timer(TimerID) }

    func driveConversation(_ id: ConversationID, _ first: BookingConversation.Input, origin: Origin) async throws -> StepResult {
        var result = StepResult()
        var queue: [BookingConversation.Input] = [first]
        var firstStep = true
        while !queue.isEmpty {
            let input = queue.removeFirst()
            let at = now()
            let timerToClaim: TimerID? = if firstStep, case .timer(let timer) = origin { timer } else { nil }
            firstStep = false
            let committed = try store.transaction { tx -> (LocalEffects.Outcome, [ChannelMessage], Instant?)? in
                if let timerToClaim, try !tx.deleteTimer(id, timerToClaim) { return nil }
                if timerToClaim == nil, case .timerFired(let timer, _) = input { try tx.deleteTimer(id, timer) }
                var state = try tx.loadConversation(id) ?? BookingConversation(id: id)
                let before = state
                let effects = BookingConversation.reduce(&state, input)
                try tx.saveConversation(state)
                try tx.appendJournal(stream: "conversation:\(id)", at: at, kind: "conversation",
                                     payload: Self.record("conversation:\(id)", at, .conversation, id.rawValue, input, effects, before))
                var outcome = try Self.commitStep(effects, at: at, into: &tx)
                // Timers and messages no request waits on are durable, in this same transaction (issue 11).
                var outboxed: [ChannelMessage] = []
                var earliestTimer: Instant?
                outcome.external = try outcome.external.filter { effect in
                    switch effect {
                    case .schedule(let timer, let after):
                        let due = at + after
                        try tx.putTimer(DurableTimer(conversation: id, timer: timer, due: due))
                        earliestTimer = min(earliestTimer ?? due, due)
                        return false
                    case .send(let message) where origin != .request:
                        _ = try tx.appendOutbox(message, at: at)
                        outboxed.append(message)
                        return false
                    case .send, .calendly, .emit, .store, .notify, .log, .reject:
                        return true
                    }
                }
                return (outcome, outboxed, earliestTimer)
            }
            guard let (outcome, outboxed, earliestTimer) = committed else { return result }
            for message in outboxed { await sink.deliver(message) }
            if let earliestTimer { wakeForTimers(at: earliestTimer) }
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
