import Core
import Effects
import Synchronization

/// A `TransactionalStore` in memory: the same transaction semantics as SQLite (all or nothing — a
/// throwing body leaves nothing behind) without the file. For tests of the runtime and the host.
public final class MemoryRuntimeStore: TransactionalStore, Sendable {
    public struct Transaction: AggregateTransaction, Sendable {
        public var durable = InMemoryStore()
        public var conversations: [ConversationID: BookingConversation] = [:]
        public var connections: [AgentID: Connection] = [:]
        public var configs: [AgentID: ActionConfig] = [:]
        public var deliveries: [DeliveryID: Instant] = [:]
        public var journal: [JournalRow] = []
        /// Oldest first, like the SQLite table's row ids.
        public var deadLetters: [WebhookDeadLetter] = []
        /// Like SQLite's AUTOINCREMENT: a deleted row's number is never reused.
        var lastJournalSeq: Int64 = 0
        /// Per conversation, oldest first; `callbackDone` marks what the callback delivered.
        public var outboxes: [ConversationID: [OutboxMessage]] = [:]
        var callbackDone: [ConversationID: Int64] = [:]
        var callbackNext: [ConversationID: Instant] = [:]
        public var timers: [ConversationID: [TimerID: Instant]] = [:]
        /// How many committed steps asked to reach the disk before their effects (tests read it).
        public var syncedCommits = 0
        /// Booking-quota trackers by Calendly user (`BookingQuota`).
        public var quotas: [String: BookingQuota] = [:]

        public mutating func loadQuota(owner: String) throws -> BookingQuota? { quotas[owner] }
        public mutating func saveQuota(_ quota: BookingQuota, owner: String) throws { quotas[owner] = quota }

        public mutating func requireSyncedCommit() { syncedCommits += 1 }

        public mutating func appendOutbox(_ message: ChannelMessage, at: Instant) throws -> Int64 {
            let seq = (lastOutboxSeq[message.conversation] ?? 0) + 1
            outboxes[message.conversation, default: []].append(OutboxMessage(conversation: message.conversation, seq: seq, at: at, message: message))
            lastOutboxSeq[message.conversation] = seq
            return seq
        }
        /// Like the SQLite table: a sequence number is never reused, even after retention emptied an outbox.
        var lastOutboxSeq: [ConversationID: Int64] = [:]
        public mutating func outbox(_ conversation: ConversationID, after: Int64, limit: Int) throws -> [OutboxMessage] {
            Array((outboxes[conversation] ?? []).filter { $0.seq > after }.prefix(max(0, limit)))
        }
        public mutating func callbacksDue(at: Instant, limit: Int) throws -> [OutboxMessage] {
            var due: [OutboxMessage] = []
            for (conversation, messages) in outboxes {
                let done = callbackDone[conversation] ?? 0
                guard var next = messages.first(where: { $0.seq > done }) else { continue }
                if let when = callbackNext[conversation], when > at { continue }
                next.attempts = callbackAttempts[conversation] ?? 0
                due.append(next)
            }
            return Array(due.sorted { ($0.at, $0.conversation) < ($1.at, $1.conversation) }.prefix(max(0, limit)))
        }
        var callbackAttempts: [ConversationID: Int] = [:]
        public mutating func callbackDelivered(_ conversation: ConversationID, seq: Int64, at: Instant) throws {
            callbackDone[conversation] = max(callbackDone[conversation] ?? 0, seq)
            callbackNext[conversation] = nil
            callbackAttempts[conversation] = nil
        }
        public mutating func callbackDeferred(_ conversation: ConversationID, seq: Int64, attempts: Int, nextAttemptAt: Instant) throws {
            callbackAttempts[conversation] = attempts
            callbackNext[conversation] = nextAttemptAt
        }
        public mutating func deleteOutbox(before: Instant) throws {
            for (conversation, messages) in outboxes {
                let kept = messages.filter { $0.at >= before }
                outboxes[conversation] = kept.isEmpty ? nil : kept
            }
        }
        public mutating func putTimer(_ timer: DurableTimer) throws { timers[timer.conversation, default: [:]][timer.timer] = timer.due }
        @discardableResult
        public mutating func deleteTimer(_ conversation: ConversationID, _ timer: TimerID) throws -> Bool {
            let pending = timers[conversation]?.removeValue(forKey: timer) != nil
            if timers[conversation]?.isEmpty == true { timers[conversation] = nil }
            return pending
        }
        public mutating func dueTimers(at: Instant, limit: Int) throws -> [DurableTimer] {
            let all = timers.flatMap { conversation, byID in byID.map { DurableTimer(conversation: conversation, timer: $0.key, due: $0.value) } }
            return Array(all.filter { $0.due <= at }.sorted { ($0.due, $0.conversation, $0.timer) < ($1.due, $1.conversation, $1.timer) }.prefix(max(0, limit)))
        }
        public mutating func nextTimerDue() throws -> Instant? { timers.values.flatMap(\.values).min() }
        public mutating func fallbackEventTypes(agent: AgentID, since: Instant) throws -> [CalendlyURI] {
            Set(durable.fallbackOffers.values.filter { $0.agent == agent && $0.offeredAt >= since }.map(\.eventType)).sorted()
        }
        public mutating func openReferences(agent: AgentID) throws -> [BookingReference] {
            durable.references.values.filter { reference in
                guard reference.agent == agent else { return false }
                switch reference.status {
                case .pending, .created, .confirmed: return true
                case .canceled, .notBooked: return false
                }
            }.sorted { $0.key < $1.key }
        }

