import Core
import Effects
import Foundation
import Interpreters
import PostgresNIO

/// One open `PostgresStore` transaction: `SQLiteTransaction`'s statements translated to PostgreSQL, with
/// the same semantics (the differential test runs both, and `MemoryRuntimeStore`, on the same scripts).
/// Orderings that could differ by collation are sorted in Swift, as SQLite's are.
///
/// `DurableState` methods cannot throw; when one fails it records the error, later statements are
/// skipped, and `PostgresStore.transaction` rolls the whole step back and rethrows it.
public struct PostgresTransaction: AggregateTransaction {
    let session: PostgresSession

    init(session: PostgresSession) { self.session = session }

    /// A PostgreSQL COMMIT is durable when it returns (`synchronous_commit=on`, the server default):
    /// every step already gets what SQLite's synced commit buys.
    public mutating func requireSyncedCommit() {}

    private func attempt<T>(_ fallback: T, _ work: () throws -> T) -> T {
        guard session.failure == nil else { return fallback }
        do { return try work() } catch {
            session.failure = error
            return fallback
        }
    }

    @discardableResult
    func checked<T>(_ work: () throws -> T) throws -> T {
        if let failure = session.failure { throw failure }
        do { return try work() } catch {
            session.failure = error
            throw error
        }
    }

    private func rows(_ sql: String, _ values: [PostgresValue] = [], _ operation: String) throws -> [PostgresRandomAccessRow] {
        try session.rows(sql, values, operation: operation)
    }

    @discardableResult
    private func run(_ sql: String, _ values: [PostgresValue] = [], _ operation: String) throws -> Int {
        try session.run(sql, values, operation: operation)
    }

    // MARK: - Booking references

    private func readReference(_ row: PostgresRandomAccessRow) throws -> BookingReference {
        try session.decode(BookingReference.self, try row.text(1), table: "booking_references", id: (try? row.text(0)) ?? "")
    }

    private func storedReference(_ key: BookingKey) throws -> BookingReference? {
        try rows("SELECT key, state FROM booking_references WHERE key = $1", [.text(key.rawValue)], "reference").first.map(readReference)
    }

    public mutating func openReferences(agent: AgentID) throws -> [BookingReference] {
        try checked {
            try rows("SELECT key, state FROM booking_references WHERE agent = $1 AND status IN ('pending', 'created', 'confirmed')",
                     [.text(agent.rawValue)], "open references").map(readReference).sorted { $0.key < $1.key }
        }
    }

    // MARK: - Booking quotas (QuotaLedger)

    public mutating func loadQuotas() throws -> [String: BookingQuota] {
        try checked {
            var quotas: [String: BookingQuota] = [:]
            for row in try rows("SELECT owner, state FROM booking_quotas", [], "quotas") {
                let owner = try row.text(0)
                quotas[owner] = try session.decode(BookingQuota.self, try row.text(1), table: "booking_quotas", id: owner)
            }
            return quotas
        }
    }

    /// One Calendly user's booking-quota tracker, consulted in the step that books. Under an advisory lock on
    /// the owner until the step commits: two hosts booking for one Calendly user count into it in turn.
    public mutating func loadQuota(owner: String) throws -> BookingQuota? {
        try checked {
            try session.lock("quota:\(owner)")
            guard let row = try rows("SELECT state FROM booking_quotas WHERE owner = $1", [.text(owner)], "load quota").first else { return nil }
            return try session.decode(BookingQuota.self, try row.text(0), table: "booking_quotas", id: owner)
        }
    }

    public mutating func saveQuota(_ quota: BookingQuota, owner: String) throws {
        try checked {
            try run("INSERT INTO booking_quotas(owner, state) VALUES ($1, $2) ON CONFLICT(owner) DO UPDATE SET state = excluded.state",
                    [.text(owner), .text(try session.json(quota))], "save quota")
        }
    }

    public mutating func fallbackEventTypes(agent: AgentID, since: Instant) throws -> [CalendlyURI] {
        try checked {
            try rows("SELECT DISTINCT event_type FROM fallback_offers WHERE agent = $1 AND offered_at_ms >= $2",
                     [.text(agent.rawValue), .integer(since.millisecondsSince1970)], "fallback event types").map { CalendlyURI(try $0.text(0)) }.sorted()
        }
    }

