import Core
import Effects

/// The durable state of the service kept in memory: what SQLite holds in production. Used by the
/// simulator (it survives simulated crashes; only in-flight requests and timers do not).
///
/// `commit` applies the effects that are local to the service in the same "transaction" as the step
/// that produced them (outbox) and hands back the ones that must go out to the world.
public struct InMemoryStore: Sendable {
    public var references: [BookingKey: BookingReference] = [:]
    private var referenceByInvitee: [CalendlyURI: BookingKey] = [:]
    private var pendingByMatch: [MatchKey: BookingKey] = [:]
    public var failures: [FailureRecord] = []
    public var intake = WebhookIntake()
    public var analytics = Analytics()
    public var telemetryCount: [String: Int] = [:]
    public var deletedTokens: [String] = []

    struct MatchKey: Hashable { var eventType: CalendlyURI; var start: Instant; var email: String }

    public init() {}

    /// A message for another aggregate that the caller must deliver as a new step.
    public enum FollowUp: Sendable, Hashable {
        case conversation(ConversationID, BookingConversation.Input)
    }

    public struct Outcome: Sendable {
        public var external: [Effect] = []
        public var followUps: [FollowUp] = []
        public var rejections: [Rejection] = []
    }

    public mutating func commit(_ effects: [Effect], at now: Instant) -> Outcome {
        var outcome = Outcome()
        for effect in effects {
            apply(effect, now, &outcome)
        }
        return outcome
    }

    mutating func apply(_ effect: Effect, _ now: Instant, _ outcome: inout Outcome) {
        switch effect {
        case .calendly, .send, .schedule:
            outcome.external.append(effect)
        case .log:
            break
        case .reject(let rejection):
            outcome.rejections.append(rejection)
        case .emit(let event):
            telemetryCount[event.name, default: 0] += 1
            _ = Analytics.reduce(&analytics, .observed(event))
        case .store(let command):
            store(command, now, &outcome)
        case .notify(let message):
            switch message {
            case .inviteeNotice(let notice):
                let key = referenceByInvitee[notice.invitee]
                    ?? pendingByMatch[MatchKey(eventType: notice.eventType, start: notice.start, email: notice.email.lowercased())]
                applyToReference(key, .notice(notice, at: now), now, &outcome)
            case .bookingSeen(let conversation, let key, let invitee):
                outcome.followUps.append(.conversation(conversation, .bookingSeen(key, invitee, at: now)))
            }
        }
    }

    mutating func store(_ command: StoreCommand, _ now: Instant, _ outcome: inout Outcome) {
        switch command {
        case .recordIntent(let intent):
            applyToReference(intent.key, .intentRecorded(intent), now, &outcome)
        case .settleIntent(let key, let result, let at):
            applyToReference(key, .intentSettled(result, at: at), now, &outcome)
        case .appendFailure(let record):
            failures.append(record)
        case .deleteFailures(let before):
            failures.removeAll { $0.at < before }
        case .deleteReference(let key):
            if let reference = references.removeValue(forKey: key) { unindex(reference) }
        case .deleteTokens(let agent):
            deletedTokens.append(agent.rawValue)
        case .deleteToken(let token):
            deletedTokens.append(token.rawValue)
        case .forgetDeliveries:
            break // the intake state already dropped them
        }
    }

    /// Runs the reference reducer on the matched reference (or on nothing: the unknown-event case).
    mutating func applyToReference(_ key: BookingKey?, _ input: BookingReference.Input, _ now: Instant, _ outcome: inout Outcome) {
        var reference: BookingReference? = key.flatMap { references[$0] }
        if let old = reference { unindex(old) }
        let effects = BookingReference.reduce(&reference, input)
        if let key {
            if let reference {
                references[key] = reference
                index(reference)
            } else {
                references[key] = nil
            }
        } else if let created = reference {
            references[created.key] = created
            index(created)
        }
        for effect in effects { apply(effect, now, &outcome) }
    }

    mutating func index(_ reference: BookingReference) {
        if let invitee = reference.invitee { referenceByInvitee[invitee] = reference.key }
        if let email = reference.email {
            pendingByMatch[MatchKey(eventType: reference.eventType, start: reference.start, email: email.lowercased())] = reference.key
        }
    }

    mutating func unindex(_ reference: BookingReference) {
        if let invitee = reference.invitee, referenceByInvitee[invitee] == reference.key { referenceByInvitee[invitee] = nil }
        if let email = reference.email {
            let match = MatchKey(eventType: reference.eventType, start: reference.start, email: email.lowercased())
            if pendingByMatch[match] == reference.key { pendingByMatch[match] = nil }
        }
    }

    /// Retention sweep over every reference, the failure log and the dedupe window (PRD §6.7).
    public mutating func sweep(now: Instant, signature: WebhookSignature) -> Outcome {
        var outcome = Outcome()
        for key in references.keys.sorted() {
            applyToReference(key, .retentionSweep(now: now), now, &outcome)
        }
        for effect in Retention.sweep(now: now) + WebhookIntake.reduce(&intake, .retentionSweep(now: now), signature: signature) {
            apply(effect, now, &outcome)
        }
        return outcome
    }
}
