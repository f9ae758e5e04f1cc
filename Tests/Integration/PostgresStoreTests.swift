import Core
import Dispatch
import Effects
import Foundation
import Testing
@testable import Interpreters
@testable import PostgresStore

/// The test database: `DATABASE_URL` (`.ci/run` starts one with scripts/postgres.sh). Locally, without
/// it, each PostgreSQL test prints a SKIPPED line and passes; in CI (`CI=true`) a missing URL fails.
enum PostgresTestDatabase {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "DATABASE_URL is not set, and CI=true: the PostgreSQL tests must run (scripts/postgres.sh start)" }
    }

    static func url(_ test: String = #function) throws -> DatabaseURL? {
        let environment = ProcessInfo.processInfo.environment
        guard let text = environment["DATABASE_URL"], !text.isEmpty else {
            if environment["CI"] == "true" { throw Missing() }
            print("SKIPPED: DATABASE_URL not set (\(test))")
            return nil
        }
        return try DatabaseURL(parsing: text)
    }

    /// A fresh schema of its own per test (tests run in parallel on one database), dropped afterwards.
    static func withStore<T>(poolSize: Int = 2, _ test: String = #function, _ body: (PostgresStore, DatabaseURL) throws -> T) throws -> T? {
        guard let url = try url(test) else { return nil }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let store = try PostgresStore(url: url, schema: schema, poolSize: poolSize)
        defer { _ = try? store.transaction { try $0.session.run("DROP SCHEMA \(PostgresStore.quoted(schema)) CASCADE", operation: "drop") } }
        return try body(store, url)
    }
}

/// PostgresStore against a real server: the differential with SQLite and memory, all-or-nothing
/// transactions, aggregate round trips, migrations.
@Suite struct PostgresStoreTests {
    /// The same seeded scripts as SQLite's differential, on MemoryRuntimeStore, SQLiteStore and
    /// PostgresStore at once: every step's outcome and the resulting state agree across all three.
    @Test(arguments: 0..<4)
    func behavesExactlyLikeSQLiteAndTheInMemoryStore(seed: Int) throws {
        try PostgresTestDatabase.withStore { postgres, _ throws in
            let steps = DifferentialScript.generate(seed: UInt64(seed) &+ 1000, count: 220)
            let memory = MemoryRuntimeStore()
            let sqlite = try SQLiteStore(path: ":memory:")
            var sawBooked = false
            for (index, step) in steps.enumerated() {
                let context = "seed \(seed) (script seed \(UInt64(seed) &+ 1000)) step \(index): \(step)"
                switch step {
                case .effects(let effects, let at):
                    let expected = try memory.transaction { LocalEffects.commit(effects, at: at, into: &$0) }
                    try SQLiteStoreTests.expectSameOutcome(try sqlite.transaction { LocalEffects.commit(effects, at: at, into: &$0) }, expected, context)
                    try SQLiteStoreTests.expectSameOutcome(try postgres.transaction { LocalEffects.commit(effects, at: at, into: &$0) }, expected, context)
                case .sweep(let at):
                    let expected = try memory.transaction { LocalEffects.sweep(now: at, into: &$0) }
                    try SQLiteStoreTests.expectSameOutcome(try sqlite.transaction { LocalEffects.sweep(now: at, into: &$0) }, expected, context)
                    try SQLiteStoreTests.expectSameOutcome(try postgres.transaction { LocalEffects.sweep(now: at, into: &$0) }, expected, context)
                case .delivery(let id, let at):
                    let expected = try memory.transaction { try $0.insertDeliveryIfNew(id, at: at) }
                    try #require(try sqlite.transaction { try $0.insertDeliveryIfNew(id, at: at) } == expected, "\(context)")
                    try #require(try postgres.transaction { try $0.insertDeliveryIfNew(id, at: at) } == expected, "\(context)")
                case .lookup(let notice):
                    let expected = try memory.transaction { $0.referenceKey(matching: notice) }
                    try #require(try sqlite.transaction { $0.referenceKey(matching: notice) } == expected, "\(context)")
                    try #require(try postgres.transaction { $0.referenceKey(matching: notice) } == expected, "\(context)")
                }
                try SQLiteStoreTests.expectSameState(sqlite, memory, context)
                try Self.expectSameState(postgres, memory, context)
                if memory.snapshot.durable.references.values.contains(where: { $0.status == .confirmed || $0.status == .created }) { sawBooked = true }
            }
            // Not vacuous: the script reached booked references and the aggregates.
            #expect(sawBooked, "seed \(seed): no booked reference")
            #expect(!(try postgres.transaction { try $0.allAnalytics() }).days.isEmpty, "seed \(seed): no aggregates")
        }
    }

