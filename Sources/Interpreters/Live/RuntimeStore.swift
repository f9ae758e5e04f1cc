import Core
import Effects

/// What the live runtime needs from a store: one transaction per runtime step holding the aggregate's
/// state, the outbox of local effects, the journal — all or nothing.
public protocol AggregateTransaction: DurableState {
    mutating func loadConversation(_ id: ConversationID) throws -> BookingConversation?
    mutating func saveConversation(_ state: BookingConversation) throws
    mutating func loadConnection(_ agent: AgentID) throws -> Connection?
    mutating func saveConnection(_ state: Connection) throws
    /// Agents whose connection holds an account, sorted (for the periodic subscription check).
    mutating func connectedAgents() throws -> [AgentID]
    mutating func loadConfig(_ agent: AgentID) throws -> ActionConfig?
    mutating func saveConfig(_ state: ActionConfig) throws
    /// False when the delivery was seen before (the dedupe is decided and recorded in one statement).
    mutating func insertDeliveryIfNew(_ id: DeliveryID, at: Instant) throws -> Bool
    mutating func appendJournal(stream: String, at: Instant, kind: String, payload: String) throws
    /// Journal retention: drops every row older than `before` (nothing else: analytics are separate rows).
    mutating func deleteJournal(before: Instant) throws
    /// Keeps a signed-but-unreadable webhook (issue 10), then drops all but the newest `cap` of them.
    mutating func keepDeadLetter(_ letter: WebhookDeadLetter, cap: Int) throws
    /// Dead-letter retention: drops every one received before `before`.
    mutating func deleteDeadLetters(before: Instant) throws
    /// The agent-day aggregates in an inclusive UTC date range (for `Analytics.report`).
    mutating func analytics(agent: AgentID, from: CivilDate, to: CivilDate) throws -> Analytics
    /// The agent's references that Calendly could still change (pending, created, confirmed), by key —
    /// what reconciliation looks at.
    mutating func openReferences(agent: AgentID) throws -> [BookingReference]
    /// The event types of static links handed out by the agent since `since` (sorted, distinct).
    mutating func fallbackEventTypes(agent: AgentID, since: Instant) throws -> [CalendlyURI]
    /// This step must survive power loss, not only a crash, before its effects run.
    mutating func requireSyncedCommit()

    // Durable outbox (messages produced outside a request) and timers (issue 11).
    /// Appends to the conversation's outbox; returns its sequence number (1, 2, … per conversation).
    mutating func appendOutbox(_ message: ChannelMessage, at: Instant) throws -> Int64
    /// The conversation's outbox messages with a sequence number above `after`, in order, at most `limit`.
    mutating func outbox(_ conversation: ConversationID, after: Int64, limit: Int) throws -> [OutboxMessage]
    /// For each conversation, its oldest message not yet delivered to the callback, when its next attempt is due
    /// (`at` or earlier): in order per conversation, at most `limit` conversations, oldest first.
    mutating func callbacksDue(at: Instant, limit: Int) throws -> [OutboxMessage]
    mutating func callbackDelivered(_ conversation: ConversationID, seq: Int64, at: Instant) throws
    mutating func callbackDeferred(_ conversation: ConversationID, seq: Int64, attempts: Int, nextAttemptAt: Instant) throws
    /// Outbox retention: drops every message appended before `before`.
    mutating func deleteOutbox(before: Instant) throws
    /// Sets (or moves) the conversation's timer with that id.
    mutating func putTimer(_ timer: DurableTimer) throws
    /// Removes the timer; true when it was pending (so a timer fires once however many wake-ups race for it).
    @discardableResult
    mutating func deleteTimer(_ conversation: ConversationID, _ timer: TimerID) throws -> Bool
    /// Timers due at `at` or earlier, earliest first, at most `limit`.
    mutating func dueTimers(at: Instant, limit: Int) throws -> [DurableTimer]
    /// The earliest pending timer's due time (the runtime sleeps until then).
    mutating func nextTimerDue() throws -> Instant?

    /// The booking-quota tracker of one Calendly user (`BookingQuota`), consulted in the step that books.
    mutating func loadQuota(owner: String) throws -> BookingQuota?
    mutating func saveQuota(_ quota: BookingQuota, owner: String) throws
}

public protocol TransactionalStore: Sendable {
    associatedtype Transaction: AggregateTransaction
    /// False only for a simulator store that skips the journal (see `JournalPolicy.swift`).
    var keepsJournal: Bool { get }
    func transaction<T>(_ body: (inout Transaction) throws -> T) throws -> T
    /// `body` in a transaction it may share with concurrent callers (group commit, StoreGroupTransaction.swift):
    /// it returns only after that transaction committed, and a throwing `body` undoes only its own writes.
    func groupTransaction<T: Sendable>(_ body: @escaping @Sendable (inout Transaction) throws -> T) async throws -> T
}
