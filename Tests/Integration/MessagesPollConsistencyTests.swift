import Core
import Effects
import Foundation
import Synchronization
import Testing
@testable import Interpreters

/// `GET …/booking/messages` answers with the conversation's state and its outbox after the cursor. A poller
/// stops once the state is final, so a final state must never come without the message its step wrote (they
/// commit together). MultiHost under load once showed `staticLink`/`confirmed` with the card missing: the
/// outbox was read in one transaction and the state in another, and a step committed in between. Here a
/// store commits such a step at each transaction boundary of the read in turn, deterministically.
@Suite struct MessagesPollConsistencyTests {
    static let id = ConversationID("acme:poller")
    static let t0 = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let apology = ChannelMessage(conversation: id, content: .text("Sorry — book here instead: https://calendly.com/acme/intro"))

    /// `SQLiteStore`, but the `boundary`-th transaction boundary (0: before the first transaction, 1: after
    /// it, …) first commits `step`, as another request's step would.
    final class StepAtBoundaryStore: TransactionalStore {
        let inner: SQLiteStore
        let boundary: Int
        let step: @Sendable (inout SQLiteTransaction) throws -> Void
        let boundariesSeen = Mutex(0)

        init(inner: SQLiteStore, boundary: Int, step: @escaping @Sendable (inout SQLiteTransaction) throws -> Void) {
            self.inner = inner; self.boundary = boundary; self.step = step
        }

        var keepsJournal: Bool { inner.keepsJournal }

        private func crossBoundary() throws {
            let index = boundariesSeen.withLock { seen in defer { seen += 1 }; return seen }
            if index == boundary { try inner.transaction(step) }
        }

        func transaction<T>(_ body: (inout SQLiteTransaction) throws -> T) throws -> T {
            try crossBoundary()
            let result = try inner.transaction(body)
            try crossBoundary()
            return result
        }

        func groupTransaction<T: Sendable>(_ body: @escaping @Sendable (inout SQLiteTransaction) throws -> T) async throws -> T {
            try await inner.groupTransaction(body)
        }
    }

    struct NoCalendly: CalendlyPerformer { func perform(_ call: CalendlyCall) async -> CalendlyReply { .failed(.unreachable) } }
    struct NoTelemetry: TelemetrySink { func observe(_ event: TelemetryEvent) async {} }
    struct NoMessages: MessageSink { func deliver(_ message: ChannelMessage) async {} }

    @Test func aFinalStateAlwaysComesWithTheMessageItsStepWrote() throws {
        var sawBefore = false, sawAfter = false
        for boundary in 0..<6 {
            try SQLiteStoreTests.withTemporaryPath { path in
                let sqlite = try SQLiteStore(path: path)
                var waiting = BookingConversation(id: Self.id)
                waiting.phase = .checkingAvailability("acme:poller/1")
                try sqlite.transaction { tx in try tx.saveConversation(waiting) }
                var ended = waiting
                ended.phase = .staticLink(reason: "calendly_unavailable")
                let store = StepAtBoundaryStore(inner: sqlite, boundary: boundary) { [ended] tx in
                    try tx.saveConversation(ended)
                    _ = try tx.appendOutbox(Self.apology, at: Self.t0)
                }
                let runtime = LiveRuntime(store: store, calendly: NoCalendly(), sink: NoMessages(), telemetry: NoTelemetry(), now: { Self.t0 })
                let (state, outbox) = try #require(try runtime.conversationWithOutbox(Self.id, after: 0))
                let final = state.phase.isTerminal
                #expect(final == outbox.contains { $0.message == Self.apology },
                        "step committed at boundary \(boundary): state \(state.phase.name), \(outbox.count) message(s)")
                if final { sawAfter = true } else { sawBefore = true }
            }
        }
        // Both sides of the step were read, so the check above was not vacuous.
        #expect(sawBefore && sawAfter)
    }
}
