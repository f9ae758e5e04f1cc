import Core
import Effects

/// The one driver step of DESIGN §1, shared by production and the simulator (issue 11 "one driver"):
/// load → reduce → commit state + journal + local effects (+ durable timers and outbox, + the booking
/// quota) in one transaction → hand the external effects and follow-ups back to the caller.
///
/// Synchronous and deterministic: the caller passes `at`; nothing here reads a clock, sleeps or spawns.
/// `LiveRuntime` is the async shell around it (mailboxes, Calendly over HTTP, wake-ups) and
/// `SimulationShell` the simulated one (virtual clock, seeded faults, an event queue).
public struct StepEngine<Store: TransactionalStore>: Sendable {
    public let store: Store
    /// The Calendly plan whose booking cap `BookingQuota` enforces; nil turns the quota off (tests).
    public let quotaTier: BookingQuota.Tier?

    public init(store: Store, quotaTier: BookingQuota.Tier?) {
        self.store = store; self.quotaTier = quotaTier
    }

    /// What one conversation step committed and what its caller must still do.
    public struct ConversationStep: Sendable {
        /// The conversation after the step.
        public var state: BookingConversation
        /// What the reducer returned (for traces).
        public var effects: [Effect]
        /// `external` holds only what the caller performs: `.calendly` calls, and `.send` for a request's
        /// response. Follow-ups to this same conversation go first in the caller's queue, others are spawned.
        public var outcome: LocalEffects.Outcome
        /// Messages committed to the conversation's outbox (steps no request waits on).
        public var outboxed: [OutboxMessage]
        /// The earliest durable timer this step set (the caller wakes up then).
        public var earliestTimer: Instant?
        /// False for a no-op step (no state change, no effect): nothing was written for it.
        public var journaled: Bool
    }

    /// One step of conversation `id`; nil when it was a `.timer` step whose timer already fired.
    public func conversation(_ id: ConversationID, _ input: BookingConversation.Input, origin: StepOrigin, at: Instant) throws -> ConversationStep? {
        let journals = store.keepsJournal
        let tier = quotaTier
        return try store.transaction { tx -> ConversationStep? in
            if case .timer(let timer) = origin, try !tx.deleteTimer(id, timer) { return nil }
            if origin == .request || origin == .background, case .timerFired(let timer, _) = input { try tx.deleteTimer(id, timer) }
            let loaded = try tx.loadConversation(id)
            var state = loaded ?? BookingConversation(id: id)
            let before = state
            let effects = BookingConversation.reduce(&state, input)
            var step = ConversationStep(state: state, effects: effects, outcome: LocalEffects.Outcome(), outboxed: [], earliestTimer: nil, journaled: false)
            if let tier { try Self.feedQuota(before: before, input: input, tier: tier, at: at, into: &tx) }
            // A step that changes nothing and asks for nothing leaves no row (issue 11).
            guard !Self.isNoOp(before, state, effects) else {
                step.outcome = LocalEffects.commit(effects, at: at, into: &tx) // rejections only: nothing is written
                return step
            }
            step.journaled = true
            try tx.saveConversation(state)
            if journals {
                try tx.appendJournal(stream: "conversation:\(id)", at: at, kind: "conversation",
                                     payload: Self.record("conversation:\(id)", at, .conversation, id.rawValue, input, effects, before))
            }
            var outcome = try Self.commitStep(effects, at: at, journals: journals, into: &tx)
            // Timers and messages no request waits on are durable, in this same transaction (issue 11).
            var kept: [Effect] = []
            for effect in outcome.external {
                switch effect {
                case .schedule(let timer, let after):
                    let due = at + after
                    try tx.putTimer(DurableTimer(conversation: id, timer: timer, due: due))
                    step.earliestTimer = min(step.earliestTimer ?? due, due)
                case .send(let message) where origin != .request:
                    let seq = try tx.appendOutbox(message, at: at)
                    step.outboxed.append(OutboxMessage(conversation: message.conversation, seq: seq, at: at, message: message))
                case .calendly(let request, .createInvitee) where tier != nil:
                    // The booking cap is decided here, before the call, in the step that asks for it.
                    if let held = try Self.admitBooking(state, request, tier: tier ?? .standard, at: at, into: &tx, outcome: &outcome) {
                        outcome.followUps.insert(.conversation(id, held), at: 0)
                    } else {
                        kept.append(effect)
                    }
                case .send, .calendly, .emit, .store, .notify, .log, .reject:
                    kept.append(effect)
                }
            }
            outcome.external = kept
            step.outcome = outcome
            return step
        }
    }

