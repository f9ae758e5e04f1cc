import Core
import Effects
import Foundation
import Testing
@testable import Interpreters

/// The durable outbox and timers (issue 11) behave the same on SQLite and in memory: sequence numbers per
/// conversation that are never reused, a cursor that neither misses nor repeats, callbacks due in order per
/// conversation, timers that fire once however many wake-ups race for them, and all of it surviving a reopen.
@Suite struct DurableOutboxStoreTests {
    static let t0 = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let a = ConversationID("acme:a"), b = ConversationID("acme:b")

    static func message(_ conversation: ConversationID, _ text: String) -> ChannelMessage {
        ChannelMessage(conversation: conversation, content: .text(text))
    }

    /// Runs `body` against a fresh memory store and a fresh SQLite file, in turn.
    static func onBothStores(_ body: (inout any AggregateTransaction) throws -> Void) throws {
        let memory = MemoryRuntimeStore()
        try memory.transaction { tx in var any: any AggregateTransaction = tx; try body(&any) }
        try SQLiteStoreTests.withTemporaryPath { path in
            let store = try SQLiteStore(path: path)
            try store.transaction { tx in var any: any AggregateTransaction = tx; try body(&any) }
        }
    }

    @Test func sequenceNumbersArePerConversationAndTheCursorNeitherMissesNorRepeats() throws {
        try Self.onBothStores { tx in
            #expect(try tx.appendOutbox(Self.message(Self.a, "one"), at: Self.t0) == 1)
            #expect(try tx.appendOutbox(Self.message(Self.b, "other"), at: Self.t0) == 1)
            #expect(try tx.appendOutbox(Self.message(Self.a, "two"), at: Self.t0 + .seconds(1)) == 2)
            #expect(try tx.appendOutbox(Self.message(Self.a, "three"), at: Self.t0 + .seconds(2)) == 3)
            let first = try tx.outbox(Self.a, after: 0, limit: 2)
            #expect(first.map(\.seq) == [1, 2])
            let rest = try tx.outbox(Self.a, after: first.last!.seq, limit: 10)
            #expect(rest.map(\.message.content) == [.text("three")])
            #expect(try tx.outbox(Self.a, after: 3, limit: 10).isEmpty)
            #expect(try tx.outbox(Self.a, after: Int64.max, limit: 10).isEmpty)
            #expect(try tx.outbox(Self.b, after: 0, limit: 0).isEmpty)
        }
    }

    @Test func retentionNeverLetsASequenceNumberBeReused() throws {
        try Self.onBothStores { tx in
            _ = try tx.appendOutbox(Self.message(Self.a, "old"), at: Self.t0)
            try tx.deleteOutbox(before: Self.t0 + .days(31))
            #expect(try tx.outbox(Self.a, after: 0, limit: 10).isEmpty)
            #expect(try tx.appendOutbox(Self.message(Self.a, "new"), at: Self.t0 + .days(31)) == 2)
        }
    }

    @Test func callbacksAreDueOldestFirstOneAtATimePerConversation() throws {
        try Self.onBothStores { tx in
            _ = try tx.appendOutbox(Self.message(Self.a, "a1"), at: Self.t0)
            _ = try tx.appendOutbox(Self.message(Self.a, "a2"), at: Self.t0 + .seconds(1))
            _ = try tx.appendOutbox(Self.message(Self.b, "b1"), at: Self.t0 + .seconds(2))
            #expect(try tx.callbacksDue(at: Self.t0 + .seconds(3), limit: 10).map(\.message.content) == [.text("a1"), .text("b1")])
            // a1 failed: a waits (a2 is not sent ahead of it), b goes on.
            try tx.callbackDeferred(Self.a, seq: 1, attempts: 1, nextAttemptAt: Self.t0 + .seconds(10))
            #expect(try tx.callbacksDue(at: Self.t0 + .seconds(4), limit: 10).map(\.message.content) == [.text("b1")])
            let retry = try tx.callbacksDue(at: Self.t0 + .seconds(10), limit: 10)
            #expect(retry.map(\.message.content) == [.text("a1"), .text("b1")])
            #expect(retry.first?.attempts == 1)
            try tx.callbackDelivered(Self.a, seq: 1, at: Self.t0 + .seconds(10))
            try tx.callbackDelivered(Self.b, seq: 1, at: Self.t0 + .seconds(10))
            #expect(try tx.callbacksDue(at: Self.t0 + .seconds(10), limit: 10).map(\.message.content) == [.text("a2")])
        }
    }

    @Test func aTimerFiresOnceAndCanBeMoved() throws {
        try Self.onBothStores { tx in
            let timer = TimerID("reconcile-1")
            #expect(try tx.nextTimerDue() == nil)
            try tx.putTimer(DurableTimer(conversation: Self.a, timer: timer, due: Self.t0 + .minutes(5)))
            try tx.putTimer(DurableTimer(conversation: Self.b, timer: timer, due: Self.t0 + .minutes(1)))
            try tx.putTimer(DurableTimer(conversation: Self.a, timer: timer, due: Self.t0 + .minutes(2)))
            #expect(try tx.nextTimerDue() == Self.t0 + .minutes(1))
            #expect(try tx.dueTimers(at: Self.t0, limit: 10).isEmpty)
            #expect(try tx.dueTimers(at: Self.t0 + .minutes(2), limit: 10).map(\.conversation) == [Self.b, Self.a])
            #expect(try tx.deleteTimer(Self.a, timer))
            #expect(try !tx.deleteTimer(Self.a, timer))
            #expect(try tx.dueTimers(at: Self.t0 + .days(1), limit: 10).map(\.conversation) == [Self.b])
        }
    }

    @Test func outboxAndTimersSurviveAReopen() throws {
        try SQLiteStoreTests.withTemporaryPath { path in
            do {
                let store = try SQLiteStore(path: path)
                try store.transaction { tx throws in
                    _ = try tx.appendOutbox(Self.message(Self.a, "kept"), at: Self.t0)
                    try tx.putTimer(DurableTimer(conversation: Self.a, timer: TimerID("t"), due: Self.t0 + .minutes(1)))
                }
            }
            let reopened = try SQLiteStore(path: path)
            try reopened.transaction { tx throws in
                #expect(try tx.outbox(Self.a, after: 0, limit: 10).map(\.message.content) == [.text("kept")])
                #expect(try tx.dueTimers(at: Self.t0 + .minutes(1), limit: 10).map(\.timer) == [TimerID("t")])
            }
        }
    }
}
