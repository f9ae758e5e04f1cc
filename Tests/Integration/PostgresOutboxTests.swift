import Core
import Dispatch
import Effects
import Foundation
import Synchronization
import Testing
@testable import Interpreters
@testable import PostgresStore

/// The durable outbox and timers (issue 11) on PostgreSQL: a seeded script of every outbox/timer method
/// on memory, SQLite and PostgreSQL gives the same answers; and across two hosts, sequence numbers stay
/// unique and a timer fires once.
@Suite struct PostgresOutboxTests {
    enum Op {
        case append(ConversationID, String, Instant)
        case read(ConversationID, after: Int64, limit: Int)
        case callbacksDue(Instant, limit: Int)
        case delivered(ConversationID, Int64, Instant)
        case deferred(ConversationID, Int64, attempts: Int, next: Instant)
        case retention(Instant)
        case putTimer(DurableTimer)
        case deleteTimer(ConversationID, TimerID)
        case dueTimers(Instant, limit: Int)
        case nextTimer
    }

    enum Answer: Equatable {
        case seq(Int64), messages([OutboxMessage]), timers([DurableTimer]), deleted(Bool), next(Instant?), done
    }

    // Byte order and Swift's order agree on these; the case and the accent make a locale collation disagree.
    static let conversations: [ConversationID] = ["acme:B", "acme:a", "acme:é", "acme:Z"]
    static let timers: [TimerID] = ["reconcile-1", "Reconcile-2", "timeout"]

    static func script(seed: UInt64, count: Int) -> [Op] {
        var rng = DifferentialScript.SplitMix(state: seed)
        var now = SQLiteStoreTests.t0
        return (0..<count).map { _ in
            if rng.chance(40) { now = now + .seconds(Int64(rng.int(3))) }  // ties in time are common
            if rng.chance(3) { now = now + .days(Int64(20 + rng.int(20))) }
            let conversation = rng.pick(conversations), later = now + .seconds(Int64(rng.int(30)))
            switch rng.int(10) {
            case 0, 1: return .append(conversation, rng.chance(5) ? String(repeating: "ü", count: 20_000) : "m\(rng.int(100))", now)
            case 2: return .read(conversation, after: rng.chance(10) ? Int64.max : Int64(rng.int(6)) - 1, limit: rng.int(4))
            case 3: return .callbacksDue(later, limit: rng.int(5))
            case 4: return .delivered(conversation, Int64(1 + rng.int(6)), now)
            case 5: return .deferred(conversation, Int64(1 + rng.int(6)), attempts: rng.chance(5) ? Int.max : rng.int(5), next: later)
            case 6: return rng.chance(30) ? .retention(now - .days(Int64(rng.int(30)))) : .nextTimer
            case 7: return .putTimer(DurableTimer(conversation: conversation, timer: rng.pick(timers), due: later))
            case 8: return .deleteTimer(conversation, rng.pick(timers))
            default: return .dueTimers(later, limit: rng.int(5))
            }
        }
    }

    static func apply<T: AggregateTransaction>(_ op: Op, _ tx: inout T) throws -> Answer {
        switch op {
        case .append(let conversation, let text, let at):
            return .seq(try tx.appendOutbox(ChannelMessage(conversation: conversation, content: .text(text)), at: at))
        case .read(let conversation, let after, let limit): return .messages(try tx.outbox(conversation, after: after, limit: limit))
        case .callbacksDue(let at, let limit): return .messages(try tx.callbacksDue(at: at, limit: limit))
        case .delivered(let conversation, let seq, let at): try tx.callbackDelivered(conversation, seq: seq, at: at); return .done
        case .deferred(let conversation, let seq, let attempts, let next):
            try tx.callbackDeferred(conversation, seq: seq, attempts: attempts, nextAttemptAt: next); return .done
        case .retention(let before): try tx.deleteOutbox(before: before); return .done
        case .putTimer(let timer): try tx.putTimer(timer); return .done
        case .deleteTimer(let conversation, let timer): return .deleted(try tx.deleteTimer(conversation, timer))
        case .dueTimers(let at, let limit): return .timers(try tx.dueTimers(at: at, limit: limit))
        case .nextTimer: return .next(try tx.nextTimerDue())
        }
    }

