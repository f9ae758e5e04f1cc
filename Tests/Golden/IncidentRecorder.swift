@testable import Core
import Effects
import Foundation
import Interpreters
import Synchronization

/// Records the golden incidents by running the real runtime (`LiveRuntime` + `MemoryRuntimeStore` +
/// `SimCalendlyPerformer` with injected failures) and exporting the conversation's journal exactly as
/// `journal export` does. Only runs under `UPDATE_GOLDEN=1`; the tests read the committed files.
enum IncidentRecorder {
    final class Clock: Sendable {
        private let current = Mutex(VirtualClock.base)
        var now: Instant { current.withLock { $0 } }
        func advance(_ span: Span) { current.withLock { $0 = $0 + span } }
    }

    struct Quiet: MessageSink, TelemetrySink {
        func deliver(_ message: ChannelMessage) async {}
        func observe(_ event: TelemetryEvent) async {}
    }

    struct Run {
        let clock = Clock()
        let calendly: SimCalendlyPerformer
        let store = MemoryRuntimeStore()
        let runtime: LiveRuntime<MemoryRuntimeStore>
        let agent = AgentID("acme:agent-1")

        init() {
            var model = SimCalendly()
            model.addEventType(Fixtures.intro)
            let clock = self.clock
            calendly = SimCalendlyPerformer(calendly: model, account: .init(user: Fixtures.calendlyUser), now: { clock.now })
            runtime = LiveRuntime(store: store, calendly: calendly, sink: Quiet(), telemetry: Quiet(), now: { clock.now })
        }

        /// Connect, list, save — through the runtime, as the admin routes do.
        func connectAndConfigure() async throws -> BookingReadiness {
            _ = try await runtime.connection(agent, .connectRequested("incident-oauth-state", webhookURL: "https://bot.example.com/v1/webhooks/calendly", at: clock.now))
            let (connection, _) = try await runtime.connection(agent, .authorizationGranted("incident-oauth-state", code: "incident-code", at: clock.now))
            let account = Fixtures.configAccount(connection)
            _ = try await runtime.config(agent, .opened(account, at: clock.now))
            _ = try await runtime.config(agent, .saveRequested(Fixtures.fullDraft, account, at: clock.now))
            let (current, config) = try runtime.agentState(agent)
            return BookingSetup.resolve(entitlements: .all, connection: current, config: config, contactFields: Fixtures.contact)
        }

        func offer(_ conversation: ConversationID) async throws -> SlotOffer? {
            let trigger = BookingConversation.Trigger(setup: try await connectAndConfigure(), channel: .text, timeZone: Fixtures.customerZone)
            _ = try await runtime.conversation(conversation, .triggerMet(trigger, at: clock.now))
            return try offerShown(conversation)
        }

        func offerShown(_ conversation: ConversationID) throws -> SlotOffer? {
            guard case .slotsShown(let offer) = try runtime.conversationState(conversation)?.phase else { return nil }
            return offer
        }

        func say(_ conversation: ConversationID, _ text: String) async throws {
            clock.advance(.seconds(40))
            _ = try await runtime.conversation(conversation, .customerReplied(text, at: clock.now))
        }

        /// The conversation's journal as `journal export` writes it.
        func export(_ conversation: ConversationID) throws -> String {
            let rows = store.snapshot.journal(stream: "conversation:\(conversation)")
            return JournalExport.text(try JournalExport.records(rows), exportedAt: clock.now)
        }
    }

    enum Failure: Error { case notAsExpected(String) }

    static func record(_ incident: Incident) async throws -> String {
        let run = Run()
        let conversation = ConversationID("acme:\(incident.rawValue)")
        guard let offer = try await run.offer(conversation) else { throw Failure.notAsExpected("no offer") }
        switch incident {
        case .slotRace:
            // Between the offer and the customer's choice, someone else books the second slot on Calendly.
            let taken = offer.slots[1].start
            run.calendly.mutate { model in
                _ = model.createInvitee(InviteeRequest(eventType: Fixtures.intro.uri, start: taken, email: "someone.else@example.org", name: nil,
                                                       timeZone: "UTC"), key: nil, now: run.clock.now, viaAPI: false)
            }
            try await run.say(conversation, "2")
            guard let reoffer = try run.offerShown(conversation), !reoffer.slots.contains(where: { $0.start == taken }) else {
                throw Failure.notAsExpected("no re-offer without the taken slot")
            }
            try await run.say(conversation, "1")
        case .lostBookingResponse:
            // Calendly books it, but the reply is lost (timeout): the runtime must look it up, not resend.
            run.calendly.scriptAfterBooking([.outcomeUnknown])
            try await run.say(conversation, "2")
            let creates = run.calendly.calls.filter { if case .createInvitee = $0 { return true } else { return false } }
            guard creates.count == 1, run.calendly.model.bookings.count == 1 else { throw Failure.notAsExpected("resent or not booked") }
        case .tokenRefreshFailure:
            // Calendly refused the access token (expired, or the grant revoked) for the booking call: LiveCalendly
            // reports the 401 as `unauthorized`; the conversation tells the connection (`grantRejected`).
            run.calendly.script([.failed(.unauthorized)])
            try await run.say(conversation, "1")
            guard run.calendly.model.bookings.isEmpty else { throw Failure.notAsExpected("booked anyway") }
        }
        return try run.export(conversation)
    }
}

/// The recorded incidents; each is `Tests/Golden/Incidents/<rawValue>.jsonl` plus its timeline `.txt`.
enum Incident: String, CaseIterable, Sendable, CustomStringConvertible {
    case slotRace = "slot-race"
    case lostBookingResponse = "lost-booking-response"
    case tokenRefreshFailure = "token-refresh-failure"
    var description: String { rawValue }
}
