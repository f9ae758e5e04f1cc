import Core
import Effects
import Foundation
import Interpreters
import Synchronization
import Testing

/// Booking-quota trackers live in SQLite: a restarted service keeps counting a Calendly user's day
/// (Calendly's own cap did not reset), so the call past the cap is still held before it goes out.
struct QuotaLedgerTests {
    /// Books every call and counts how many reached it.
    final class CountingCalendly: CalendlyPerformer, Sendable {
        let calls = Mutex(0)
        func perform(_ call: CalendlyCall) async -> CalendlyReply {
            guard case .createInvitee(_, _, let request) = call else { return .failed(.notFound) }
            let count = calls.withLock { $0 += 1; return $0 }
            return .inviteeCreated(Invitee(uri: CalendlyURI("https://api.calendly.com/scheduled_events/E\(count)/invitees/I\(count)"),
                                           eventURI: CalendlyURI("https://api.calendly.com/scheduled_events/E\(count)"), email: request.email,
                                           start: request.start, cancelURL: "", rescheduleURL: ""))
        }
    }

    static let start = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let owner = CalendlyURI("https://api.calendly.com/users/HOST")

    static func book(_ guardrail: QuotaGuardedCalendly, _ index: Int) async -> CalendlyReply {
        let request = InviteeRequest(eventType: "https://api.calendly.com/event_types/INTRO", start: start + .days(1) + .minutes(Int64(30 * index)),
                                     email: "guest\(index)@example.com", name: nil, timeZone: "UTC")
        return await guardrail.perform(.createInvitee("token-1", key: BookingKey("conv-\(index)#1"), request))
    }

    static func guardrail(_ inner: CountingCalendly, ledger: (any QuotaLedger)?) -> QuotaGuardedCalendly {
        QuotaGuardedCalendly(inner, tier: .trial, telemetry: QuietTelemetry(), owner: { _ in owner }, now: { start + .hours(1) }, ledger: ledger)
    }

    struct QuietTelemetry: TelemetrySink { func observe(_ event: TelemetryEvent) async {} }

    @Test func aRestartKeepsCountingTheDay() async throws {
        try await SQLiteStoreTests.withTemporaryPath { path in
            let inner = CountingCalendly()
            do {
                let before = Self.guardrail(inner, ledger: try SQLiteStore(path: path))
                for index in 0..<5 {
                    guard case .inviteeCreated = await Self.book(before, index) else { Issue.record("booking \(index) held"); return }
                }
            }
            // The process restarts: a new guard over the same file.
            let after = Self.guardrail(inner, ledger: try SQLiteStore(path: path))
            guard case .failed(.rateLimited) = await Self.book(after, 5) else { Issue.record("the sixth booking of the trial day went out"); return }
            #expect(inner.calls.withLock { $0 } == 5, "held before Calendly")
            // Control: without the ledger, a fresh guard would have let it through.
            let forgetful = Self.guardrail(inner, ledger: nil)
            guard case .inviteeCreated = await Self.book(forgetful, 6) else { Issue.record("control: a fresh guard held"); return }
        }
    }
}
