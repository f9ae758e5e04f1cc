@testable import Core
import Effects
import Foundation
import Interpreters
import Synchronization
import Testing

/// The booking quota as the step engine consults it (issue 11): in the transaction of the step that asks
/// for `POST /invitees`, keyed by the connected Calendly user. A hold never reaches Calendly and ends the
/// conversation at the apology + attributed link; a 429 feeds the tracker; the tracker is in the store.
@Suite struct BookingQuotaEngineTests {
    final class Events: MessageSink, TelemetrySink, Sendable {
        let events = Mutex<[TelemetryEvent]>([])
        func deliver(_ message: ChannelMessage) async {}
        func observe(_ event: TelemetryEvent) async { events.withLock { $0.append(event) } }
    }

    struct Run<Store: TransactionalStore> {
        let clock: IncidentRecorder.Clock
        let calendly: SimCalendlyPerformer
        let events = Events()
        let runtime: LiveRuntime<Store>
        let agent = AgentID("acme:agent-1")

        init(store: Store, tier: BookingQuota.Tier, calendly: SimCalendlyPerformer? = nil, clock: IncidentRecorder.Clock = IncidentRecorder.Clock()) {
            self.clock = clock
            if let calendly { self.calendly = calendly } else {
                var model = SimCalendly()
                model.addEventType(Fixtures.intro)
                self.calendly = SimCalendlyPerformer(calendly: model, account: .init(user: Fixtures.calendlyUser), now: { clock.now })
            }
            runtime = LiveRuntime(store: store, calendly: self.calendly, sink: events, telemetry: events, now: { clock.now }, quotaTier: tier)
        }

        func connectAndConfigure() async throws -> BookingReadiness {
            if case .connected = try runtime.agentState(agent).0.phase {} else {
                _ = try await runtime.connection(agent, .connectRequested("quota-oauth-state", webhookURL: "https://bot.example.com/v1/webhooks/calendly", at: clock.now))
                let (connection, _) = try await runtime.connection(agent, .authorizationGranted("quota-oauth-state", code: "quota-code", at: clock.now))
                let account = Fixtures.configAccount(connection)
                _ = try await runtime.config(agent, .opened(account, at: clock.now))
                _ = try await runtime.config(agent, .saveRequested(Fixtures.fullDraft, account, at: clock.now))
            }
            let (current, config) = try runtime.agentState(agent)
            return BookingSetup.resolve(entitlements: .all, connection: current, config: config, contactFields: Fixtures.contact)
        }

        /// Offers times and takes the first: the conversation's phase afterwards.
        func book(_ index: Int) async throws -> BookingConversation.Phase? {
            let conversation = ConversationID("acme:quota-\(index)")
            let trigger = BookingConversation.Trigger(setup: try await connectAndConfigure(), channel: .text, timeZone: Fixtures.customerZone)
            clock.advance(.minutes(1))
            _ = try await runtime.conversation(conversation, .triggerMet(trigger, at: clock.now))
            clock.advance(.seconds(30))
            _ = try await runtime.conversation(conversation, .customerReplied("1", at: clock.now))
            return try runtime.conversationState(conversation)?.phase
        }

        var bookingCalls: Int { calendly.calls.filter { if case .createInvitee = $0 { true } else { false } }.count }
    }

    static func isConfirmed(_ phase: BookingConversation.Phase?) -> Bool { if case .confirmed = phase { true } else { false } }
    static func isStaticLink(_ phase: BookingConversation.Phase?) -> Bool { if case .staticLink = phase { true } else { false } }

    @Test func theTrialCapHoldsTheSixthBookingBeforeCalendlyAndAlertsOnce() async throws {
        let run = Run(store: MemoryRuntimeStore(), tier: .trial)
        var phases: [BookingConversation.Phase?] = []
        for index in 0..<7 { phases.append(try await run.book(index)) }
        #expect(phases.prefix(5).allSatisfy(Self.isConfirmed), "\(phases)")
        #expect(phases.suffix(2).allSatisfy(Self.isStaticLink), "held bookings end at the attributed link: \(phases)")
        #expect(run.bookingCalls == 5, "trial: five a day reach Calendly")
        let alerts = run.events.events.withLock { $0 }.filter { if case .bookingQuotaHigh = $0 { true } else { false } }
        #expect(alerts.count == 1)
        if case .bookingQuotaHigh(let owner, let used, let cap, _) = alerts.first {
            #expect(owner == Fixtures.calendlyUser.uri && used == 5 && cap == 5)
        }
        // The tracker is stored under the connected Calendly user, not the token.
        #expect(run.runtime.store.snapshot.quotas[Fixtures.calendlyUser.uri.rawValue]?.sent.count == 5)
    }

    @Test func a429FeedsTheTrackerSoTheNextBookingIsHeld() async throws {
        let run = Run(store: MemoryRuntimeStore(), tier: .standard)
        _ = try await run.connectAndConfigure()
        // The first booking call is answered 429 with an hour's reset (Calendly counts differently than we do).
        let first = ConversationID("acme:quota-429")
        let trigger = BookingConversation.Trigger(setup: try await run.connectAndConfigure(), channel: .text, timeZone: Fixtures.customerZone)
        _ = try await run.runtime.conversation(first, .triggerMet(trigger, at: run.clock.now))
        run.calendly.script([.failed(.rateLimited(retryAfter: .hours(1)))])
        _ = try await run.runtime.conversation(first, .customerReplied("1", at: run.clock.now))
        #expect(run.bookingCalls == 1)
        let second = try await run.book(1)
        #expect(Self.isStaticLink(second), "\(String(describing: second))")
        #expect(run.bookingCalls == 1, "held before Calendly: the 429 fed the tracker")
        // An hour later the back-off is over.
        run.clock.advance(.hours(1))
        #expect(Self.isConfirmed(try await run.book(2)))
        #expect(run.bookingCalls == 2)
    }

    @Test func aRestartKeepsCountingTheDay() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quota-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        var model = SimCalendly()
        model.addEventType(Fixtures.intro)
        let clock = IncidentRecorder.Clock()
        let calendly = SimCalendlyPerformer(calendly: model, account: .init(user: Fixtures.calendlyUser), now: { clock.now })
        do {
            let before = Run(store: try SQLiteStore(path: path), tier: .trial, calendly: calendly, clock: clock)
            for index in 0..<5 { #expect(Self.isConfirmed(try await before.book(index))) }
        }
        // The process restarts: a new runtime over the same file.
        let after = Run(store: try SQLiteStore(path: path), tier: .trial, calendly: calendly, clock: clock)
        #expect(Self.isStaticLink(try await after.book(5)), "the sixth booking of the trial day was held")
        #expect(after.bookingCalls == 5)
    }
}
