import Core
import Dispatch
import Effects
import Foundation
import Synchronization
import Testing
@testable import Interpreters

/// The SQLite store against a real file: migrations, the same semantics as the in-memory store
/// (differential), all-or-nothing transactions, concurrent writers, durability across reopen.
@Suite struct SQLiteStoreTests {
    // MARK: - Fixtures

    /// A fresh directory per test (tests run in parallel); removed afterwards with the -wal/-shm files.
    static func withTemporaryPath<T>(_ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory.appendingPathComponent("store.sqlite").path)
    }

    static func withTemporaryPath<T>(_ body: (String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(directory.appendingPathComponent("store.sqlite").path)
    }

    static let t0 = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let agent = AgentID("acme:agent-1")

    static func intent(_ key: String, agent: AgentID = agent, conversation: String = "acme:conv-1", eventType: String = "https://api.calendly.com/event_types/INTRO",
                       start: Instant = t0 + .days(1), email: String = "Ann@Example.com", at: Instant = t0) -> BookingIntent {
        BookingIntent(key: BookingKey(key), agent: agent, conversation: ConversationID(conversation), eventType: CalendlyURI(eventType),
                      start: start, email: email, recordedAt: at)
    }

    static func notice(_ kind: InviteeNotice.Kind, invitee: String, eventType: String = "https://api.calendly.com/event_types/INTRO",
                       email: String, start: Instant, sentAt: Instant) -> InviteeNotice {
        InviteeNotice(kind: kind, delivery: DeliveryID("\(kind.rawValue)|\(invitee)"), invitee: CalendlyURI(invitee),
                      event: CalendlyURI("\(invitee)/event"), eventType: CalendlyURI(eventType), email: email, start: start,
                      cancelURL: "https://calendly.com/cancellations/\(invitee.count)", rescheduleURL: "https://calendly.com/reschedulings/x",
                      rescheduled: false, sentAt: sentAt)
    }

    // MARK: - Migrations

    @Test func migratesAnEmptyFileToTheCurrentSchema() throws {
        try Self.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            #expect(try store.schemaVersion() == SQLiteSchema.currentVersion)
            #expect(SQLiteSchema.currentVersion == 7)
            for table in SQLiteSchema.Table.allCases {
                #expect(try store.transaction { try $0.count(table) } == 0, "table \(table.rawValue)")
            }
            #expect(try store.pragma("journal_mode") == "wal")
            #expect(try store.pragma("synchronous") == "1")  // NORMAL; steps before Calendly-changing calls sync (below)
            #expect(try store.pragma("foreign_keys") == "1")
            #expect(try store.pragma("busy_timeout") == "5000")
            #expect(try store.integrityCheck() == "ok")
            // Opening again runs nothing twice (CREATE TABLE would fail) and keeps the version.
            let again = try SQLiteStore(path: path)
            #expect(try again.schemaVersion() == SQLiteSchema.currentVersion)
        }
    }

    /// A file written by version 1 opens under the current build (version 4 adds the reschedule and
    /// fallback counters and `fallback_offers`): old rows survive and the new counters start at zero.
    @Test func migratesAVersion1FileToTheCurrentSchema() throws {
        try Self.withTemporaryPath { path in
            do {
                // Written with version 1's columns, as the shipped build did.
                let v1 = try SQLiteStore(path: path, migrations: Array(SQLiteSchema.migrations.prefix(1)))
                _ = try v1.transaction { tx in
                    try tx.db.run("INSERT INTO daily_aggregates(agent, day, created) VALUES (?, ?, 1)",
                                  [.text(Self.agent.rawValue), .text(Self.t0.utcDate.description)])
                }
                #expect(try v1.schemaVersion() == 1)
            }
            let current = try SQLiteStore(path: path)
            #expect(try current.schemaVersion() == SQLiteSchema.currentVersion)
            var counts = try #require(try current.analytics(agent: Self.agent, from: Self.t0.utcDate, to: Self.t0.utcDate).days.values.first)
            #expect(counts.created == 1 && counts.rescheduled == 0 && counts.fallbackBooked == 0)
            try current.transaction { tx in
                tx.record(.bookingRescheduled(agent: Self.agent, conversation: "acme:conv-1", eventType: "https://api.calendly.com/event_types/INTRO", at: Self.t0))
                tx.putFallbackOffer(FallbackOffer(reference: "0123456789abcdef01234567", agent: Self.agent, conversation: "acme:conv-2",
                                                  eventType: "https://api.calendly.com/event_types/INTRO", offeredAt: Self.t0))
            }
            counts = try #require(try current.analytics(agent: Self.agent, from: Self.t0.utcDate, to: Self.t0.utcDate).days.values.first)
            #expect(counts.created == 1 && counts.rescheduled == 1)
            #expect(try current.transaction { $0.fallbackOffer("0123456789abcdef01234567") }?.conversation == "acme:conv-2")
            #expect(try current.integrityCheck() == "ok")
        }
    }

    /// A file written by the current schema opens under a build that appended one more version: the
    /// data survives, the new version runs once, and the old build then refuses the newer file.
    @Test func migratesAFileFromThePreviousVersion() throws {
        let next = SQLiteSchema.currentVersion + 1
        try Self.withTemporaryPath { path in
            do {
                let current = try SQLiteStore(path: path)
                try current.transaction { tx in
                    _ = LocalEffects.commit([.store(.recordIntent(Self.intent("k1")))], at: Self.t0, into: &tx)
                    tx.record(.bookingCreated(agent: Self.agent, conversation: "acme:conv-1", eventType: "https://api.calendly.com/event_types/INTRO",
                                              scheduledTime: Self.t0 + .days(1), at: Self.t0))
                }
            }
            let appended = SQLiteSchema.Migration(version: next, statements: [
                "ALTER TABLE booking_references ADD COLUMN note TEXT",
                "CREATE TABLE next_marker(x INTEGER) STRICT",
                "INSERT INTO next_marker(x) VALUES (42)",
            ])
            let newer = try SQLiteStore(path: path, migrations: SQLiteSchema.migrations + [appended])
            #expect(try newer.schemaVersion() == next)
            #expect(try newer.transaction { $0.reference("k1") }?.status == .pending)
            #expect(try newer.analytics(agent: Self.agent, from: Self.t0.utcDate, to: Self.t0.utcDate).days.values.first?.created == 1)
            #expect(try newer.transaction { try $0.db.scalarInt("SELECT COUNT(*) FROM next_marker") } == 1)
            #expect(try newer.transaction { try $0.db.scalarInt("SELECT COUNT(note) FROM booking_references") } == 0)
            // Reopening does not rerun it (the ALTER would fail, the INSERT would double).
            let reopened = try SQLiteStore(path: path, migrations: SQLiteSchema.migrations + [appended])
            #expect(try reopened.transaction { try $0.db.scalarInt("SELECT COUNT(*) FROM next_marker") } == 1)
            // A build that only knows the current version must not touch the newer file.
            #expect(throws: SQLiteStoreError.schemaTooNew(found: next, supported: SQLiteSchema.currentVersion)) { try SQLiteStore(path: path) }
            #expect(try newer.integrityCheck() == "ok")
        }
    }

    /// A step that asks for a synced commit gets one extra fsynced commit (the barrier) after its own;
    /// other steps do not, and the connection is back to NORMAL either way.
    @Test func onlyStepsThatAskForItPayForAnFsync() throws {
        try Self.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            func barrierCommits() throws -> Int64 {
                try store.transaction { try $0.db.scalarInt("SELECT commits FROM durability_barrier WHERE id = 1") ?? -1 }
            }
            try store.transaction { tx in try tx.saveConversation(BookingConversation(id: "acme:plain")) }
            #expect(try barrierCommits() == 0)
            try store.transaction { tx in
                try tx.saveConversation(BookingConversation(id: "acme:before-booking"))
                tx.requireSyncedCommit()
            }
            #expect(try barrierCommits() == 1)
            #expect(try store.pragma("synchronous") == "1")
            // A step that fails asks for nothing and leaves nothing.
            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try store.transaction { tx in
                    try tx.saveConversation(BookingConversation(id: "acme:failed"))
                    tx.requireSyncedCommit()
                    throw Boom()
                }
            }
            #expect(try barrierCommits() == 1)
            #expect(try store.transaction { try $0.loadConversation("acme:failed") } == nil)
            try store.transaction { tx in try tx.saveConversation(BookingConversation(id: "acme:plain-again")) }
            #expect(try barrierCommits() == 1, "the request does not leak into the next step")
        }
    }

    /// Version 2 keeps every pending reference of a (event type, start, email) triple findable. A
    /// version-1 file already lost the older intent's entry when the newer one settled; the migration
    /// rebuilds it, so that intent's webhook matches after the upgrade.
    @Test func version2RestoresMatchEntriesVersion1Lost() throws {
        try Self.withTemporaryPath { path in
            let start = Self.t0 + .days(2)
            do {
                let v1 = try SQLiteStore(path: path, migrations: [SQLiteSchema.version1])
                try v1.transaction { tx in
                    _ = LocalEffects.commit([
                        .store(.recordIntent(Self.intent("older", conversation: "acme:conv-1", start: start, email: "ann@example.com"))),
                        .store(.recordIntent(Self.intent("newer", conversation: "acme:conv-2", start: start, email: "ann@example.com"))),
                    ], at: Self.t0, into: &tx)
                    _ = LocalEffects.commit([.store(.settleIntent("newer", .notBooked(reason: "slot_unavailable"), at: Self.t0))], at: Self.t0, into: &tx)
                    // As version 1's algorithm left it: the newer put owned the one entry, and its settling removed it.
                    _ = try tx.db.run("DELETE FROM reference_matches")
                }
            }
            let upgraded = try SQLiteStore(path: path)
            #expect(try upgraded.schemaVersion() == SQLiteSchema.currentVersion)
            let notice = Self.notice(.created, invitee: "https://api.calendly.com/invitees/X", email: "Ann@example.com", start: start, sentAt: Self.t0)
            #expect(try upgraded.transaction { $0.referenceKey(matching: notice) } == "older")
            #expect(try upgraded.integrityCheck() == "ok")
        }
    }

    /// A file left at version 0 (crash after the bootstrap, before migration 1 committed) migrates.
    @Test func migratesAFileStuckBeforeTheFirstMigration() throws {
        try Self.withTemporaryPath { path in
            do {
                let db = try Database(path: path)
                try db.execute("CREATE TABLE schema_version(id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT")
                try db.execute("INSERT INTO schema_version(id, version) VALUES (1, 0)")
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.schemaVersion() == SQLiteSchema.currentVersion)
            #expect(try store.transaction { try $0.count(.bookingReferences) } == 0)
        }
    }

    /// Each migration is one transaction: a failing statement leaves the previous version intact.
    @Test func aFailingMigrationRollsBackCompletely() throws {
        try Self.withTemporaryPath { path in
            _ = try SQLiteStore(path: path)
            let next = SQLiteSchema.currentVersion + 1
            let broken = SQLiteSchema.Migration(version: next, statements: ["CREATE TABLE half_done(x INTEGER)", "THIS IS NOT SQL"])
            #expect {
                try SQLiteStore(path: path, migrations: SQLiteSchema.migrations + [broken])
            } throws: { error in
                (error as? SQLiteError)?.operation == "migration \(next)"
            }
            let store = try SQLiteStore(path: path)
            #expect(try store.schemaVersion() == SQLiteSchema.currentVersion)
            #expect(try store.transaction { try $0.db.scalarInt("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'") } == 0)
            #expect(throws: SQLiteStoreError.invalidMigrationList) {
                try SQLiteStore(path: path, migrations: [SQLiteSchema.Migration(version: 2, statements: [])])
            }
        }
    }

    // MARK: - Differential: SQLite ≡ in memory

    /// The most valuable test here: a seeded script of local effects (intents, settlements, webhook
    /// notices, telemetry, failures, deliveries, retention sweeps over years) applied to both stores
    /// gives the same outcomes step by step and the same references, aggregates and logs.
    @Test(arguments: 0..<12)
    func behavesExactlyLikeTheInMemoryStore(seed: Int) throws {
        let steps = DifferentialScript.generate(seed: UInt64(seed), count: 220)
        if seed == 0 {
            try Self.withTemporaryPath { path in try Self.runDifferential(steps, path: path, seed: seed, reopenAtEnd: true) }
        } else {
            try Self.runDifferential(steps, path: ":memory:", seed: seed, reopenAtEnd: false)
        }
    }

    static func runDifferential(_ steps: [DifferentialScript.Step], path: String, seed: Int, reopenAtEnd: Bool) throws {
        let memory = MemoryRuntimeStore()
        var sqlite = try SQLiteStore(path: path)
        var seen: Set<String> = []  // which interesting paths the script reached (so a pass is not vacuous)
        for (index, step) in steps.enumerated() {
            let referencesBefore = memory.snapshot.durable.references.count
            defer {
                let snapshot = memory.snapshot
                if snapshot.durable.references.count < referencesBefore { seen.insert("expired") }
                if snapshot.durable.references.values.contains(where: { $0.status == .confirmed }) { seen.insert("confirmed") }
                if snapshot.durable.references.values.contains(where: { $0.status == .canceled }) { seen.insert("canceled") }
                if snapshot.durable.references.values.contains(where: { $0.reschedules != nil }) { seen.insert("rescheduled") }
                if snapshot.durable.references.values.contains(where: { $0.origin == .fallbackLink }) { seen.insert("fallbackBooked") }
            }
            let context = "seed \(seed) step \(index): \(step)"
            switch step {
            case .effects(let effects, let at):
                let expected = try memory.transaction { LocalEffects.commit(effects, at: at, into: &$0) }
                let actual = try sqlite.transaction { LocalEffects.commit(effects, at: at, into: &$0) }
                try expectSameOutcome(actual, expected, context)
                if !expected.followUps.isEmpty { seen.insert("bookingSeen") }
                if expected.telemetry.contains(.webhookRejected(reason: "unknown_event", at: at)) { seen.insert("unknown") }
            case .sweep(let at):
                let expected = try memory.transaction { LocalEffects.sweep(now: at, into: &$0) }
                let actual = try sqlite.transaction { LocalEffects.sweep(now: at, into: &$0) }
                try expectSameOutcome(actual, expected, context)
            case .delivery(let id, let at):
                let expected = try memory.transaction { try $0.insertDeliveryIfNew(id, at: at) }
                let actual = try sqlite.transaction { try $0.insertDeliveryIfNew(id, at: at) }
                try #require(actual == expected, "\(context)")
            case .lookup(let notice):
                let expected = try memory.transaction { $0.referenceKey(matching: notice) }
                let actual = try sqlite.transaction { $0.referenceKey(matching: notice) }
                try #require(actual == expected, "\(context)")
            }
            try expectSameState(sqlite, memory, context)
        }
        #expect(seen == ["expired", "confirmed", "canceled", "bookingSeen", "unknown", "rescheduled", "fallbackBooked"], "seed \(seed) reached only \(seen.sorted())")
        if reopenAtEnd {
            sqlite = try SQLiteStore(path: path)  // everything above was committed to the file
            try expectSameState(sqlite, memory, "seed \(seed) after reopen")
            #expect(try sqlite.integrityCheck() == "ok")
        }
    }

    static func expectSameOutcome(_ actual: LocalEffects.Outcome, _ expected: LocalEffects.Outcome, _ context: String) throws {
        try #require(actual.external == expected.external, "external effects differ at \(context)")
        try #require(actual.followUps == expected.followUps, "follow-ups differ at \(context)")
        try #require(actual.rejections == expected.rejections, "rejections differ at \(context)")
        try #require(actual.telemetry == expected.telemetry, "telemetry differs at \(context)")
        try #require(actual.logs == expected.logs, "logs differ at \(context)")
    }

    static func expectSameState(_ sqlite: SQLiteStore, _ memory: MemoryRuntimeStore, _ context: String) throws {
        let snapshot = memory.snapshot
        let references = try sqlite.transaction { try $0.allReferences() }
        try #require(references == snapshot.durable.references.values.sorted { $0.key < $1.key }, "references differ at \(context)")
        try #require(try sqlite.transaction { try $0.allAnalytics() } == snapshot.durable.analytics, "aggregates differ at \(context)")
        try #require(try sqlite.transaction { try $0.failures() } == snapshot.durable.failures, "failure log differs at \(context)")
        try #require(try sqlite.transaction { try $0.telemetryCounts() } == snapshot.durable.telemetryCount, "telemetry differs at \(context)")
        try #require(try sqlite.transaction { try $0.deliveries() } == snapshot.deliveries, "deliveries differ at \(context)")
        // Every key recorded has an audit row; every audit row belongs to a live reference (both expire together).
        let intents = try sqlite.transaction { try $0.intentOutcomes() }
        try #require(Set(intents.keys) == Set(references.map(\.key)), "intent rows differ from references at \(context)")
        for agent in DifferentialScript.agents {
            var memoryTransaction = snapshot
            let from = DifferentialScript.start.utcDate, to = (DifferentialScript.start + .days(1200)).utcDate
            let expected = try memoryTransaction.analytics(agent: agent, from: from, to: to)
            try #require(try sqlite.analytics(agent: agent, from: from, to: to) == expected, "analytics(agent:) differs at \(context)")
            let report = expected.report(agent: agent, from: from, to: from.adding(months: 1))
            let sqlReport = try sqlite.analytics(agent: agent, from: from, to: from.adding(months: 1)).report(agent: agent, from: from, to: from.adding(months: 1))
            try #require(sqlReport == report, "report differs at \(context)")
        }
    }

    /// The case the differential found: two pending intents for the same slot and email; the newer one
    /// settles, so it leaves the (event type, start, email) index — and, as in InMemoryStore, takes the
    /// entry with it although the older intent is still pending. Both stores must answer alike.
    @Test func webhookMatchingFollowsTheInMemoryIndexesExactly() throws {
        let start = Self.t0 + .days(2)
        let script: [[Effect]] = [
            [.store(.recordIntent(Self.intent("older", conversation: "acme:conv-1", start: start, email: "Ann@Example.com")))],
            [.store(.recordIntent(Self.intent("newer", conversation: "acme:conv-2", start: start, email: "ann@example.com")))],
            [.store(.settleIntent("newer", .notBooked(reason: "slot_unavailable"), at: Self.t0))],
            [.notify(.inviteeNotice(Self.notice(.created, invitee: "https://api.calendly.com/invitees/X", email: "ANN@example.com", start: start, sentAt: Self.t0)))],
        ]
        let memory = MemoryRuntimeStore()
        let sqlite = try SQLiteStore(path: ":memory:")
        var last: (LocalEffects.Outcome, LocalEffects.Outcome)?
        for effects in script {
            let expected = try memory.transaction { LocalEffects.commit(effects, at: Self.t0, into: &$0) }
            let actual = try sqlite.transaction { LocalEffects.commit(effects, at: Self.t0, into: &$0) }
            try Self.expectSameOutcome(actual, expected, "\(effects)")
            last = (actual, expected)
        }
        // The newer intent with the same (event type, start, email) settled; the older one still waits
        // and its webhook must find it (not end as unknown_event).
        #expect(last?.0.telemetry == [])
        let woken = last?.0.followUps.compactMap { followUp -> ConversationID? in
            if case .conversation(let id, _) = followUp { return id } else { return nil }
        }
        #expect(woken == ["acme:conv-1"])
        #expect(try sqlite.transaction { $0.reference("older") }?.status == .confirmed)
        #expect(try memory.transaction { $0.reference("older") }?.status == .confirmed)
        try Self.expectSameState(sqlite, memory, "end")
    }

    // MARK: - Transactions

    @Test func aThrowingBodyLeavesNothingWritten() throws {
        struct Boom: Error {}
        try Self.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            #expect(throws: Boom.self) {
                try store.transaction { tx in
                    _ = LocalEffects.commit([
                        .store(.recordIntent(Self.intent("k1"))),
                        .store(.appendFailure(FailureRecord(agent: Self.agent, conversation: "acme:conv-1", reason: "timeout", at: Self.t0))),
                        .emit(.bookingOffered(agent: Self.agent, conversation: "acme:conv-1", eventType: "e", channel: .text, at: Self.t0)),
                    ], at: Self.t0, into: &tx)
                    try tx.saveConversation(BookingConversation(id: "acme:conv-1"))
                    try tx.saveConnection(Connection(agent: Self.agent))
                    try tx.saveConfig(ActionConfig(agent: Self.agent))
                    _ = try tx.insertDeliveryIfNew("d1", at: Self.t0)
                    try tx.appendJournal(stream: "conversation:acme:conv-1", at: Self.t0, kind: "conversation", payload: "{}")
                    throw Boom()
                }
            }
            for table in SQLiteSchema.Table.allCases {
                #expect(try store.transaction { try $0.count(table) } == 0, "table \(table.rawValue) after rollback")
            }
            // The connection is usable afterwards, and the same writes commit when nothing throws.
            try store.transaction { tx in _ = LocalEffects.commit([.store(.recordIntent(Self.intent("k1")))], at: Self.t0, into: &tx) }
            #expect(try store.transaction { try $0.count(.bookingReferences) } == 1)
        }
    }

    /// A `DurableState` method cannot throw: when its statement fails, the whole step must still fail.
    @Test func aFailedStatementInsideANonThrowingMethodFailsTheWholeStep() throws {
        try Self.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let saboteur = try Database(path: path)
            try saboteur.execute("DROP TABLE failure_log")
            #expect(throws: SQLiteError.self) {
                try store.transaction { tx in
                    _ = LocalEffects.commit([
                        .store(.recordIntent(Self.intent("k1"))),
                        .store(.appendFailure(FailureRecord(agent: Self.agent, conversation: "acme:conv-1", reason: "timeout", at: Self.t0))),
                        .store(.recordIntent(Self.intent("k2"))),
                    ], at: Self.t0, into: &tx)
                }
            }
            #expect(try store.transaction { try $0.count(.bookingReferences) } == 0)
            #expect(try store.transaction { try $0.count(.bookingIntents) } == 0)
        }
    }

    // MARK: - Concurrency

    /// Many tasks on one store, each a read-modify-write of the same row: no update is lost.
    @Test func concurrentTasksOnOneStoreAllCommit() async throws {
        try await Self.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            let writers = 8, perWriter = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        for step in 0..<perWriter { try Self.writeOneStep(store, writer: writer, step: step) }
                    }
                }
                try await group.waitForAll()
            }
            try Self.expectTotals(store, total: writers * perWriter)
        }
    }

    /// Two store instances (two connections, as two processes would) on one file, from plain threads.
    @Test func twoStoresOnOneFileSerializeTheirWriters() throws {
        try Self.withTemporaryPath { path in
            let stores = [try SQLiteStore(path: path), try SQLiteStore(path: path)]
            let threads = 6, perThread = 30
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                do {
                    for step in 0..<perThread { try Self.writeOneStep(stores[thread % 2], writer: thread, step: step) }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
            try Self.expectTotals(stores[0], total: threads * perThread)
            try Self.expectTotals(try SQLiteStore(path: path), total: threads * perThread)
        }
    }

    static func writeOneStep(_ store: SQLiteStore, writer: Int, step: Int) throws {
        try store.transaction { tx in
            var counter = try tx.loadConversation("counter") ?? BookingConversation(id: "counter")
            counter.offers += 1
            try tx.saveConversation(counter)
            #expect(try tx.insertDeliveryIfNew(DeliveryID("d-\(writer)-\(step)"), at: t0))
            _ = LocalEffects.commit([
                .store(.recordIntent(intent("k-\(writer)-\(step)", conversation: "c-\(writer)"))),
                .emit(.bookingCreated(agent: agent, conversation: ConversationID("c-\(writer)"), eventType: "e", scheduledTime: t0, at: t0 + .minutes(Int64(step)))),
            ], at: t0, into: &tx)
            try tx.appendJournal(stream: "conversation:c-\(writer)", at: t0, kind: "conversation", payload: "{\"step\":\(step)}")
        }
    }

    static func expectTotals(_ store: SQLiteStore, total: Int) throws {
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.transaction { try $0.loadConversation("counter") }?.offers == total)
        #expect(try store.transaction { try $0.count(.webhookDeliveries) } == total)
        #expect(try store.transaction { try $0.count(.bookingReferences) } == total)
        #expect(try store.transaction { try $0.count(.journal) } == total)
        #expect(try store.transaction { try $0.count(.telemetry) } == total)
        #expect(try store.analytics(agent: agent, from: t0.utcDate, to: t0.utcDate).days.values.reduce(0) { $0 + $1.created } == total)
    }

    // MARK: - Aggregate states, deliveries, recovery

    @Test func aggregateStatesRoundTripAndRecoveryFindsConversationsWaitingOnCalendly() throws {
        try Self.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            var checking = BookingConversation(id: "acme:c-checking")
            checking.phase = .checkingAvailability("acme:c-checking/1")
            checking.email = "Zoë\u{0}Null@example.com"  // an embedded NUL and non-ASCII survive the TEXT column
            var done = BookingConversation(id: "acme:c-done")
            done.phase = .staticLink(reason: "no_slots")
            var connection = Connection(agent: Self.agent)
            connection.lastError = "access_denied"
            let config = ActionConfig(agent: Self.agent)
            try store.transaction { tx in
                try tx.saveConversation(checking)
                try tx.saveConversation(done)
                try tx.saveConversation(BookingConversation(id: "acme:c-idle"))
                try tx.saveConnection(connection)
                try tx.saveConfig(config)
            }
            let reopened = try SQLiteStore(path: path)
            #expect(try reopened.transaction { try $0.loadConversation("acme:c-checking") } == checking)
            #expect(try reopened.transaction { try $0.loadConversation("acme:c-done") } == done)
            #expect(try reopened.transaction { try $0.loadConversation("acme:unknown") } == nil)
            #expect(try reopened.transaction { try $0.loadConnection(Self.agent) } == connection)
            #expect(try reopened.transaction { try $0.loadConfig(Self.agent) } == config)
            #expect(try reopened.conversationIDsAwaitingCalendly() == ["acme:c-checking"])
            // A conversation that stops waiting drops out of the recovery list.
            checking.phase = .staticLink(reason: "fetch_failed")
            try reopened.transaction { try $0.saveConversation(checking) }
            #expect(try reopened.conversationIDsAwaitingCalendly() == [])
        }
    }

    @Test func deliveriesAreDedupedInOneStatementAndForgottenAfterTheWindow() throws {
        let store = try SQLiteStore(path: ":memory:")
        #expect(try store.transaction { try $0.insertDeliveryIfNew("d1", at: Self.t0) })
        // Exactly at the window's edge the id (and a failure exactly 90 days old) is still kept.
        try store.transaction { tx in
            tx.appendFailure(FailureRecord(agent: Self.agent, conversation: "acme:conv-1", reason: "timeout", at: Self.t0 + WebhookIntake.dedupeWindow - Retention.failureLogLifetime))
        }
        _ = try store.transaction { LocalEffects.sweep(now: Self.t0 + WebhookIntake.dedupeWindow, into: &$0) }
        #expect(try store.transaction { try $0.failures() }.count == 1)
        #expect(try !store.transaction { try $0.insertDeliveryIfNew("d1", at: Self.t0 + WebhookIntake.dedupeWindow) })
        #expect(try !store.transaction { try $0.insertDeliveryIfNew("d1", at: Self.t0 + .hours(1)) })
        _ = try store.transaction { LocalEffects.sweep(now: Self.t0 + WebhookIntake.dedupeWindow + .hours(1), into: &$0) }
        #expect(try store.transaction { try $0.insertDeliveryIfNew("d1", at: Self.t0 + .days(8)) })
    }

    // MARK: - The wrapper

    @Test func statementsArePreparedOnceAndErrorsNeverCarryBoundValues() throws {
        let db = try Database(path: ":memory:")
        try db.execute("CREATE TABLE t(k TEXT PRIMARY KEY, v BLOB)")
        for index in 0..<100 { try db.run("INSERT INTO t(k, v) VALUES (?, ?)", [.text("key-\(index)\u{0}tail"), .blob(Data([UInt8(index), 0, 1]))]) }
        #expect(db.cachedStatementCount == 1)
        #expect(try db.row("SELECT k, v FROM t WHERE k = ?", [.text("key-7\u{0}tail")]) { [$0.text(0), $0.blob(1).map { "\(Array($0))" }] } == ["key-7\u{0}tail", "[7, 0, 1]"])
        #expect(try db.row("SELECT v FROM t WHERE k = ?", [.text("key-7")]) { $0.blob(0) } == nil)
        let secret = "s3cr3t-value-\(UUID().uuidString)"
        try db.run("INSERT INTO t(k, v) VALUES (?, NULL)", [.text(secret)])
        do {
            try db.run("INSERT INTO t(k, v) VALUES (?, NULL)", [.text(secret)])
            Issue.record("a duplicate key must fail")
        } catch let error as SQLiteError {
            #expect(error.primaryCode == 19)  // SQLITE_CONSTRAINT
            #expect(!"\(error)".contains(secret))
            #expect("\(error)".contains("UNIQUE constraint failed"))
        }
        #expect(throws: SQLiteError.self) { try db.run("SELECT * FROM missing_table") }
        // Nested transactions are refused rather than silently merged.
        try db.transaction { () -> Void in
            #expect(throws: SQLiteError.self) { try db.transaction { 1 } }
        }
        #expect(!db.isInTransaction)
    }
}

