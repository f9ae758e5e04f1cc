import Core
import Effects

/// One transaction's view of the service's durable state. `InMemoryStore` (simulator) and the SQLite
/// store implement it; `LocalEffects` applies a step's local effects through it, so both stores route
/// intents, notices and telemetry identically.
public protocol DurableState {
    mutating func reference(_ key: BookingKey) -> BookingReference?
    /// The reference a webhook notice is about: by invitee URI, else by (event type, start, email) of a pending intent.
    mutating func referenceKey(matching notice: InviteeNotice) -> BookingKey?
    mutating func putReference(_ reference: BookingReference)
    mutating func deleteReference(_ key: BookingKey)
    /// Every reference key, for the retention sweep (sorted).
    mutating func referenceKeys(recordedBefore cutoff: Instant) -> [BookingKey]
    mutating func appendFailure(_ record: FailureRecord)
    mutating func deleteFailures(before: Instant)
    mutating func deleteTokens(of agent: AgentID)
    mutating func deleteToken(_ token: TokenReference)
    mutating func forgetDeliveries(before: Instant)
    /// Counts a telemetry event into the agent-day aggregates (see `Analytics.count`).
    mutating func record(_ event: TelemetryEvent)
    /// The conversation an attributed static link was handed out in (see `FallbackLink`).
    mutating func fallbackOffer(_ reference: ConversationReference) -> FallbackOffer?
    mutating func putFallbackOffer(_ offer: FallbackOffer)
    mutating func forgetFallbackOffers(before: Instant)
}

public enum LocalEffects {
    /// A message for another aggregate that the caller delivers as a new step.
    public enum FollowUp: Sendable, Hashable {
        case conversation(ConversationID, BookingConversation.Input)
        /// A step of the agent's action config (the caller applies it, in the same transaction when it can).
        case config(AgentID, ActionConfig.Input)
        /// A step of the agent's connection (e.g. a refresh after Calendly refused its token).
        case connection(AgentID, Connection.Input)
    }

    /// One booking-reference reducer step taken while applying effects (a webhook notice, an intent, a
    /// sweep): the runtime journals it with its conversation, so incidents replay what happened to a booking.
    public struct ReferenceStep: Sendable {
        public var key: BookingKey?
        public var before: BookingReference?
        public var after: BookingReference?
        public var input: BookingReference.Input
        public var effects: [Effect]
    }

    public struct Outcome: Sendable {
        public var external: [Effect] = []
        public var followUps: [FollowUp] = []
        public var rejections: [Rejection] = []
        public var telemetry: [TelemetryEvent] = []
        public var logs: [LogEntry] = []
        public var referenceSteps: [ReferenceStep] = []
        public init() {}

        /// Appends another step's outcome after this one's.
        public mutating func merge(_ other: Outcome) {
            external += other.external; followUps += other.followUps; rejections += other.rejections
            telemetry += other.telemetry; logs += other.logs; referenceSteps += other.referenceSteps
        }
    }

    /// Applies the effects that stay inside the service (store, notify, emit) and returns the rest in order.
    public static func commit<State: DurableState>(_ effects: [Effect], at now: Instant, into state: inout State) -> Outcome {
        var outcome = Outcome()
        for effect in effects { apply(effect, now, &state, &outcome) }
        return outcome
    }

    static func apply<State: DurableState>(_ effect: Effect, _ now: Instant, _ state: inout State, _ outcome: inout Outcome) {
        switch effect {
        case .calendly, .send, .schedule:
            outcome.external.append(effect)
        case .log(let entry):
            outcome.logs.append(entry)
        case .reject(let rejection):
            outcome.rejections.append(rejection)
        case .emit(let event):
            outcome.telemetry.append(event)
            state.record(event)
        case .store(let command):
            switch command {
            case .recordIntent(let intent):
                applyToReference(intent.key, .intentRecorded(intent), now, &state, &outcome)
            case .settleIntent(let key, let result, let at):
                applyToReference(key, .intentSettled(result, at: at), now, &state, &outcome)
            case .appendFailure(let record): state.appendFailure(record)
            case .deleteFailures(let before): state.deleteFailures(before: before)
            case .deleteReference(let key): state.deleteReference(key)
            case .deleteTokens(let agent): state.deleteTokens(of: agent)
            case .deleteToken(let token): state.deleteToken(token)
            case .forgetDeliveries(let before): state.forgetDeliveries(before: before)
            case .recordFallbackOffer(let offer): state.putFallbackOffer(offer)
            case .forgetFallbackOffers(let before): state.forgetFallbackOffers(before: before)
            }
        case .notify(let message):
            switch message {
            case .inviteeNotice(let notice), .reconciledNotice(let notice):
                // Core decides where it goes (and that an unmatched reconciled notice goes nowhere).
                let matched = state.referenceKey(matching: notice)
                if let target = BookingReference.route(notice, reconciled: message.isReconciled, at: now, matched: matched, offer: { state.fallbackOffer($0) }) {
                    applyToReference(target.key, target.input, now, &state, &outcome)
                }
            case .bookingSeen(let conversation, let key, let invitee):
                outcome.followUps.append(.conversation(conversation, .bookingSeen(key, invitee, at: now)))
            case .connectionLost(let agent):
                outcome.followUps.append(.config(agent, .connectionLost))
            case .actionNeedsReview(let agent, let reason, let at):
                outcome.followUps.append(.config(agent, .bookingRefused(reason: reason, at: at)))
            case .grantRejected(let agent, let at):
                outcome.followUps.append(.connection(agent, .refreshDue(at: at)))
            }
        }
    }

    /// Runs the reference reducer on the matched reference, or on nothing (the unknown-event case).
    static func applyToReference<State: DurableState>(_ key: BookingKey?, _ input: BookingReference.Input, _ now: Instant,
                                                      _ state: inout State, _ outcome: inout Outcome) {
        var reference: BookingReference? = key.flatMap { state.reference($0) }
        let before = reference
        let effects = BookingReference.reduce(&reference, input)
        if let reference { state.putReference(reference) }
        outcome.referenceSteps.append(ReferenceStep(key: key, before: before, after: reference, input: input, effects: effects))
        for effect in effects { apply(effect, now, &state, &outcome) }
    }

    /// The retention sweep (PRD §6.7): expired references, old failures, old delivery ids; never aggregates.
    public static func sweep<State: DurableState>(now: Instant, into state: inout State) -> Outcome {
        var outcome = Outcome()
        let candidates = state.referenceKeys(recordedBefore: BookingReference.purgeCandidatesRecordedBefore(now))
        for key in candidates { applyToReference(key, .retentionSweep(now: now), now, &state, &outcome) }
        for effect in Retention.sweep(now: now) { apply(effect, now, &state, &outcome) }
        apply(.store(.forgetDeliveries(before: now - WebhookIntake.dedupeWindow)), now, &state, &outcome)
        return outcome
    }
}
