import Core
import Effects
import Foundation

/// One open `SQLiteStore` transaction: every `DurableState` and `AggregateTransaction` method as
/// prepared statements, with the same semantics as `InMemoryStore` / `MemoryRuntimeStore`.
///
/// `DurableState` methods cannot throw; when one fails it records the error, later statements are
/// skipped, and `SQLiteStore.transaction` rolls the whole step back and rethrows it.
public struct SQLiteTransaction: AggregateTransaction {
    let session: SQLiteSession
    var db: Database { session.db }

    init(session: SQLiteSession) { self.session = session }

    public mutating func requireSyncedCommit() { session.syncRequested = true }

    /// Runs `work` unless the transaction already failed; a failure poisons the transaction.
    private func attempt<T>(_ fallback: T, _ work: () throws -> T) -> T {
        guard session.failure == nil else { return fallback }
        do { return try work() } catch {
            session.failure = error
            return fallback
        }
    }

    /// The throwing form: refuses to run after a failure, and a new failure poisons the transaction too
    /// (so a caller that catches it still cannot commit half a step).
    @discardableResult
    func checked<T>(_ work: () throws -> T) throws -> T {
        if let failure = session.failure { throw failure }
        do { return try work() } catch {
            session.failure = error
            throw error
        }
    }

    private func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try session.encoder.encode(value), as: UTF8.self)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ text: String, table: String, id: String) throws -> T {
        do { return try session.decoder.decode(type, from: Data(text.utf8)) } catch {
            throw SQLiteStoreError.undecodableRow(table: table, id: id)
        }
    }

    /// A stored aggregate state: the value kept from the last read or write of these exact bytes, or
    /// decoded (and then kept).
    private func cachedState<T: Codable & Equatable & Sendable>(_ key: String, _ type: T.Type, _ row: Statement, table: String, id: String) throws -> T {
        if let kept = session.states.value(key, T.self, ifRow: row) { return kept }
        let text = row.text(0) ?? ""
        let state = try decode(T.self, text, table: table, id: id)
        session.states.keep(key, text: text, value: state, decoder: session.decoder)
        return state
    }

    // MARK: - Booking references

    /// The whole reference is kept as JSON in `state` (Core gives `BookingReference` no public memberwise
    /// init); the other columns copy the fields that are queried or audited, written from the same value.
    private func readReference(_ row: Statement) throws -> BookingReference {
        try decode(BookingReference.self, row.text(1) ?? "", table: "booking_references", id: row.text(0) ?? "")
    }

    public mutating func openReferences(agent: AgentID) throws -> [BookingReference] {
        try checked {
            try db.rows("SELECT key, state FROM booking_references WHERE agent = ? AND status IN ('pending', 'created', 'confirmed')",
                        [.text(agent.rawValue)], readReference).sorted { $0.key < $1.key }
        }
    }

    // MARK: - Booking quotas (QuotaLedger)

    public mutating func loadQuotas() throws -> [String: BookingQuota] {
        try checked {
            var quotas: [String: BookingQuota] = [:]
            for (owner, text) in try db.rows("SELECT owner, state FROM booking_quotas", [], { ($0.text(0) ?? "", $0.text(1) ?? "") }) {
                quotas[owner] = try decode(BookingQuota.self, text, table: "booking_quotas", id: owner)
            }
            return quotas
        }
    }

    public mutating func saveQuota(_ quota: BookingQuota, owner: String) throws {
        try checked {
            try db.run("INSERT INTO booking_quotas(owner, state) VALUES (?, ?) ON CONFLICT(owner) DO UPDATE SET state = excluded.state",
                       [.text(owner), .text(try json(quota))])
        }
    }

    public mutating func fallbackEventTypes(agent: AgentID, since: Instant) throws -> [CalendlyURI] {
        try checked {
            try db.rows("SELECT DISTINCT event_type FROM fallback_offers WHERE agent = ? AND offered_at_ms >= ?",
                        [.text(agent.rawValue), .integer(since.millisecondsSince1970)]) { CalendlyURI($0.text(0) ?? "") }.sorted()
        }
    }

    public mutating func reference(_ key: BookingKey) -> BookingReference? {
        attempt(nil) {
            try db.row("SELECT key, state FROM booking_references WHERE key = ?", [.text(key.rawValue)], readReference)
        }
    }

    /// The indexes only find candidates (`InMemoryStore` keeps the same two, see `index`/`unindex`);
    /// `BookingReference.match` decides which one the notice is about.
    public mutating func referenceKey(matching notice: InviteeNotice) -> BookingKey? {
        attempt(nil) {
            try BookingReference.match(notice, byInvitee: { invitee in
                try db.row("SELECT key FROM reference_invitees WHERE invitee = ?", [.text(invitee.rawValue)], { $0.text(0) })?.map(BookingKey.init(rawValue:))
            }, pending: { match in
                try db.rows("SELECT key FROM reference_matches WHERE event_type = ? AND start_ms = ? AND email_key = ?",
                            [.text(match.eventType.rawValue), .integer(match.start.millisecondsSince1970), .text(match.email)],
                            { BookingKey($0.text(0) ?? "") })
            })
        }
    }

    public mutating func putReference(_ reference: BookingReference) {
        attempt(()) {
            if let old = try db.row("SELECT key, state FROM booking_references WHERE key = ?", [.text(reference.key.rawValue)], readReference) {
                try unindex(old)
            }
            try db.run("""
                INSERT OR REPLACE INTO booking_references(key, state, agent, conversation, event_type, start_ms, email, status,
                    invitee, event, recorded_at_ms, canceled_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(reference.key.rawValue), .text(try json(reference)), .text(reference.agent.rawValue), .text(reference.conversation.rawValue),
                      .text(reference.eventType.rawValue), .integer(reference.start.millisecondsSince1970), .optional(reference.email),
                      .text(reference.status.rawValue), .optional(reference.invitee?.rawValue),
                      .optional(reference.event?.rawValue), .integer(reference.recordedAt.millisecondsSince1970),
                      .optional(reference.canceledAt?.millisecondsSince1970)])
            try index(reference)
            // The intent row mirrors the reference for audit: written on the first put, outcome kept current.
            try db.run("""
                INSERT INTO booking_intents(key, agent, conversation, event_type, start_ms, recorded_at_ms, outcome)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET outcome = excluded.outcome
                """, [.text(reference.key.rawValue), .text(reference.agent.rawValue), .text(reference.conversation.rawValue),
                      .text(reference.eventType.rawValue), .integer(reference.start.millisecondsSince1970),
                      .integer(reference.recordedAt.millisecondsSince1970), .optional(Self.intentOutcome(reference.status))])
        }
    }

    /// `InMemoryStore.index`: the newest reference with an invitee owns that entry; every reference with a
    /// pending email has its own match entry.
    private func index(_ reference: BookingReference) throws {
        for invitee in reference.knownInvitees {
            try db.run("INSERT OR REPLACE INTO reference_invitees(invitee, key) VALUES (?, ?)", [.text(invitee.rawValue), .text(reference.key.rawValue)])
        }
        if let match = reference.matchKey {
            try db.run("INSERT OR IGNORE INTO reference_matches(event_type, start_ms, email_key, key) VALUES (?, ?, ?, ?)",
                       [.text(match.eventType.rawValue), .integer(match.start.millisecondsSince1970), .text(match.email),
                        .text(reference.key.rawValue)])
        }
    }

    /// `InMemoryStore.unindex`: an entry goes only if it still points at this reference.
    private func unindex(_ reference: BookingReference) throws {
        for invitee in reference.knownInvitees {
            try db.run("DELETE FROM reference_invitees WHERE invitee = ? AND key = ?", [.text(invitee.rawValue), .text(reference.key.rawValue)])
        }
        if let match = reference.matchKey {
            try db.run("DELETE FROM reference_matches WHERE event_type = ? AND start_ms = ? AND email_key = ? AND key = ?",
                       [.text(match.eventType.rawValue), .integer(match.start.millisecondsSince1970), .text(match.email),
                        .text(reference.key.rawValue)])
        }
    }

    static func intentOutcome(_ status: BookingReference.Status) -> String? {
        switch status {
        case .pending: return nil
        case .created, .confirmed: return "booked"
        case .notBooked: return "not_booked"
        case .canceled: return "canceled"
        }
    }

    /// Deletes the reference and its intent row (both fall under the 24-month retention of PRD §6.7).
    public mutating func deleteReference(_ key: BookingKey) {
        attempt(()) {
            guard let old = try db.row("SELECT key, state FROM booking_references WHERE key = ?", [.text(key.rawValue)], readReference) else { return }
            try unindex(old)
            try db.run("DELETE FROM booking_references WHERE key = ?", [.text(key.rawValue)])
            try db.run("DELETE FROM booking_intents WHERE key = ?", [.text(key.rawValue)])
        }
    }

    public mutating func referenceKeys(recordedBefore cutoff: Instant) -> [BookingKey] {
        attempt([]) {
            // Sorted in Swift: String order, exactly as InMemoryStore sorts (SQLite's is byte order).
            try db.rows("SELECT key FROM booking_references WHERE recorded_at_ms < ?", [.integer(cutoff.millisecondsSince1970)]) {
                BookingKey($0.text(0) ?? "")
            }.sorted()
        }
    }

    // MARK: - Failures, tokens, deliveries, telemetry

    public mutating func appendFailure(_ record: FailureRecord) {
        attempt(()) {
            try db.run("INSERT INTO failure_log(agent, conversation, reason, at_ms) VALUES (?, ?, ?, ?)",
                       [.text(record.agent.rawValue), .text(record.conversation.rawValue), .text(record.reason), .integer(record.at.millisecondsSince1970)])
        }
    }

    public mutating func deleteFailures(before: Instant) {
        attempt(()) { try db.run("DELETE FROM failure_log WHERE at_ms < ?", [.integer(before.millisecondsSince1970)]) }
    }

    public mutating func deleteTokens(of agent: AgentID) {
        attempt(()) { try db.run("DELETE FROM tokens WHERE agent = ?", [.text(agent.rawValue)]) }
    }

    public mutating func deleteToken(_ token: TokenReference) {
        attempt(()) { try db.run("DELETE FROM tokens WHERE reference = ?", [.text(token.rawValue)]) }
    }

    public mutating func forgetDeliveries(before: Instant) {
        attempt(()) { try db.run("DELETE FROM webhook_deliveries WHERE seen_at_ms < ?", [.integer(before.millisecondsSince1970)]) }
    }

    // MARK: - Attributed fallback links

    public mutating func fallbackOffer(_ reference: ConversationReference) -> FallbackOffer? {
        attempt(nil) {
            try db.row("SELECT reference, agent, conversation, event_type, offered_at_ms FROM fallback_offers WHERE reference = ?",
                       [.text(reference.rawValue)]) {
                FallbackOffer(reference: ConversationReference($0.text(0) ?? ""), agent: AgentID($0.text(1) ?? ""),
                              conversation: ConversationID($0.text(2) ?? ""), eventType: CalendlyURI($0.text(3) ?? ""),
                              offeredAt: Instant(millisecondsSince1970: $0.int64(4)))
            }
        }
    }

    public mutating func putFallbackOffer(_ offer: FallbackOffer) {
        attempt(()) {
            try db.run("INSERT OR REPLACE INTO fallback_offers(reference, agent, conversation, event_type, offered_at_ms) VALUES (?, ?, ?, ?, ?)",
                       [.text(offer.reference.rawValue), .text(offer.agent.rawValue), .text(offer.conversation.rawValue),
                        .text(offer.eventType.rawValue), .integer(offer.offeredAt.millisecondsSince1970)])
        }
    }

    public mutating func forgetFallbackOffers(before: Instant) {
        attempt(()) { try db.run("DELETE FROM fallback_offers WHERE offered_at_ms < ?", [.integer(before.millisecondsSince1970)]) }
    }

    /// Appends the event to `telemetry` (emails redacted) and counts it into its agent-day row.
    public mutating func record(_ event: TelemetryEvent) {
        attempt(()) {
            try db.run("INSERT INTO telemetry(name, agent, at_ms, payload) VALUES (?, ?, ?, ?)",
                       [.text(event.name), .optional(event.agent?.rawValue), .integer(event.at.millisecondsSince1970), .text(Redaction.json(event))])
            guard let day = Analytics.day(of: event) else { return }
            var counts = Analytics.Counts()
            guard Analytics.count(event, into: &counts) else { return }
            try db.run("""
                INSERT INTO daily_aggregates(agent, day, offered, created, failed, canceled, conflicts, rescheduled, fallback_booked)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(agent, day) DO UPDATE SET offered = offered + excluded.offered, created = created + excluded.created,
                    failed = failed + excluded.failed, canceled = canceled + excluded.canceled, conflicts = conflicts + excluded.conflicts,
                    rescheduled = rescheduled + excluded.rescheduled, fallback_booked = fallback_booked + excluded.fallback_booked
                """, [.text(day.agent.rawValue), .text(day.date.description), .integer(Int64(counts.offered)), .integer(Int64(counts.created)),
                      .integer(Int64(counts.failed)), .integer(Int64(counts.canceled)), .integer(Int64(counts.conflicts)),
                      .integer(Int64(counts.rescheduled)), .integer(Int64(counts.fallbackBooked))])
        }
    }

    // MARK: - Aggregate states

    public mutating func loadConversation(_ id: ConversationID) throws -> BookingConversation? {
        try checked {
            try db.row("SELECT state FROM conversations WHERE id = ?", [.text(id.rawValue)]) { row in
                try cachedState("conversation:\(id.rawValue)", BookingConversation.self, row, table: "conversations", id: id.rawValue)
            }
        }
    }

    /// Also stores the phase (and whether it waits on Calendly) as columns, for recovery queries.
    public mutating func saveConversation(_ state: BookingConversation) throws {
        try checked {
            let text = try json(state)
            try db.run("""
                INSERT INTO conversations(id, state, phase, awaits_calendly, updated_at_ms)
                VALUES (?, ?, ?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))
                ON CONFLICT(id) DO UPDATE SET state = excluded.state, phase = excluded.phase, awaits_calendly = excluded.awaits_calendly,
                    updated_at_ms = excluded.updated_at_ms
                """, [.text(state.id.rawValue), .text(text), .text(state.phase.name),
                      .integer(state.phase.awaitsCalendly ? 1 : 0)])
            session.states.keep("conversation:\(state.id.rawValue)", text: text, value: state, decoder: session.decoder)
        }
    }

    /// Conversations waiting on Calendly (checking availability, booking, reconciling), sorted.
    public mutating func conversationIDsAwaitingCalendly() throws -> [ConversationID] {
        try checked {
            try db.rows("SELECT id FROM conversations WHERE awaits_calendly = 1", []) { ConversationID($0.text(0) ?? "") }.sorted()
        }
    }

    public mutating func loadConnection(_ agent: AgentID) throws -> Connection? {
        try checked {
            try db.row("SELECT state FROM connections WHERE agent = ?", [.text(agent.rawValue)]) { row in
                try cachedState("connection:\(agent.rawValue)", Connection.self, row, table: "connections", id: agent.rawValue)
            }
        }
    }

    public mutating func saveConnection(_ state: Connection) throws {
        try checked {
            let text = try json(state)
            try db.run("INSERT INTO connections(agent, state) VALUES (?, ?) ON CONFLICT(agent) DO UPDATE SET state = excluded.state",
                       [.text(state.agent.rawValue), .text(text)])
            session.states.keep("connection:\(state.agent.rawValue)", text: text, value: state, decoder: session.decoder)
        }
    }

    public mutating func connectedAgents() throws -> [AgentID] {
        try checked {
            // The account lives in the state JSON: decode each (a handful of rows per tenant, read by a periodic job).
            let rows = try db.rows("SELECT agent, state FROM connections", []) { ($0.text(0) ?? "", $0.text(1) ?? "") }
            return try rows.compactMap { agent, text in
                try decode(Connection.self, text, table: "connections", id: agent).account == nil ? nil : AgentID(agent)
            }.sorted()
        }
    }

    public mutating func loadConfig(_ agent: AgentID) throws -> ActionConfig? {
        try checked {
            try db.row("SELECT state FROM action_configs WHERE agent = ?", [.text(agent.rawValue)]) { row in
                try cachedState("config:\(agent.rawValue)", ActionConfig.self, row, table: "action_configs", id: agent.rawValue)
            }
        }
    }

    public mutating func saveConfig(_ state: ActionConfig) throws {
        try checked {
            let text = try json(state)
            try db.run("INSERT INTO action_configs(agent, state) VALUES (?, ?) ON CONFLICT(agent) DO UPDATE SET state = excluded.state",
                       [.text(state.agent.rawValue), .text(text)])
            session.states.keep("config:\(state.agent.rawValue)", text: text, value: state, decoder: session.decoder)
        }
    }

    // MARK: - Webhooks, journal, analytics

    public mutating func insertDeliveryIfNew(_ id: DeliveryID, at: Instant) throws -> Bool {
        try checked {
            try db.run("INSERT INTO webhook_deliveries(delivery_id, seen_at_ms) VALUES (?, ?) ON CONFLICT(delivery_id) DO NOTHING",
                       [.text(id.rawValue), .integer(at.millisecondsSince1970)]) == 1
        }
    }

    public mutating func appendJournal(stream: String, at: Instant, kind: String, payload: String) throws {
        try checked {
            try db.run("INSERT INTO journal(stream, at_ms, kind, payload) VALUES (?, ?, ?, ?)",
                       [.text(stream), .integer(at.millisecondsSince1970), .text(kind), .text(payload)])
        }
    }

    public mutating func analytics(agent: AgentID, from: CivilDate, to: CivilDate) throws -> Analytics {
        try checked {
            // 'YYYY-MM-DD' text compares like the date it names (four-digit years).
            let rows = try db.rows("""
                SELECT day, offered, created, failed, canceled, conflicts, rescheduled, fallback_booked FROM daily_aggregates
                WHERE agent = ? AND day >= ? AND day <= ?
                """, [.text(agent.rawValue), .text(from.description), .text(to.description)]) { row -> (Analytics.Day, Analytics.Counts) in
                let text = row.text(0) ?? ""
                guard let date = CivilDate(iso: text) else { throw SQLiteStoreError.undecodableRow(table: "daily_aggregates", id: "\(agent)/\(text)") }
                var counts = Analytics.Counts()
                counts.offered = Int(row.int64(1)); counts.created = Int(row.int64(2)); counts.failed = Int(row.int64(3))
                counts.canceled = Int(row.int64(4)); counts.conflicts = Int(row.int64(5))
                counts.rescheduled = Int(row.int64(6)); counts.fallbackBooked = Int(row.int64(7))
                return (Analytics.Day(agent: agent, date: date), counts)
            }
            return Analytics(days: Dictionary(rows, uniquingKeysWith: +))
        }
    }

    /// Journal retention (`Retention.journalLifetime`), run by `LiveRuntime.purge`.
    public mutating func deleteJournal(before: Instant) throws {
        try checked { try db.run("DELETE FROM journal WHERE at_ms < ?", [.integer(before.millisecondsSince1970)]) }
    }

    public mutating func keepDeadLetter(_ letter: WebhookDeadLetter, cap: Int) throws {
        try checked {
            try db.run("INSERT INTO webhook_dead_letters(received_at_ms, reason, body) VALUES (?, ?, ?)",
                       [.integer(letter.receivedAt.millisecondsSince1970), .text(String(letter.reason.prefix(200))), .blob(Data(letter.body))])
            // The cap, by row id (insertion order): everything at or below the cap-th newest goes.
            try db.run("DELETE FROM webhook_dead_letters WHERE id <= (SELECT id FROM webhook_dead_letters ORDER BY id DESC LIMIT 1 OFFSET ?)",
                       [.integer(Int64(max(0, cap)))])
        }
    }

    public mutating func deleteDeadLetters(before: Instant) throws {
        try checked { try db.run("DELETE FROM webhook_dead_letters WHERE received_at_ms < ?", [.integer(before.millisecondsSince1970)]) }
    }
}

// MARK: - Durable outbox and timers (issue 11)

extension SQLiteTransaction {
    public mutating func appendOutbox(_ message: ChannelMessage, at: Instant) throws -> Int64 {
        try checked {
            let conversation = SQLValue.text(message.conversation.rawValue)
            try db.run("""
                INSERT INTO outbox_sequences(conversation, last_seq) VALUES (?, 1)
                ON CONFLICT(conversation) DO UPDATE SET last_seq = last_seq + 1
                """, [conversation])
            let seq = try db.scalarInt("SELECT last_seq FROM outbox_sequences WHERE conversation = ?", [conversation]) ?? 1
            let text = String(decoding: try session.encoder.encode(message), as: UTF8.self)
            try db.run("INSERT INTO conversation_outbox(conversation, seq, at_ms, message) VALUES (?, ?, ?, ?)",
                       [conversation, .integer(seq), .integer(at.millisecondsSince1970), .text(text)])
            return seq
        }
    }

    private func readOutbox(_ row: Statement) throws -> OutboxMessage {
        let conversation = ConversationID(row.text(0) ?? "")
        let seq = row.int64(1)
        guard let message = try? session.decoder.decode(ChannelMessage.self, from: Data((row.text(3) ?? "").utf8)) else {
            throw SQLiteStoreError.undecodableRow(table: "conversation_outbox", id: "\(conversation)/\(seq)")
        }
        return OutboxMessage(conversation: conversation, seq: seq, at: Instant(millisecondsSince1970: row.int64(2)), message: message,
                             attempts: Int(clamping: row.int64(4)))
    }

    public mutating func outbox(_ conversation: ConversationID, after: Int64, limit: Int) throws -> [OutboxMessage] {
        try checked {
            try db.rows("""
                SELECT conversation, seq, at_ms, message, callback_attempts FROM conversation_outbox
                WHERE conversation = ? AND seq > ? ORDER BY seq LIMIT ?
                """, [.text(conversation.rawValue), .integer(after), .integer(Int64(max(0, limit)))], readOutbox)
        }
    }

    public mutating func callbacksDue(at: Instant, limit: Int) throws -> [OutboxMessage] {
        try checked {
            // Per conversation only the oldest undelivered message is a candidate: delivery stays in order.
            try db.rows("""
                SELECT o.conversation, o.seq, o.at_ms, o.message, o.callback_attempts FROM conversation_outbox o
                JOIN (SELECT conversation, MIN(seq) AS seq FROM conversation_outbox WHERE callback_delivered_at_ms IS NULL GROUP BY conversation) first
                  ON first.conversation = o.conversation AND first.seq = o.seq
                WHERE o.callback_next_at_ms <= ? ORDER BY o.at_ms, o.conversation LIMIT ?
                """, [.integer(at.millisecondsSince1970), .integer(Int64(max(0, limit)))], readOutbox)
        }
    }

    public mutating func callbackDelivered(_ conversation: ConversationID, seq: Int64, at: Instant) throws {
        try checked {
            try db.run("UPDATE conversation_outbox SET callback_delivered_at_ms = ? WHERE conversation = ? AND seq = ?",
                       [.integer(at.millisecondsSince1970), .text(conversation.rawValue), .integer(seq)])
        }
    }

    public mutating func callbackDeferred(_ conversation: ConversationID, seq: Int64, attempts: Int, nextAttemptAt: Instant) throws {
        try checked {
            try db.run("UPDATE conversation_outbox SET callback_attempts = ?, callback_next_at_ms = ? WHERE conversation = ? AND seq = ?",
                       [.integer(Int64(attempts)), .integer(nextAttemptAt.millisecondsSince1970), .text(conversation.rawValue), .integer(seq)])
        }
    }

    public mutating func deleteOutbox(before: Instant) throws {
        try checked { try db.run("DELETE FROM conversation_outbox WHERE at_ms < ?", [.integer(before.millisecondsSince1970)]) }
    }

    public mutating func putTimer(_ timer: DurableTimer) throws {
        try checked {
            try db.run("""
                INSERT INTO timers(conversation, timer, due_at_ms) VALUES (?, ?, ?)
                ON CONFLICT(conversation, timer) DO UPDATE SET due_at_ms = excluded.due_at_ms
                """, [.text(timer.conversation.rawValue), .text(timer.timer.rawValue), .integer(timer.due.millisecondsSince1970)])
        }
    }

    @discardableResult
    public mutating func deleteTimer(_ conversation: ConversationID, _ timer: TimerID) throws -> Bool {
        try checked { try db.run("DELETE FROM timers WHERE conversation = ? AND timer = ?", [.text(conversation.rawValue), .text(timer.rawValue)]) == 1 }
    }

    public mutating func dueTimers(at: Instant, limit: Int) throws -> [DurableTimer] {
        try checked {
            try db.rows("SELECT conversation, timer, due_at_ms FROM timers WHERE due_at_ms <= ? ORDER BY due_at_ms, conversation, timer LIMIT ?",
                        [.integer(at.millisecondsSince1970), .integer(Int64(max(0, limit)))]) { row in
                DurableTimer(conversation: ConversationID(row.text(0) ?? ""), timer: TimerID(row.text(1) ?? ""),
                             due: Instant(millisecondsSince1970: row.int64(2)))
            }
        }
    }

    public mutating func nextTimerDue() throws -> Instant? {
        try checked { try db.scalarInt("SELECT MIN(due_at_ms) FROM timers").map { Instant(millisecondsSince1970: $0) } }
    }
}

// MARK: - Reads for tests, audits and the token keeper

extension SQLiteTransaction {
    public typealias JournalRow = Interpreters.JournalRow

    /// The dead-lettered webhooks, oldest first.
    public mutating func deadLetters() throws -> [WebhookDeadLetter] {
        try checked {
            try db.rows("SELECT received_at_ms, reason, body FROM webhook_dead_letters ORDER BY id", []) { row in
                WebhookDeadLetter(reason: row.text(1) ?? "", receivedAt: Instant(millisecondsSince1970: row.int64(0)), body: Array(row.blob(2) ?? Data()))
            }
        }
    }

    /// Every booking reference, sorted by key.
    public mutating func allReferences() throws -> [BookingReference] {
        try checked { try db.rows("SELECT key, state FROM booking_references", [], readReference).sorted { $0.key < $1.key } }
    }

    /// The failure log in append order.
    public mutating func failures() throws -> [FailureRecord] {
        try checked {
            try db.rows("SELECT agent, conversation, reason, at_ms FROM failure_log ORDER BY id", []) {
                FailureRecord(agent: AgentID($0.text(0) ?? ""), conversation: ConversationID($0.text(1) ?? ""), reason: $0.text(2) ?? "",
                              at: Instant(millisecondsSince1970: $0.int64(3)))
            }
        }
    }

    public mutating func deliveries() throws -> [DeliveryID: Instant] {
        try checked {
            Dictionary(try db.rows("SELECT delivery_id, seen_at_ms FROM webhook_deliveries", []) {
                (DeliveryID($0.text(0) ?? ""), Instant(millisecondsSince1970: $0.int64(1)))
            }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// Rows of `telemetry` per event name.
    public mutating func telemetryCounts() throws -> [String: Int] {
        try checked {
            Dictionary(try db.rows("SELECT name, COUNT(*) FROM telemetry GROUP BY name", []) { ($0.text(0) ?? "", Int($0.int64(1))) },
                       uniquingKeysWith: +)
        }
    }

    /// Every agent-day row (what `InMemoryStore.analytics` holds).
    public mutating func allAnalytics() throws -> Analytics {
        try checked {
            let rows = try db.rows("""
                SELECT agent, day, offered, created, failed, canceled, conflicts, rescheduled, fallback_booked FROM daily_aggregates
                """, []) { row in
                let agent = AgentID(row.text(0) ?? ""), text = row.text(1) ?? ""
                guard let date = CivilDate(iso: text) else { throw SQLiteStoreError.undecodableRow(table: "daily_aggregates", id: "\(agent)/\(text)") }
                var counts = Analytics.Counts()
                counts.offered = Int(row.int64(2)); counts.created = Int(row.int64(3)); counts.failed = Int(row.int64(4))
                counts.canceled = Int(row.int64(5)); counts.conflicts = Int(row.int64(6))
                counts.rescheduled = Int(row.int64(7)); counts.fallbackBooked = Int(row.int64(8))
                return (Analytics.Day(agent: agent, date: date), counts)
            }
            return Analytics(days: Dictionary(rows, uniquingKeysWith: +))
        }
    }

    /// The intent audit rows: key → outcome ("booked", "not_booked", "canceled", or nil while pending).
    public mutating func intentOutcomes() throws -> [BookingKey: String?] {
        try checked {
            Dictionary(try db.rows("SELECT key, outcome FROM booking_intents", []) { (BookingKey($0.text(0) ?? ""), $0.text(1)) },
                       uniquingKeysWith: { first, _ in first })
        }
    }

    public mutating func journal(stream: String) throws -> [JournalRow] {
        try checked {
            try db.rows("SELECT seq, stream, at_ms, kind, payload FROM journal WHERE stream = ? ORDER BY seq", [.text(stream)]) {
                JournalRow(seq: $0.int64(0), stream: $0.text(1) ?? "", at: Instant(millisecondsSince1970: $0.int64(2)), kind: $0.text(3) ?? "",
                           payload: $0.text(4) ?? "")
            }
        }
    }

    /// Rows in one of the store's tables.
    public mutating func count(_ table: SQLiteSchema.Table) throws -> Int {
        try checked { Int(try db.scalarInt("SELECT COUNT(*) FROM \(table.rawValue)") ?? 0) }
    }
}
