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
}

public protocol TransactionalStore: Sendable {
    associatedtype Transaction: AggregateTransaction
    func transaction<T>(_ body: (inout Transaction) throws -> T) throws -> T
    /// `body` in a transaction it may share with concurrent callers (group commit, StoreGroupTransaction.swift):
    /// it returns only after that transaction committed, and a throwing `body` undoes only its own writes.
    func groupTransaction<T: Sendable>(_ body: @escaping @Sendable (inout Transaction) throws -> T) async throws -> T
}
