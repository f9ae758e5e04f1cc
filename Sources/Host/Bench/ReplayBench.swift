import Core
import Effects
import Foundation
import Interpreters

/// Replay: journal steps per second through `Replayer` (parse + re-run + compare), on a journal the
/// runtime wrote for `conversations` booked conversations.
enum ReplayBench {
    static func run(conversations: Int) async throws -> BenchRow {
        let clock = BenchMutableClock(BenchFixtures.start)
        var model = SimCalendly()
        model.addEventType(BenchFixtures.intro)
        let calendly = SimCalendlyPerformer(calendly: model, account: .init(user: BenchFixtures.user), now: { clock.now })
        let store = MemoryRuntimeStore()
        let runtime = LiveRuntime(store: store, calendly: calendly, sink: BenchQuiet(), telemetry: BenchQuiet(), now: { clock.now })
        let trigger = BookingConversation.Trigger(setup: BenchFixtures.setup(), channel: .text, timeZone: "Asia/Jakarta")
        for index in 0..<conversations {
            // Spread over days so the simulated calendar never runs out of slots.
            if index % 10 == 0 { clock.advance(.days(1)) }
            let id = ConversationID("bench:conv-\(index)")
            _ = try await runtime.conversation(id, .triggerMet(trigger, at: clock.now))
            _ = try await runtime.conversation(id, .customerReplied("1", at: clock.now))
        }
        let records = try JournalExport.records(store.snapshot.journal)
        let text = JournalExport.text(records, exportedAt: clock.now)
        var steps: [Replayer.Step] = []
        let elapsed = try BenchClock.measure { steps = try Replayer.replay(try Replayer.parse(text)) }
        let matching = steps.filter(\.matches).count
        return BenchRow(key: "replay_steps_per_s", name: "replay (parse + reduce + diff)", value: Double(steps.count) / max(elapsed, 1e-9), unit: "steps/s",
                        detail: "\(steps.count) steps, \(matching) match", goal: nil)
    }
}

struct BenchQuiet: MessageSink, TelemetrySink {
    func deliver(_ message: ChannelMessage) async {}
    func observe(_ event: TelemetryEvent) async {}
}
