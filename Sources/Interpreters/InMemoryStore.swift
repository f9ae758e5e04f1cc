import Core
import Effects

/// The durable state of the service kept in memory: what SQLite holds in production. Used by the
/// simulator (it survives simulated crashes; only in-flight requests and timers do not).
public struct InMemoryStore: DurableState, Sendable {
    public var references: [BookingKey: BookingReference] = [:]
    private var referenceByInvitee: [CalendlyURI: BookingKey] = [:]
    /// Every reference still holding an email, per (event type, start, email): several intents can
    /// share a triple (the same customer in two conversations), and each must stay findable until it settles.
    private var pendingByMatch: [BookingReference.MatchKey: Set<BookingKey>] = [:]
    public var failures: [FailureRecord] = []
    public var intake = WebhookIntake()
    public var analytics = Analytics()
    public var telemetryCount: [String: Int] = [:]
    public var deletedTokens: [String] = []
    public var fallbackOffers: [ConversationReference: FallbackOffer] = [:]

    public init() {}

    public mutating func commit(_ effects: [Effect], at now: Instant) -> LocalEffects.Outcome {
        LocalEffects.commit(effects, at: now, into: &self)
    }

    public mutating func sweep(now: Instant) -> LocalEffects.Outcome {
        let outcome = LocalEffects.sweep(now: now, into: &self)
        let cutoff = now - WebhookIntake.dedupeWindow
        intake.processed = intake.processed.filter { $0.value >= cutoff }
        return outcome
    }

    // MARK: DurableState

    public mutating func reference(_ key: BookingKey) -> BookingReference? { references[key] }

    public mutating func referenceKey(matching notice: InviteeNotice) -> BookingKey? {
        // The indexes only find candidates; Core decides (the same call SQLite makes).
        BookingReference.match(notice, byInvitee: { referenceByInvitee[$0] }, pending: { Array(pendingByMatch[$0] ?? []) })
    }

    public mutating func putReference(_ reference: BookingReference) {
        if let old = references[reference.key] { unindex(old) }
        references[reference.key] = reference
        index(reference)
    }

    public mutating func deleteReference(_ key: BookingKey) {
        if let reference = references.removeValue(forKey: key) { unindex(reference) }
    }

    public mutating func referenceKeys(recordedBefore cutoff: Instant) -> [BookingKey] {
        references.values.filter { $0.recordedAt < cutoff }.map(\.key).sorted()
    }

    public mutating func appendFailure(_ record: FailureRecord) { failures.append(record) }
    public mutating func deleteFailures(before: Instant) { failures.removeAll { $0.at < before } }
    public mutating func deleteTokens(of agent: AgentID) { deletedTokens.append(agent.rawValue) }
    public mutating func deleteToken(_ token: TokenReference) { deletedTokens.append(token.rawValue) }
    public mutating func forgetDeliveries(before: Instant) { intake.processed = intake.processed.filter { $0.value >= before } }

    public mutating func fallbackOffer(_ reference: ConversationReference) -> FallbackOffer? { fallbackOffers[reference] }
    public mutating func putFallbackOffer(_ offer: FallbackOffer) { fallbackOffers[offer.reference] = offer }
    public mutating func forgetFallbackOffers(before: Instant) { fallbackOffers = fallbackOffers.filter { $0.value.offeredAt >= before } }

    public mutating func record(_ event: TelemetryEvent) {
        telemetryCount[event.name, default: 0] += 1
        _ = Analytics.reduce(&analytics, .observed(event))
    }

    mutating func index(_ reference: BookingReference) {
        for invitee in reference.knownInvitees { referenceByInvitee[invitee] = reference.key }
        if let match = reference.matchKey { pendingByMatch[match, default: []].insert(reference.key) }
    }

    mutating func unindex(_ reference: BookingReference) {
        for invitee in reference.knownInvitees where referenceByInvitee[invitee] == reference.key { referenceByInvitee[invitee] = nil }
        if let match = reference.matchKey {
            pendingByMatch[match]?.remove(reference.key)
            if pendingByMatch[match]?.isEmpty == true { pendingByMatch[match] = nil }
        }
    }
}