    /// Locks the reference first: two hosts applying webhook notices to one booking take turns, each
    /// reducing the reference the other committed.
    public mutating func reference(_ key: BookingKey) -> BookingReference? {
        attempt(nil) {
            try session.lock("reference:\(key.rawValue)")
            return try storedReference(key)
        }
    }

    public mutating func referenceKey(matching notice: InviteeNotice) -> BookingKey? {
        attempt(nil) {
            for invitee in notice.relatedInvitees {
                if let row = try rows("SELECT key FROM reference_invitees WHERE invitee = $1", [.text(invitee.rawValue)], "match invitee").first {
                    return BookingKey(try row.text(0))
                }
            }
            // Of several pending matches the smallest key wins, compared in Swift exactly as InMemoryStore does.
            return try rows("SELECT key FROM reference_matches WHERE event_type = $1 AND start_ms = $2 AND email_key = $3",
                            [.text(notice.eventType.rawValue), .integer(notice.start.millisecondsSince1970), .text(notice.email.lowercased())],
                            "match slot").map { BookingKey(try $0.text(0)) }.min()
        }
    }

    public mutating func putReference(_ reference: BookingReference) {
        attempt(()) {
            try session.lock("reference:\(reference.key.rawValue)")
            if let old = try storedReference(reference.key) { try unindex(old) }
            try run("""
                INSERT INTO booking_references(key, state, agent, conversation, event_type, start_ms, email, status,
                    invitee, event, recorded_at_ms, canceled_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                ON CONFLICT(key) DO UPDATE SET state = excluded.state, agent = excluded.agent, conversation = excluded.conversation,
                    event_type = excluded.event_type, start_ms = excluded.start_ms, email = excluded.email, status = excluded.status,
                    invitee = excluded.invitee, event = excluded.event, recorded_at_ms = excluded.recorded_at_ms,
                    canceled_at_ms = excluded.canceled_at_ms
                """, [.text(reference.key.rawValue), .text(try session.json(reference)), .text(reference.agent.rawValue),
                      .text(reference.conversation.rawValue), .text(reference.eventType.rawValue), .integer(reference.start.millisecondsSince1970),
                      .optionalText(reference.email), .text(reference.status.rawValue), .optionalText(reference.invitee?.rawValue),
                      .optionalText(reference.event?.rawValue), .integer(reference.recordedAt.millisecondsSince1970),
                      .optionalInteger(reference.canceledAt?.millisecondsSince1970)], "put reference")
            try index(reference)
            try run("""
                INSERT INTO booking_intents(key, agent, conversation, event_type, start_ms, recorded_at_ms, outcome)
                VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT(key) DO UPDATE SET outcome = excluded.outcome
                """, [.text(reference.key.rawValue), .text(reference.agent.rawValue), .text(reference.conversation.rawValue),
                      .text(reference.eventType.rawValue), .integer(reference.start.millisecondsSince1970),
                      .integer(reference.recordedAt.millisecondsSince1970), .optionalText(Self.intentOutcome(reference.status))], "put intent")
        }
    }

