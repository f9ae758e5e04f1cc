/// A booking the conversation is about to ask Calendly for. Written durably *before* the call
/// (DESIGN §5), so a crash or a lost reply leaves evidence to reconcile from.
public struct BookingIntent: Codable, Sendable, Hashable {
    public var key: BookingKey
    public var agent: AgentID
    public var conversation: ConversationID
    public var eventType: CalendlyURI
    public var start: Instant
    /// The invitee email; stored so a webhook can be matched to the intent before the reply lands.
    public var email: String
    public var recordedAt: Instant

    public init(key: BookingKey, agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, start: Instant, email: String, recordedAt: Instant) {
        self.key = key; self.agent = agent; self.conversation = conversation; self.eventType = eventType
        self.start = start; self.email = email; self.recordedAt = recordedAt
    }
}

/// How an intent ended, as far as the conversation knows.
public enum IntentOutcome: Codable, Sendable, Hashable {
    case booked(Invitee)
    /// Calendly definitively did not book it (error before creation, or lookup found nothing).
    case notBooked(reason: String)
}

/// One failed booking attempt, kept 90 days for debugging (PRD §6.7). No customer email in it.
public struct FailureRecord: Codable, Sendable, Hashable {
    public var agent: AgentID
    public var conversation: ConversationID
    public var reason: String
    public var at: Instant
    public init(agent: AgentID, conversation: ConversationID, reason: String, at: Instant) {
        self.agent = agent; self.conversation = conversation; self.reason = reason; self.at = at
    }
}

/// Durable writes that are not the emitting aggregate's own state. The runtime applies each in the
/// same transaction as the state of the step that produced it (outbox).
public enum StoreCommand: Codable, Sendable, Hashable {
    case recordIntent(BookingIntent)
    case settleIntent(BookingKey, IntentOutcome, at: Instant)
    /// Every token the vault holds for the agent (disconnect).
    case deleteTokens(AgentID)
    case deleteToken(TokenReference)
    case appendFailure(FailureRecord)
    case deleteReference(BookingKey)
    case deleteFailures(before: Instant)
    case forgetDeliveries(before: Instant)
    /// Remember (or refresh) which conversation an attributed static link belongs to.
    case recordFallbackOffer(FallbackOffer)
    case forgetFallbackOffers(before: Instant)
}