    /// A step that left its state as it was and only refused (or did nothing): nothing is written for it,
    /// so a stranger replaying forged inputs (an OAuth state, a stale check) cannot grow the journal.
    /// Its rejections still reach the caller.
    static func isNoOp<State: Equatable>(_ before: State, _ after: State, _ effects: [Effect]) -> Bool {
        guard before == after else { return false }
        return effects.allSatisfy { effect in
            switch effect {
            case .reject: return true
            case .calendly, .send, .schedule, .emit, .store, .notify, .log: return false
            }
        }
    }

    // MARK: - Booking quota

    /// The Calendly user whose cap a conversation's bookings count against: the connected account's user,
    /// else (no connection on record, as in tests) the token reference stands in.
    static func quotaOwner(_ conversation: BookingConversation, into tx: inout Store.Transaction) throws -> (key: String, user: CalendlyURI?)? {
        guard let setup = conversation.setup else { return nil }
        if let user = try tx.loadConnection(setup.agent)?.account?.user { return (user.rawValue, user) }
        return ("token:\(setup.token.rawValue)", nil)
    }

    /// Admits one `POST /invitees` or holds it; a hold is the reply the conversation gets at once, without a call.
    static func admitBooking(_ conversation: BookingConversation, _ request: RequestID, tier: BookingQuota.Tier, at: Instant,
                             into tx: inout Store.Transaction, outcome: inout LocalEffects.Outcome) throws -> BookingConversation.Input? {
        guard let owner = try quotaOwner(conversation, into: &tx) else { return nil }
        var quota = try tx.loadQuota(owner: owner.key) ?? BookingQuota(tier: tier)
        let decision = quota.admit(at: at)
        try tx.saveQuota(quota, owner: owner.key)
        switch decision {
        case .hold(let until):
            return .calendlyReplied(request, .failed(.rateLimited(retryAfter: until - at)), at: at)
        case .send(let alert):
            if let alert, let user = owner.user {
                outcome.telemetry.append(.bookingQuotaHigh(owner: user, used: alert.used, cap: alert.cap, at: at))
            }
            return nil
        }
    }

    /// A 429 to a booking call feeds its user's tracker: nothing more until Calendly's reset.
    static func feedQuota(before: BookingConversation, input: BookingConversation.Input, tier: BookingQuota.Tier, at: Instant,
                          into tx: inout Store.Transaction) throws {
        guard case .booking = before.phase, case .calendlyReplied(_, .failed(.rateLimited(let retryAfter)), _) = input,
              let owner = try quotaOwner(before, into: &tx) else { return }
        var quota = try tx.loadQuota(owner: owner.key) ?? BookingQuota(tier: tier)
        quota.rateLimited(at: at, retryAfter: retryAfter)
        try tx.saveQuota(quota, owner: owner.key)
    }

    // MARK: - Connection and action config

    /// What one admin step committed; `outcome.external` holds the Calendly calls to perform, in order.
    public struct AgentStep<State: Sendable>: Sendable {
        public var state: State
        public var outcome: LocalEffects.Outcome
    }

    /// One `Connection` step; the config follow-ups of the same agent run in the same transaction.
    public func connection(_ agent: AgentID, _ input: Connection.Input, at: Instant) throws -> AgentStep<Connection> {
        let journals = store.keepsJournal
        return try store.transaction { tx -> AgentStep<Connection> in
            var state = try tx.loadConnection(agent) ?? Connection(agent: agent)
            let before = state
            let effects = Connection.reduce(&state, input)
            guard !Self.isNoOp(before, state, effects) else { return AgentStep(state: state, outcome: LocalEffects.commit(effects, at: at, into: &tx)) }
            try tx.saveConnection(state)
            if journals {
                try tx.appendJournal(stream: "agent:\(agent)", at: at, kind: "connection",
                                     payload: Self.record("agent:\(agent)", at, .connection, agent.rawValue, input.redactedForJournal,
                                                          effects.map(\.redactedForJournal), before))
            }
            var outcome = try Self.commitStep(effects, at: at, journals: journals, into: &tx)
            // The connection told its config (e.g. `connectionLost`): same agent, same transaction.
            let followUps = outcome.followUps
            outcome.followUps = []
            for followUp in followUps {
                switch followUp {
                case .config(let target, let configInput) where target == agent:
                    outcome.merge(try Self.configStep(agent, configInput, at: at, journals: journals, into: &tx))
                case .config, .conversation, .connection:
                    outcome.followUps.append(followUp)
                }
            }
            return AgentStep(state: state, outcome: outcome)
        }
    }