/// A seeded workload of local effects exercising every `DurableState` method.
enum DifferentialScript {
    enum Step: CustomStringConvertible {
        case effects([Effect], at: Instant)
        case sweep(at: Instant)
        case delivery(DeliveryID, at: Instant)
        case lookup(InviteeNotice)

        var description: String {
            switch self {
            case .effects(let effects, let at): return "effects at \(at): \(effects)"
            case .sweep(let at): return "sweep at \(at)"
            case .delivery(let id, let at): return "delivery \(id) at \(at)"
            case .lookup(let notice): return "lookup \(notice.invitee) \(notice.email)"
            }
        }
    }

    static let start = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let agents: [AgentID] = ["acme:agent-1", "acme:agent-2"]
    static let eventTypes: [CalendlyURI] = ["https://api.calendly.com/event_types/INTRO", "https://api.calendly.com/event_types/DEMO"]
    static let emails = ["Ann@Example.com", "bob@example.com", "ÇA@exemple.fr"]

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
        mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
        mutating func chance(_ percent: Int) -> Bool { int(100) < percent }
    }

    /// Flips the case of some letters: webhook emails match intents case-insensitively.
    static func scramble(_ email: String, _ rng: inout SplitMix) -> String {
        String(email.map { rng.chance(50) ? Character($0.uppercased()) : Character($0.lowercased()) })
    }

    static func generate(seed: UInt64, count: Int) -> [Step] {
        var rng = SplitMix(state: seed &* 0x2545_F491_4F6C_DD1D &+ 1)
        var now = start
        var intents: [BookingIntent] = []
        var invitees: [BookingKey: CalendlyURI] = [:]
        var nextInvitee = 0
        var steps: [Step] = []
        let slots = (0..<3).map { start + .days(Int64(2 + $0)) }

        func telemetry(_ rng: inout SplitMix, _ at: Instant) -> TelemetryEvent {
            let agent = rng.pick(agents), conversation = ConversationID("acme:conv-\(rng.int(4))"), eventType = rng.pick(eventTypes)
            switch rng.int(11) {
            case 0: return .bookingOffered(agent: agent, conversation: conversation, eventType: eventType, channel: .whatsapp, at: at)
            case 1: return .bookingCreated(agent: agent, conversation: conversation, eventType: eventType, scheduledTime: rng.pick(slots), at: at)
            case 2: return .bookingFailed(agent: agent, conversation: conversation, reason: "timeout", at: at)
            case 3: return .bookingCanceled(agent: agent, conversation: conversation, eventType: eventType, at: at)
            case 4: return .slotConflict(agent: agent, conversation: conversation, eventType: eventType, at: at)
            case 5: return .connected(agent: agent, accountEmail: "host@example.com", organization: "https://api.calendly.com/organizations/O", at: at)
            case 6: return .connectFailed(agent: agent, reason: "access_denied", at: at)
            case 7: return .eventTypesFetchFailed(agent: agent, reason: "timeout", cacheUsed: true, at: at)
            case 8: return .bookingRescheduled(agent: agent, conversation: conversation, eventType: eventType, at: at)
            case 9: return .fallbackBooked(agent: agent, conversation: conversation, eventType: eventType, at: at)
            default: return .webhookRejected(reason: "bad_signature", at: at)
            }
        }

        for _ in 0..<count {
            // Mostly minutes to hours apart; sometimes past the 7-day, 90-day and 24-month horizons.
            switch rng.int(100) {
            case 0..<3: now = now + .days(Int64(300 + rng.int(500)))
            case 3..<8: now = now + .days(Int64(5 + rng.int(90)))
            default: now = now + .minutes(Int64(rng.int(600)))
            }
            switch rng.int(12) {
            case 0, 1, 2:
                let reuse = !intents.isEmpty && rng.chance(10)
                let intent = reuse ? rng.pick(intents) : BookingIntent(
                    key: BookingKey("acme:conv-\(rng.int(4))#\(intents.count)"), agent: rng.pick(agents), conversation: ConversationID("acme:conv-\(rng.int(4))"),
                    eventType: rng.pick(eventTypes), start: rng.pick(slots), email: rng.pick(emails), recordedAt: now)
                if !reuse { intents.append(intent) }
                steps.append(.effects([.store(.recordIntent(intent))], at: now))
            case 3, 4:
                let key = intents.isEmpty || rng.chance(10) ? BookingKey("never-recorded") : rng.pick(intents).key
                let outcome: IntentOutcome
                if rng.chance(60) {
                    let uri = invitees[key] ?? CalendlyURI("https://api.calendly.com/invitees/\(nextInvitee)")
                    nextInvitee += 1
                    invitees[key] = uri
                    let intent = intents.first { $0.key == key }
                    outcome = .booked(Invitee(uri: uri, eventURI: CalendlyURI("\(uri.rawValue)/event"), email: intent?.email ?? "x@example.com",
                                              start: intent?.start ?? now, cancelURL: "c", rescheduleURL: "r"))
                } else {
                    outcome = .notBooked(reason: rng.pick(["slot_unavailable", "lookup_found_nothing"]))
                }
                steps.append(.effects([.store(.settleIntent(key, outcome, at: now))], at: now))
            case 5, 6:
                // A webhook about a known intent (by invitee URI or by slot + email), or about nothing we know.
                let kind: InviteeNotice.Kind = rng.chance(65) ? .created : .canceled
                var notice: InviteeNotice
                if let intent = intents.isEmpty ? nil : rng.pick(intents), rng.chance(85) {
                    let uri: CalendlyURI
                    if let known = invitees[intent.key], rng.chance(60) { uri = known } else {
                        uri = CalendlyURI("https://api.calendly.com/invitees/\(nextInvitee)")
                        nextInvitee += 1
                    }
                    notice = SQLiteStoreTests.notice(kind, invitee: uri.rawValue, eventType: intent.eventType.rawValue,
                                                     email: scramble(intent.email, &rng), start: intent.start, sentAt: now)
                    // Either half of a reschedule of a booking we know (indexes then hold every invitee URI).
                    if let known = invitees[intent.key], rng.chance(60) {
                        let moved = CalendlyURI("https://api.calendly.com/invitees/\(nextInvitee)")
                        nextInvitee += 1
                        if kind == .canceled {
                            notice.invitee = known; notice.rescheduled = true; notice.newInvitee = moved
                        } else {
                            notice.invitee = moved; notice.oldInvitee = known; notice.start = notice.start + .days(1)
                        }
                        notice.delivery = DeliveryID("\(kind.rawValue)|\(notice.invitee)")
                        invitees[intent.key] = moved
                    }
                } else {
                    notice = SQLiteStoreTests.notice(kind, invitee: "https://api.calendly.com/invitees/stranger-\(rng.int(3))",
                                                     email: rng.pick(emails), start: rng.pick(slots), sentAt: now)
                }
                steps.append(rng.chance(80) ? .effects([.notify(.inviteeNotice(notice))], at: now) : .lookup(notice))
            case 7:
                steps.append(.effects((0...rng.int(3)).map { _ in .emit(telemetry(&rng, now)) }, at: now))
            case 8:
                var effects: [Effect] = [.store(.appendFailure(FailureRecord(agent: rng.pick(agents), conversation: ConversationID("acme:conv-\(rng.int(4))"),
                                                                             reason: rng.pick(["timeout", "server_error_500"]), at: now)))]
                if rng.chance(30) { effects.append(.store(.deleteTokens(rng.pick(agents)))) }
                if rng.chance(30) { effects.append(.store(.deleteToken("token-1"))) }
                if rng.chance(30) { effects.append(.log(LogEntry(.info, "noted"))) }
                if rng.chance(20) { effects.append(.store(.deleteFailures(before: now - .days(30)))) }
                if rng.chance(60) {
                    // A fallback link handed out, and a booking made through an attributed link (its reference
                    // known or not; redelivered sometimes, so the invitee index must find it the second time).
                    effects.append(.store(.recordFallbackOffer(FallbackOffer(reference: ConversationReference("fallback-ref-\(rng.int(3))"), agent: rng.pick(agents),
                                                                             conversation: ConversationID("acme:conv-\(rng.int(4))"), eventType: rng.pick(eventTypes),
                                                                             offeredAt: now))))
                    var linked = SQLiteStoreTests.notice(.created, invitee: "https://api.calendly.com/invitees/link-\(rng.int(6))",
                                                         email: "walk.in@example.org", start: rng.pick(slots), sentAt: now)
                    linked.tracking = BookingTracking(utmSource: FallbackLink.source, utmContent: "fallback-ref-\(rng.int(4))")
                    effects.append(.notify(.inviteeNotice(linked)))
                }
                if let key = invitees.keys.sorted().last(where: { _ in rng.chance(30) }), let known = invitees[key], rng.chance(70) {
                    // Both halves of a reschedule of a booking we know, in either order.
                    let intent = intents.first { $0.key == key }
                    let moved = CalendlyURI("https://api.calendly.com/invitees/\(nextInvitee)")
                    nextInvitee += 1
                    var canceled = SQLiteStoreTests.notice(.canceled, invitee: known.rawValue, email: intent?.email ?? "x@example.com",
                                                           start: intent?.start ?? now, sentAt: now)
                    canceled.rescheduled = true
                    canceled.newInvitee = moved
                    var created = SQLiteStoreTests.notice(.created, invitee: moved.rawValue, email: intent?.email ?? "x@example.com",
                                                          start: (intent?.start ?? now) + .days(1), sentAt: now)
                    created.oldInvitee = known
                    let halves: [Effect] = [.notify(.inviteeNotice(canceled)), .notify(.inviteeNotice(created))]
                    effects.append(contentsOf: rng.chance(50) ? halves : halves.reversed())
                    invitees[key] = moved
                }
                steps.append(.effects(effects, at: now))
            case 9:
                steps.append(.delivery(DeliveryID("delivery-\(rng.int(12))"), at: now))
            case 10:
                steps.append(.sweep(at: now))
            default:
                // Effects that leave the service pass through untouched, in order, mixed with local ones.
                let conversation = ConversationID("acme:conv-\(rng.int(4))")
                steps.append(.effects([
                    .send(ChannelMessage(conversation: conversation, content: .text("hello"))),
                    .emit(telemetry(&rng, now)),
                    .schedule(TimerID("t\(rng.int(3))"), after: .seconds(30)),
                    .reject(Rejection(code: "nope", message: "no")),
                ], at: now))
            }
        }
        return steps
    }
}