    /// Random seed per run, printed with every failure (`PG_OUTBOX_SEED=N` replays it). PostgreSQL is held
    /// to SQLite's answers on every call. (MemoryRuntimeStore keeps callback state per conversation, not per
    /// message, so it agrees only on the runtime's own call pattern — DurableOutboxStoreTests covers that.)
    @Test func everyOutboxAndTimerMethodAnswersAsSQLiteDoes() throws {
        try PostgresTestDatabase.withStore { postgres, _ throws in
            let seed = UInt64(ProcessInfo.processInfo.environment["PG_OUTBOX_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64.max)
            var answered: Set<String> = []
            // The random seed, then three fixed ones: the coverage check below is about the generator, and one seed
            // alone sometimes never read back a retried message (a fixed 400 steps failed now and then).
            for runSeed in [seed, 1, 2, 3] {
                let sqlite = try SQLiteStore(path: ":memory:")
                if runSeed != seed { _ = try postgres.transaction { try $0.session.run("TRUNCATE conversation_outbox, outbox_sequences, timers", operation: "reset") } }
                for (index, op) in Self.script(seed: runSeed, count: 400).enumerated() {
                    let expected = try sqlite.transaction { try Self.apply(op, &$0) }
                    let fromPostgres = try postgres.transaction { try Self.apply(op, &$0) }
                    try #require(fromPostgres == expected, "PostgreSQL differs from SQLite: seed \(runSeed) step \(index) \(op)")
                    if case .messages(let messages) = expected, messages.count > 1 { answered.insert("several messages") }
                    if case .timers(let timers) = expected, timers.count > 1 { answered.insert("several timers") }
                    if case .deleted(true) = expected { answered.insert("deleted") }
                    if case .messages(let messages) = expected, messages.contains(where: { $0.attempts > 0 }) { answered.insert("retried") }
                }
            }
            #expect(answered == ["several messages", "several timers", "deleted", "retried"], "seed \(seed) reached only \(answered.sorted())")
        }
    }

    /// Both hosts append to one conversation at once: 1…N, each handed out once.
    @Test func twoHostsAppendingToOneConversationGetUniqueSequenceNumbers() throws {
        try PostgresConcurrencyTests.twoHosts { first, second throws in
            let seqs = Mutex<[Int64]>([])
            DispatchQueue.concurrentPerform(iterations: 30) { index in
                let store = index % 2 == 0 ? first : second
                let seq = try? store.transaction { try $0.appendOutbox(ChannelMessage(conversation: "acme:shared", content: .text("m\(index)")), at: SQLiteStoreTests.t0) }
                if let seq { seqs.withLock { $0.append(seq) } }
            }
            #expect(seqs.withLock { $0 }.sorted() == Array(1...30))
            #expect(try first.transaction { try $0.outbox("acme:shared", after: 0, limit: 100) }.map(\.seq) == Array(1...30))
        }
    }

    /// Both hosts wake for the same due timers at once and fire what they find: each timer fires once.
    @Test func twoHostsFiringDueTimersFireEachOnce() throws {
        try PostgresConcurrencyTests.twoHosts { first, second throws in
            try first.transaction { tx in
                for index in 0..<20 { try tx.putTimer(DurableTimer(conversation: ConversationID("acme:c\(index)"), timer: "t", due: SQLiteStoreTests.t0)) }
            }
            let fired = Mutex<[ConversationID]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { index in
                let store = index % 2 == 0 ? first : second
                for _ in 0..<5 {
                    // Counted after the commit: a rolled-back attempt fired nothing.
                    let mine = try? store.transaction { tx in
                        try tx.dueTimers(at: SQLiteStoreTests.t0, limit: 3).filter { try tx.deleteTimer($0.conversation, $0.timer) }.map(\.conversation)
                    }
                    fired.withLock { $0 += mine ?? [] }
                }
            }
            let all = fired.withLock { $0 }
            #expect(all.count == Set(all).count, "a timer fired twice")
            #expect(Set(all).count + (try first.transaction { try $0.dueTimers(at: SQLiteStoreTests.t0, limit: 100) }).count == 20)
        }
    }
}
