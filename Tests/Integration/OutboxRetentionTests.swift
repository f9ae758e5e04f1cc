import Core
import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters

/// Retention (PRD §12, issue 11): the runtime's purge drops outbox messages older than
/// `Retention.outboxLifetime` and keeps the rest, on SQLite and in memory; a purged message's sequence
/// number is never handed out again, so a poller's cursor stays valid across a purge.
@Suite struct OutboxRetentionTests {
    static let conversation = ConversationID("acme:kept")

    static func check<Store: TransactionalStore>(_ store: Store) throws {
        let clock = TestClock(HostHarness.start)
        let services = HostHarness.services(store: store, calendly: HostHarness.calendly(clock: clock), clock: clock)
        func append(_ text: String) throws -> Int64 {
            try store.transaction { tx in try tx.appendOutbox(ChannelMessage(conversation: conversation, content: .text(text)), at: clock.now) }
        }
        #expect(try append("old") == 1)
        clock.advance(.days(1))
        #expect(try append("newer") == 2)
        // One millisecond short of the lifetime the oldest is kept; past it, it is gone and only it.
        clock.advance(.milliseconds(Retention.outboxLifetime.milliseconds - Span.days(1).milliseconds - 1))
        _ = try services.runtime.purge()
        #expect(try services.runtime.outbox(conversation, after: 0).map(\.seq) == [1, 2])
        clock.advance(.milliseconds(2))
        _ = try services.runtime.purge()
        #expect(try services.runtime.outbox(conversation, after: 0).map(\.seq) == [2])
        clock.advance(.days(1))
        _ = try services.runtime.purge()
        #expect(try services.runtime.outbox(conversation, after: 0).isEmpty)
        #expect(try append("after the purge") == 3, "a sequence number is never reused")
        #expect(try services.runtime.outbox(conversation, after: 2).map(\.message.content) == [.text("after the purge")])
    }

    @Test func purgeDropsMessagesOlderThanTheOutboxLifetimeInMemory() throws {
        try Self.check(MemoryRuntimeStore())
    }

    @Test func purgeDropsMessagesOlderThanTheOutboxLifetimeOnSQLite() throws {
        try SQLiteStoreTests.withTemporaryPath { path in try Self.check(try SQLiteStore(path: path)) }
    }
}
