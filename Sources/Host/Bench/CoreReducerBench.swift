import Core
import Effects
import Foundation

/// Core: pure reducer steps per second over the booking flow (trigger → slots → choice → created).
enum CoreReducerBench {
    static func run(conversations: Int) -> BenchRow {
        let readiness = BenchFixtures.setup()
        let trigger = BookingConversation.Trigger(setup: readiness, channel: .text, timeZone: "Asia/Jakarta")
        let invitee = Invitee(uri: "https://api.calendly.com/scheduled_events/EV/invitees/IN", eventURI: "https://api.calendly.com/scheduled_events/EV",
                              email: "casey@example.com", start: BenchFixtures.slots[1].start, cancelURL: "https://calendly.com/c", rescheduleURL: "https://calendly.com/r")
        let at = BenchFixtures.start
        var steps = 0, confirmed = 0
        let elapsed = BenchClock.measure {
            for index in 0..<conversations {
                var state = BookingConversation(id: ConversationID("bench-\(index)"))
                let fetch = BookingConversation.reduce(&state, .triggerMet(trigger, at: at))
                _ = BookingConversation.reduce(&state, .calendlyReplied(BenchFixtures.requestID(fetch) ?? "", .availableTimes(BenchFixtures.slots), at: at))
                let book = BookingConversation.reduce(&state, .customerReplied("2", at: at))
                _ = BookingConversation.reduce(&state, .calendlyReplied(BenchFixtures.requestID(book) ?? "", .inviteeCreated(invitee), at: at))
                steps += 4
                if case .confirmed = state.phase { confirmed += 1 }
            }
        }
        let rate = Double(steps) / max(elapsed, 1e-9)
        return BenchRow(key: "core_reducer_steps_per_s", name: "core reducer", value: rate, unit: "steps/s",
                        detail: "\(steps) steps, \(confirmed)/\(conversations) confirmed", goal: nil)
    }
}