    /// `InMemoryStore.index`, as `SQLiteTransaction` keeps it.
    private func index(_ reference: BookingReference) throws {
        for invitee in reference.knownInvitees {
            try run("INSERT INTO reference_invitees(invitee, key) VALUES ($1, $2) ON CONFLICT(invitee) DO UPDATE SET key = excluded.key",
                    [.text(invitee.rawValue), .text(reference.key.rawValue)], "index invitee")
        }
        if let email = reference.email {
            try run("INSERT INTO reference_matches(event_type, start_ms, email_key, key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    [.text(reference.eventType.rawValue), .integer(reference.start.millisecondsSince1970), .text(email.lowercased()),
                     .text(reference.key.rawValue)], "index match")
        }
    }

    private func unindex(_ reference: BookingReference) throws {
        for invitee in reference.knownInvitees {
            try run("DELETE FROM reference_invitees WHERE invitee = $1 AND key = $2", [.text(invitee.rawValue), .text(reference.key.rawValue)],
                    "unindex invitee")
        }
        if let email = reference.email {
            try run("DELETE FROM reference_matches WHERE event_type = $1 AND start_ms = $2 AND email_key = $3 AND key = $4",
                    [.text(reference.eventType.rawValue), .integer(reference.start.millisecondsSince1970), .text(email.lowercased()),
                     .text(reference.key.rawValue)], "unindex match")
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

    public mutating func deleteReference(_ key: BookingKey) {
        attempt(()) {
            try session.lock("reference:\(key.rawValue)")
            guard let old = try storedReference(key) else { return }
            try unindex(old)
            try run("DELETE FROM booking_references WHERE key = $1", [.text(key.rawValue)], "delete reference")
            try run("DELETE FROM booking_intents WHERE key = $1", [.text(key.rawValue)], "delete intent")
        }
    }

    public mutating func referenceKeys(recordedBefore cutoff: Instant) -> [BookingKey] {
        attempt([]) {
            try rows("SELECT key FROM booking_references WHERE recorded_at_ms < $1", [.integer(cutoff.millisecondsSince1970)], "reference keys")
                .map { BookingKey(try $0.text(0)) }.sorted()
        }
    }

    // MARK: - Failures, tokens, deliveries, telemetry

    public mutating func appendFailure(_ record: FailureRecord) {
        attempt(()) {
            try run("INSERT INTO failure_log(agent, conversation, reason, at_ms) VALUES ($1, $2, $3, $4)",
                    [.text(record.agent.rawValue), .text(record.conversation.rawValue), .text(record.reason),
                     .integer(record.at.millisecondsSince1970)], "append failure")
        }
    }

    public mutating func deleteFailures(before: Instant) {
        attempt(()) { try run("DELETE FROM failure_log WHERE at_ms < $1", [.integer(before.millisecondsSince1970)], "delete failures") }
    }

    public mutating func deleteTokens(of agent: AgentID) {
        attempt(()) { try run("DELETE FROM tokens WHERE agent = $1", [.text(agent.rawValue)], "delete tokens") }
    }

    public mutating func deleteToken(_ token: TokenReference) {
        attempt(()) { try run("DELETE FROM tokens WHERE reference = $1", [.text(token.rawValue)], "delete token") }
    }

    public mutating func forgetDeliveries(before: Instant) {
        attempt(()) { try run("DELETE FROM webhook_deliveries WHERE seen_at_ms < $1", [.integer(before.millisecondsSince1970)], "forget deliveries") }
    }

    // MARK: - Attributed fallback links

    public mutating func fallbackOffer(_ reference: ConversationReference) -> FallbackOffer? {
        attempt(nil) {
            try rows("SELECT reference, agent, conversation, event_type, offered_at_ms FROM fallback_offers WHERE reference = $1",
                     [.text(reference.rawValue)], "fallback offer").first.map {
                FallbackOffer(reference: ConversationReference(try $0.text(0)), agent: AgentID(try $0.text(1)),
                              conversation: ConversationID(try $0.text(2)), eventType: CalendlyURI(try $0.text(3)),
                              offeredAt: Instant(millisecondsSince1970: try $0.int64(4)))
            }
        }
    }

    public mutating func putFallbackOffer(_ offer: FallbackOffer) {
        attempt(()) {
            try run("""
                INSERT INTO fallback_offers(reference, agent, conversation, event_type, offered_at_ms) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT(reference) DO UPDATE SET agent = excluded.agent, conversation = excluded.conversation,
                    event_type = excluded.event_type, offered_at_ms = excluded.offered_at_ms
                """, [.text(offer.reference.rawValue), .text(offer.agent.rawValue), .text(offer.conversation.rawValue),
                      .text(offer.eventType.rawValue), .integer(offer.offeredAt.millisecondsSince1970)], "put fallback offer")
        }
    }

    public mutating func forgetFallbackOffers(before: Instant) {
        attempt(()) { try run("DELETE FROM fallback_offers WHERE offered_at_ms < $1", [.integer(before.millisecondsSince1970)], "forget fallback offers") }
    }

    /// Appends the event to `telemetry` (emails redacted) and counts it into its agent-day row — an
    /// upsert that adds, so two hosts counting into one day never lose a count.
    public mutating func record(_ event: TelemetryEvent) {
        attempt(()) {
            try run("INSERT INTO telemetry(name, agent, at_ms, payload) VALUES ($1, $2, $3, $4)",
                    [.text(event.name), .optionalText(event.agent?.rawValue), .integer(event.at.millisecondsSince1970),
                     .text(Redaction.json(event))], "telemetry")
            guard let day = Analytics.day(of: event) else { return }
            var counts = Analytics.Counts()
            guard Analytics.count(event, into: &counts) else { return }
            try run("""
                INSERT INTO daily_aggregates AS d(agent, day, offered, created, failed, canceled, conflicts, rescheduled, fallback_booked)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT(agent, day) DO UPDATE SET offered = d.offered + excluded.offered, created = d.created + excluded.created,
                    failed = d.failed + excluded.failed, canceled = d.canceled + excluded.canceled, conflicts = d.conflicts + excluded.conflicts,
                    rescheduled = d.rescheduled + excluded.rescheduled, fallback_booked = d.fallback_booked + excluded.fallback_booked
                """, [.text(day.agent.rawValue), .text(day.date.description), .integer(Int64(counts.offered)), .integer(Int64(counts.created)),
                      .integer(Int64(counts.failed)), .integer(Int64(counts.canceled)), .integer(Int64(counts.conflicts)),
                      .integer(Int64(counts.rescheduled)), .integer(Int64(counts.fallbackBooked))], "aggregates")
        }
    }

    // MARK: - Aggregate states

    /// Locks the conversation (advisory, so a conversation without a row yet is locked too) and reads it:
    /// a second host's step on the same conversation waits here until this one commits.
    public mutating func loadConversation(_ id: ConversationID) throws -> BookingConversation? {
        try checked {
            try session.lock("conversation:\(id.rawValue)")
            guard let row = try rows("SELECT state FROM conversations WHERE id = $1", [.text(id.rawValue)], "load conversation").first else { return nil }
            return try session.decode(BookingConversation.self, try row.text(0), table: "conversations", id: id.rawValue)
        }
    }

    public mutating func saveConversation(_ state: BookingConversation) throws {
        try checked {
            try session.lock("conversation:\(state.id.rawValue)")
            try run("""
                INSERT INTO conversations(id, state, phase, awaits_calendly, updated_at_ms, driver)
                VALUES ($1, $2, $3, $4, (extract(epoch FROM clock_timestamp()) * 1000)::bigint, $5)
                ON CONFLICT(id) DO UPDATE SET state = excluded.state, phase = excluded.phase, awaits_calendly = excluded.awaits_calendly,
                    updated_at_ms = excluded.updated_at_ms, driver = excluded.driver
                """, [.text(state.id.rawValue), .text(try session.json(state)), .text(state.phase.name),
                      .integer(state.phase.awaitsCalendly ? 1 : 0), .text(session.host)], "save conversation")
        }
    }

    public mutating func conversationIDsAwaitingCalendly() throws -> [ConversationID] {
        try checked {
            try rows("SELECT id FROM conversations WHERE awaits_calendly = 1", [], "awaiting calendly").map { ConversationID(try $0.text(0)) }.sorted()
        }
    }

    public mutating func loadConnection(_ agent: AgentID) throws -> Connection? {
        try checked {
            try session.lock("connection:\(agent.rawValue)")
            guard let row = try rows("SELECT state FROM connections WHERE agent = $1", [.text(agent.rawValue)], "load connection").first else { return nil }
            return try session.decode(Connection.self, try row.text(0), table: "connections", id: agent.rawValue)
        }
    }

    public mutating func saveConnection(_ state: Connection) throws {
        try checked {
            try session.lock("connection:\(state.agent.rawValue)")
            try run("INSERT INTO connections(agent, state) VALUES ($1, $2) ON CONFLICT(agent) DO UPDATE SET state = excluded.state",
                    [.text(state.agent.rawValue), .text(try session.json(state))], "save connection")
        }
    }

    public mutating func connectedAgents() throws -> [AgentID] {
        try checked {
            try rows("SELECT agent, state FROM connections", [], "connected agents").compactMap { row -> AgentID? in
                let agent = try row.text(0)
                return try session.decode(Connection.self, try row.text(1), table: "connections", id: agent).account == nil ? nil : AgentID(agent)
            }.sorted()
        }
    }

    public mutating func loadConfig(_ agent: AgentID) throws -> ActionConfig? {
        try checked {
            try session.lock("config:\(agent.rawValue)")
            guard let row = try rows("SELECT state FROM action_configs WHERE agent = $1", [.text(agent.rawValue)], "load config").first else { return nil }
            return try session.decode(ActionConfig.self, try row.text(0), table: "action_configs", id: agent.rawValue)
        }
    }

    public mutating func saveConfig(_ state: ActionConfig) throws {
        try checked {
            try session.lock("config:\(state.agent.rawValue)")
            try run("INSERT INTO action_configs(agent, state) VALUES ($1, $2) ON CONFLICT(agent) DO UPDATE SET state = excluded.state",
                    [.text(state.agent.rawValue), .text(try session.json(state))], "save config")
        }
    }

    // MARK: - Webhooks, journal, analytics

    /// One statement decides and records: a delivery inserted by two hosts at once returns a row to one
    /// of them only (the other waits on the first's uncommitted row, then sees the conflict).
    public mutating func insertDeliveryIfNew(_ id: DeliveryID, at: Instant) throws -> Bool {
        try checked {
            try rows("INSERT INTO webhook_deliveries(delivery_id, seen_at_ms) VALUES ($1, $2) ON CONFLICT(delivery_id) DO NOTHING RETURNING delivery_id",
                     [.text(id.rawValue), .integer(at.millisecondsSince1970)], "delivery dedupe").count == 1
        }
    }

    public mutating func appendJournal(stream: String, at: Instant, kind: String, payload: String) throws {
        try checked {
            try run("INSERT INTO journal(stream, at_ms, kind, payload) VALUES ($1, $2, $3, $4)",
                    [.text(stream), .integer(at.millisecondsSince1970), .text(kind), .text(payload)], "journal")
        }
    }

    public mutating func analytics(agent: AgentID, from: CivilDate, to: CivilDate) throws -> Analytics {
        try checked {
            // 'YYYY-MM-DD' compares like the date it names under byte order: COLLATE "C", whatever the database's locale.
            let rows = try rows("""
                SELECT day, offered, created, failed, canceled, conflicts, rescheduled, fallback_booked FROM daily_aggregates
                WHERE agent = $1 AND day COLLATE "C" >= $2 AND day COLLATE "C" <= $3
                """, [.text(agent.rawValue), .text(from.description), .text(to.description)], "analytics").map { row in
                (Analytics.Day(agent: agent, date: try Self.day(try row.text(0), agent: agent)), try Self.counts(row, from: 1))
            }
            return Analytics(days: Dictionary(rows, uniquingKeysWith: +))
        }
    }

    static func day(_ text: String, agent: AgentID) throws -> CivilDate {
        guard let date = CivilDate(iso: text) else { throw PostgresStoreError.undecodableRow(table: "daily_aggregates", id: "\(agent)/\(text)") }
        return date
    }

    /// Seven counters from column `from` on. A counter beyond Int's range is refused, not trapped on.
    static func counts(_ row: PostgresRandomAccessRow, from first: Int) throws -> Analytics.Counts {
        var counts = Analytics.Counts()
        let values = try (first..<first + 7).map { index -> Int in
            guard let value = Int(exactly: try row.int64(index)) else { throw PostgresStoreError.undecodableRow(table: "daily_aggregates", id: "counter") }
            return value
        }
        counts.offered = values[0]; counts.created = values[1]; counts.failed = values[2]; counts.canceled = values[3]
        counts.conflicts = values[4]; counts.rescheduled = values[5]; counts.fallbackBooked = values[6]
        return counts
    }

    public mutating func deleteJournal(before: Instant) throws {
        try checked { try run("DELETE FROM journal WHERE at_ms < $1", [.integer(before.millisecondsSince1970)], "journal retention") }
    }

    public mutating func keepDeadLetter(_ letter: WebhookDeadLetter, cap: Int) throws {
        try checked {
            try run("INSERT INTO webhook_dead_letters(received_at_ms, reason, body) VALUES ($1, $2, $3)",
                    [.integer(letter.receivedAt.millisecondsSince1970), .text(String(letter.reason.prefix(200))), .bytes(letter.body)], "dead letter")
            try run("DELETE FROM webhook_dead_letters WHERE id <= (SELECT id FROM webhook_dead_letters ORDER BY id DESC LIMIT 1 OFFSET $1)",
                    [.integer(Int64(max(0, cap)))], "dead letter cap")
        }
    }

    public mutating func deleteDeadLetters(before: Instant) throws {
        try checked {
            try run("DELETE FROM webhook_dead_letters WHERE received_at_ms < $1", [.integer(before.millisecondsSince1970)], "dead letter retention")
        }
    }
}

// MARK: - Reads for tests, audits and the differential

extension PostgresTransaction {
    public mutating func deadLetters() throws -> [WebhookDeadLetter] {
        try checked {
            try rows("SELECT received_at_ms, reason, body FROM webhook_dead_letters ORDER BY id", [], "dead letters").map { row in
                WebhookDeadLetter(reason: try row.text(1), receivedAt: Instant(millisecondsSince1970: try row.int64(0)), body: try row.bytes(2))
            }
        }
    }

    public mutating func allReferences() throws -> [BookingReference] {
        try checked { try rows("SELECT key, state FROM booking_references", [], "references").map(readReference).sorted { $0.key < $1.key } }
    }

    public mutating func failures() throws -> [FailureRecord] {
        try checked {
            try rows("SELECT agent, conversation, reason, at_ms FROM failure_log ORDER BY id", [], "failures").map {
                FailureRecord(agent: AgentID(try $0.text(0)), conversation: ConversationID(try $0.text(1)), reason: try $0.text(2),
                              at: Instant(millisecondsSince1970: try $0.int64(3)))
            }
        }
    }

    public mutating func deliveries() throws -> [DeliveryID: Instant] {
        try checked {
            Dictionary(try rows("SELECT delivery_id, seen_at_ms FROM webhook_deliveries", [], "deliveries").map {
                (DeliveryID(try $0.text(0)), Instant(millisecondsSince1970: try $0.int64(1)))
            }, uniquingKeysWith: { first, _ in first })
        }
    }

    public mutating func telemetryCounts() throws -> [String: Int] {
        try checked {
            Dictionary(try rows("SELECT name, COUNT(*) FROM telemetry GROUP BY name", [], "telemetry counts").map {
                (try $0.text(0), Int(try $0.int64(1)))
            }, uniquingKeysWith: +)
        }
    }

    public mutating func allAnalytics() throws -> Analytics {
        try checked {
            let rows = try rows("""
                SELECT agent, day, offered, created, failed, canceled, conflicts, rescheduled, fallback_booked FROM daily_aggregates
                """, [], "all analytics").map { row in
                let agent = AgentID(try row.text(0))
                return (Analytics.Day(agent: agent, date: try Self.day(try row.text(1), agent: agent)), try Self.counts(row, from: 2))
            }
            return Analytics(days: Dictionary(rows, uniquingKeysWith: +))
        }
    }

    public mutating func intentOutcomes() throws -> [BookingKey: String?] {
        try checked {
            Dictionary(try rows("SELECT key, outcome FROM booking_intents", [], "intents").map { (BookingKey(try $0.text(0)), try $0.optionalText(1)) },
                       uniquingKeysWith: { first, _ in first })
        }
    }

    public mutating func journal(stream: String) throws -> [JournalRow] {
        try checked {
            try rows("SELECT seq, stream, at_ms, kind, payload FROM journal WHERE stream = $1 ORDER BY seq", [.text(stream)], "journal read").map {
                JournalRow(seq: try $0.int64(0), stream: try $0.text(1), at: Instant(millisecondsSince1970: try $0.int64(2)), kind: try $0.text(3),
                           payload: try $0.text(4))
            }
        }
    }

    /// Rows in one of the store's tables (the same tables as SQLite's).
    public mutating func count(_ table: SQLiteSchema.Table) throws -> Int {
        try checked { Int(try rows("SELECT COUNT(*) FROM \(table.rawValue)", [], "count").first?.int64(0) ?? 0) }
    }
}
