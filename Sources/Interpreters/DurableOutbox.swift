import Core
import Effects

/// A timer a conversation asked for (`Effect.schedule`), written in the step's transaction so that a
/// restart does not lose it (issue 11 defect 8). It fires as `.timerFired` once `due` has passed.
public struct DurableTimer: Codable, Sendable, Hashable {
    public var conversation: ConversationID
    public var timer: TimerID
    public var due: Instant
    public init(conversation: ConversationID, timer: TimerID, due: Instant) {
        self.conversation = conversation; self.timer = timer; self.due = due
    }
}

/// A customer message produced outside a request (a webhook, a timer, recovery): kept in the
/// conversation's durable outbox with its sequence number (1, 2, … per conversation), so a poller reading
/// `…/messages?after=SEQ` never misses or repeats one, and the callback deliverer sends each in order.
public struct OutboxMessage: Codable, Sendable, Hashable {
    public var conversation: ConversationID
    public var seq: Int64
    public var at: Instant
    public var message: ChannelMessage
    /// Failed callback attempts so far (0 when no callback is configured or none was tried).
    public var attempts: Int
    public init(conversation: ConversationID, seq: Int64, at: Instant, message: ChannelMessage, attempts: Int = 0) {
        self.conversation = conversation; self.seq = seq; self.at = at; self.message = message; self.attempts = attempts
    }
}