    static func expectSameState(_ postgres: PostgresStore, _ memory: MemoryRuntimeStore, _ context: String) throws {
        let snapshot = memory.snapshot
        let references = try postgres.transaction { try $0.allReferences() }
        try #require(references == snapshot.durable.references.values.sorted { $0.key < $1.key }, "references differ at \(context)")
        try #require(try postgres.transaction { try $0.allAnalytics() } == snapshot.durable.analytics, "aggregates differ at \(context)")
        try #require(try postgres.transaction { try $0.failures() } == snapshot.durable.failures, "failure log differs at \(context)")
        try #require(try postgres.transaction { try $0.telemetryCounts() } == snapshot.durable.telemetryCount, "telemetry differs at \(context)")
        try #require(try postgres.transaction { try $0.deliveries() } == snapshot.deliveries, "deliveries differ at \(context)")
        let intents = try postgres.transaction { try $0.intentOutcomes() }
        try #require(Set(intents.keys) == Set(references.map(\.key)), "intent rows differ from references at \(context)")
        for agent in DifferentialScript.agents {
            var memoryTransaction = snapshot
            let from = DifferentialScript.start.utcDate, to = (DifferentialScript.start + .days(1200)).utcDate
            let expected = try memoryTransaction.analytics(agent: agent, from: from, to: to)
            try #require(try postgres.analytics(agent: agent, from: from, to: to) == expected, "analytics(agent:) differs at \(context)")
        }
    }

    @Test func aThrowingBodyLeavesNothingWrittenAndTheErrorIsTheBodysOwn() throws {
        struct Refused: Error, Equatable {}
        try PostgresTestDatabase.withStore { store, _ throws in
            #expect(throws: Refused.self) {
                try store.transaction { tx in
                    _ = try tx.insertDeliveryIfNew("d-1", at: SQLiteStoreTests.t0)
                    try tx.appendJournal(stream: "s", at: SQLiteStoreTests.t0, kind: "k", payload: "{}")
                    throw Refused()
                }
            }
            #expect(try store.transaction { try $0.deliveries() }.isEmpty)
            #expect(try store.transaction { try $0.count(.journal) } == 0)
            // The connection went back to the pool in a clean state: the next transaction works.
            #expect(try store.transaction { try $0.insertDeliveryIfNew("d-1", at: SQLiteStoreTests.t0) })
        }
    }

    /// A non-throwing DurableState method whose statement fails (here: text PostgreSQL cannot hold)
    /// poisons the step: nothing it wrote before commits, the failure is rethrown without the value.
    @Test func aFailedStatementInsideANonThrowingMethodFailsTheWholeStep() throws {
        try PostgresTestDatabase.withStore { store, _ throws in
            let secret = "sk_live_secret\u{0}tail"
            do {
                try store.transaction { tx in
                    _ = try tx.insertDeliveryIfNew("d-2", at: SQLiteStoreTests.t0)
                    tx.appendFailure(FailureRecord(agent: "acme:agent-1", conversation: "acme:conv-1", reason: secret, at: SQLiteStoreTests.t0))
                }
                Issue.record("a NUL in text must fail the step")
            } catch {
                #expect(error as? PostgresStoreError == .nulInText(operation: "append failure"))
                #expect(!"\(error)".contains("sk_live"))
            }
            #expect(try store.transaction { try $0.deliveries() }.isEmpty)
            #expect(try store.transaction { try $0.failures() }.isEmpty)
        }
    }

    @Test func aggregateStatesRoundTripAndRecoveryFindsConversationsWaitingOnCalendly() throws {
        try PostgresTestDatabase.withStore { store, _ throws in
            var waiting = BookingConversation(id: "acme:conv-9")
            waiting.phase = .checkingAvailability("acme:conv-9/1")
            waiting.email = "Zoë\u{0}Null@example.com"  // inside the JSON state a NUL is escaped, so TEXT holds it
            waiting.attempts = Int.max
            var connection = Connection(agent: SQLiteStoreTests.agent)
            connection.lastError = "access_denied"
            let config = ActionConfig(agent: SQLiteStoreTests.agent)
            try store.transaction { tx in
                try tx.saveConversation(waiting)
                try tx.saveConversation(BookingConversation(id: "acme:conv-8"))
                try tx.saveConnection(connection)
                try tx.saveConfig(config)
            }
            #expect(try store.transaction { try $0.loadConversation("acme:conv-9") } == waiting)
            #expect(try store.transaction { try $0.loadConversation("acme:conv-7") } == nil)
            #expect(try store.transaction { try $0.loadConnection(SQLiteStoreTests.agent) } == connection)
            #expect(try store.transaction { try $0.loadConfig(SQLiteStoreTests.agent) } == config)
            #expect(try store.conversationIDsAwaitingCalendly() == ["acme:conv-9"])
            let letter = WebhookDeadLetter(reason: String(repeating: "r", count: 500), receivedAt: SQLiteStoreTests.t0,
                                           body: [0xFF, 0x00, 0xFE] + Array(repeating: 0x41, count: 100_000))
            try store.transaction { try $0.keepDeadLetter(letter, cap: 2) }
            let kept = try store.transaction { try $0.deadLetters() }
            #expect(kept.count == 1 && kept.first?.body == letter.body && kept.first?.reason.count == 200)
            #expect(try store.schemaVersion() == PostgresSchema.currentVersion)
        }
    }
}