    /// One `ActionConfig` step.
    public func config(_ agent: AgentID, _ input: ActionConfig.Input, at: Instant) throws -> AgentStep<ActionConfig> {
        let journals = store.keepsJournal
        return try store.transaction { tx -> AgentStep<ActionConfig> in
            let outcome = try Self.configStep(agent, input, at: at, journals: journals, into: &tx)
            return AgentStep(state: try tx.loadConfig(agent) ?? ActionConfig(agent: agent), outcome: outcome)
        }
    }

    /// One journaled `ActionConfig` step inside the caller's transaction (nothing written for a no-op).
    static func configStep(_ agent: AgentID, _ input: ActionConfig.Input, at: Instant, journals: Bool, into tx: inout Store.Transaction) throws -> LocalEffects.Outcome {
        var state = try tx.loadConfig(agent) ?? ActionConfig(agent: agent)
        let before = state
        let effects = ActionConfig.reduce(&state, input)
        guard !isNoOp(before, state, effects) else { return LocalEffects.commit(effects, at: at, into: &tx) }
        try tx.saveConfig(state)
        if journals {
            try tx.appendJournal(stream: "agent:\(agent)", at: at, kind: "config",
                                 payload: record("agent:\(agent)", at, .config, agent.rawValue, input, effects, before))
        }
        return try commitStep(effects, at: at, journals: journals, into: &tx)
    }

    // MARK: - Webhook notices

    /// Applies one accepted webhook notice unless its delivery was seen before (nil then: a duplicate).
    public func notice(_ notice: InviteeNotice, at: Instant) throws -> LocalEffects.Outcome? {
        let journals = store.keepsJournal
        return try store.transaction { tx in try WebhookIngest.step(notice, at: at, journals: journals, into: &tx) }
    }

    // MARK: - Timers and outbox

    /// Durable timers due at `at`, earliest first.
    public func dueTimers(at: Instant, limit: Int) throws -> [DurableTimer] {
        try store.transaction { tx in try tx.dueTimers(at: at, limit: limit) }
    }

    public func nextTimerDue() throws -> Instant? {
        try store.transaction { tx in try tx.nextTimerDue() }
    }

    /// The conversation's outbox after `after` (a poller's cursor), in order.
    public func outbox(_ id: ConversationID, after: Int64, limit: Int) throws -> [OutboxMessage] {
        try store.transaction { tx in try tx.outbox(id, after: after, limit: limit) }
    }

    // MARK: - Commit helpers

    /// Applies a step's local effects in its transaction; a step followed by a call that changes
    /// Calendly (booking, token refresh or revoke, subscriptions) must be on disk before that call.
    static func commitStep<Transaction: AggregateTransaction>(_ effects: [Effect], at: Instant, journals: Bool, into tx: inout Transaction) throws -> LocalEffects.Outcome {
        var outcome = LocalEffects.commit(effects, at: at, into: &tx)
        if outcome.external.contains(where: { if case .calendly(_, let call) = $0 { call.changesCalendly } else { false } }) {
            tx.requireSyncedCommit()
        }
        if journals { try journalReferenceSteps(outcome.referenceSteps, at: at, into: &tx) }
        outcome.referenceSteps = []
        return outcome
    }

    /// Booking-reference steps go to their conversation's stream (an export of the conversation then shows
    /// what webhooks did to its booking); a notice about no booking of ours goes to "webhooks".
    static func journalReferenceSteps<Transaction: AggregateTransaction>(_ steps: [LocalEffects.ReferenceStep], at: Instant, into tx: inout Transaction) throws {
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
}