        public mutating func loadConversation(_ id: ConversationID) throws -> BookingConversation? { conversations[id] }
        public mutating func saveConversation(_ state: BookingConversation) throws { conversations[state.id] = state }
        public mutating func loadConnection(_ agent: AgentID) throws -> Connection? { connections[agent] }
        public mutating func saveConnection(_ state: Connection) throws { connections[state.agent] = state }
        public mutating func connectedAgents() throws -> [AgentID] { connections.values.filter { $0.account != nil }.map(\.agent).sorted() }
        public mutating func loadConfig(_ agent: AgentID) throws -> ActionConfig? { configs[agent] }
        public mutating func saveConfig(_ state: ActionConfig) throws { configs[state.agent] = state }
        public mutating func insertDeliveryIfNew(_ id: DeliveryID, at: Instant) throws -> Bool {
            guard deliveries[id] == nil else { return false }
            deliveries[id] = at
            return true
        }
        public mutating func appendJournal(stream: String, at: Instant, kind: String, payload: String) throws {
            lastJournalSeq += 1
            journal.append(JournalRow(seq: lastJournalSeq, stream: stream, at: at, kind: kind, payload: payload))
        }
        public mutating func deleteJournal(before: Instant) throws { journal.removeAll { $0.at < before } }
        public mutating func keepDeadLetter(_ letter: WebhookDeadLetter, cap: Int) throws {
            deadLetters.append(letter)
            if deadLetters.count > max(0, cap) { deadLetters.removeFirst(deadLetters.count - max(0, cap)) }
        }
        public mutating func deleteDeadLetters(before: Instant) throws { deadLetters.removeAll { $0.receivedAt < before } }
        public func journal(stream: String) -> [JournalRow] { journal.filter { $0.stream == stream } }
        public mutating func analytics(agent: AgentID, from: CivilDate, to: CivilDate) throws -> Analytics {
            Analytics(days: durable.analytics.days.filter { $0.key.agent == agent && $0.key.date >= from && $0.key.date <= to })
        }

        public mutating func reference(_ key: BookingKey) -> BookingReference? { durable.reference(key) }
        public mutating func referenceKey(matching notice: InviteeNotice) -> BookingKey? { durable.referenceKey(matching: notice) }
        public mutating func putReference(_ reference: BookingReference) { durable.putReference(reference) }
        public mutating func deleteReference(_ key: BookingKey) { durable.deleteReference(key) }
        public mutating func referenceKeys(recordedBefore cutoff: Instant) -> [BookingKey] { durable.referenceKeys(recordedBefore: cutoff) }
        public mutating func appendFailure(_ record: FailureRecord) { durable.appendFailure(record) }
        public mutating func deleteFailures(before: Instant) { durable.deleteFailures(before: before) }
        public mutating func deleteTokens(of agent: AgentID) { durable.deleteTokens(of: agent) }
        public mutating func deleteToken(_ token: TokenReference) { durable.deleteToken(token) }
        public mutating func forgetDeliveries(before: Instant) { deliveries = deliveries.filter { $0.value >= before } }
        public mutating func record(_ event: TelemetryEvent) { durable.record(event) }
        public mutating func fallbackOffer(_ reference: ConversationReference) -> FallbackOffer? { durable.fallbackOffer(reference) }
        public mutating func putFallbackOffer(_ offer: FallbackOffer) { durable.putFallbackOffer(offer) }
        public mutating func forgetFallbackOffers(before: Instant) { durable.forgetFallbackOffers(before: before) }
    }

    private let state = Mutex(Transaction())
    /// All or nothing (the default): a throwing body leaves nothing behind. Copying the state for that
    /// costs a copy of every dictionary a step touches, so the simulator — whose bodies never throw —
    /// turns it off and mutates in place.
    let atomic: Bool
    public let keepsJournal: Bool

    public init(atomic: Bool = true, keepsJournal: Bool = true) {
        self.atomic = atomic; self.keepsJournal = keepsJournal
    }

    public func transaction<T>(_ body: (inout Transaction) throws -> T) throws -> T {
        try state.withLock { current in
            guard atomic else { return try body(&current) }
            var draft = current
            let result = try body(&draft)
            current = draft
            return result
        }
    }

    /// A copy of everything, for assertions.
    public var snapshot: Transaction { state.withLock { $0 } }
}
