@testable import Core
import Effects
import Foundation
import Testing

/// Issue 6 item 2 — reconciliation after a webhook gap: the window of the agent's open references is
/// read back from Calendly (`listScheduledInvitees`, answered here by hand) and replayed as the notices
/// its webhooks carried; a booking that is not ours is no event at all, and a second run changes nothing.
@Suite struct ReconciliationTests {
    typealias F = Fixtures

    static let email = S04AnalyticsTests.email

    /// A chat booking of slot `slot` (0-based) of the first offer; the reply arrives (reference `created`).
    static func book(_ w: inout BookingWorld, _ id: ConversationID, tag: String, slot: Int = 0) -> Invitee {
        w.trigger(id, F.setup(), channel: .whatsapp)
        w.calendly(id, .availableTimes(F.slots(6)))
        w.tap(id, "o1s\(slot + 1)")
        let invitee = F.invitee(tag, start: F.slots(6)[slot].start, email: Self.email)
        w.calendly(id, .inviteeCreated(invitee))
        return invitee
    }

    static func webhook(_ w: inout BookingWorld, _ event: String, _ invitee: Invitee, rescheduled: Bool = false,
                        newInvitee: CalendlyURI? = nil, oldInvitee: CalendlyURI? = nil) {
        w.deliver(F.delivery(F.webhookBody(event, invitee: invitee, eventType: F.intro.uri, createdAt: w.now, rescheduled: rescheduled,
                                           newInvitee: newInvitee, oldInvitee: oldInvitee), signedAt: w.now))
    }

    /// What Calendly's listing says of one invitee: the notice one of its webhooks carried.
    static func listed(_ kind: InviteeNotice.Kind, _ invitee: Invitee, at sentAt: Instant, rescheduled: Bool = false,
                       newInvitee: CalendlyURI? = nil, oldInvitee: CalendlyURI? = nil) -> InviteeNotice {
        InviteeNotice(kind, of: invitee, eventType: F.intro.uri, sentAt: sentAt, source: .reconciliation, rescheduled: rescheduled,
                      newInvitee: newInvitee, oldInvitee: oldInvitee)
    }

    /// One run as the runtime drives it: the window picked from the agent's open references (recorded),
    /// the connection's call, Calendly's `answer` for that window. Returns the reply step's effects, or
    /// nil when the policy saw nothing to look at.
    @discardableResult
    static func reconcile(_ w: inout BookingWorld, _ connection: inout Connection, _ scope: BookingReconciliation.Scope,
                          answer: (BookingReconciliation.Window) -> CalendlyReply, sourceLocation: SourceLocation = #_sourceLocation) -> [Effect]? {
        let open = w.references.values.filter { $0.agent == F.agent }.sorted { $0.key < $1.key }
        let window = BookingReconciliation.window(for: open, scope: scope, now: w.now)
        w.transcript.call("BookingReconciliation.window scope=\(scope.rawValue) now=\(w.now) references=\(open.map { "\($0.key):\($0.status.rawValue)" })",
                          outputs: [window.map(GoldenJSON.encode) ?? "nil"], window == nil ? "nothing to look at" : "ask Calendly")
        guard let window else { return nil }
        let asked = w.connection(&connection, .reconcileDue(window, at: w.now), sourceLocation: sourceLocation)
        #expect(F.calls(asked) == [.listScheduledInvitees(F.token, user: F.user, from: window.from, to: window.to, eventTypes: window.eventTypes)], sourceLocation: sourceLocation)
        guard let request = F.requestID(asked) else { return nil }
        return w.connection(&connection, .calendlyReplied(request, answer(window), at: w.now), sourceLocation: sourceLocation)
    }

    /// The first slot is booked, its reply is lost, and every lookup is refused (the grant died) until the
    /// conversation gives up at Core's bound. Returns the slot.
    static func bookThenGiveUpReconciling(_ w: inout BookingWorld, _ id: ConversationID) -> Slot {
        w.trigger(id, F.setup(), channel: .whatsapp)
        w.calendly(id, .availableTimes(F.slots(6)))
        w.tap(id, "o1s1")
        w.calendly(id, .outcomeUnknown)
        for _ in 0..<BookingConversation.maxFailedLookups {
            w.calendly(id, .failed(.unauthorized))
            guard case .reconciling = w.conversation(id).phase else { break }
            w.clock.advance(.minutes(5))
            w.send(id, .timerFired(TimerID("\(id)/reconcile"), at: w.now))
        }
        return F.slots(6)[0]
    }

    static func totals(_ w: BookingWorld) -> Analytics.Counts { WebhookFollowUpTests.totals(w) }

    static func notices(_ effects: [Effect]) -> [InviteeNotice] {
        effects.compactMap { if case .notify(.reconciledNotice(let notice)) = $0 { return notice } else { return nil } }
    }

    static func onlyLogsAndNotices(_ effects: [Effect]) -> Bool {
        effects.allSatisfy { effect in
            if case .log = effect { return true }
            if case .notify(.reconciledNotice) = effect { return true }
            return false
        }
    }

    /// Issue 11 defect 7: a conversation whose lookups keep failing gives up at Core's bound (apology +
    /// link) instead of looking the booking up every five minutes forever; the intent stays open, so the
    /// booking that did happen is confirmed to the customer when the webhook finally comes, and counted once.
    @Test func RECON_boundedReconciliationGivesUpThenConfirmsLate() throws {
        var w = BookingWorld(Transcript("the reply of a booking is lost and every lookup fails (the grant died): after \(BookingConversation.maxFailedLookups) failed lookups the customer gets the apology and the link, the reference stays pending; the invitee.created webhook later confirms it to the customer and counts it once"))
        w.recordAnalytics = true
        let id: ConversationID = "conv-b1"
        w.trigger(id, F.setup(), channel: .whatsapp)
        w.calendly(id, .availableTimes(F.slots(6)))
        w.tap(id, "o1s1")
        let slot = F.slots(6)[0]
        w.calendly(id, .outcomeUnknown)
        var failures = 0
        var last: [Effect] = []
        while case .reconciling(_, let lookup) = w.conversation(id).phase {
            if lookup == nil {
                w.clock.advance(.minutes(5))
                w.send(id, .timerFired("conv-b1/reconcile", at: w.now))
                continue
            }
            last = w.calendly(id, .failed(.unreachable))
            failures += 1
            if failures > BookingConversation.maxFailedLookups { break }
        }
        #expect(failures == BookingConversation.maxFailedLookups)
        #expect(w.conversation(id).phase == .staticLink(reason: BookingConversation.bookingUnconfirmed))
        #expect(F.texts(last).count == 1 && F.texts(last).first?.hasPrefix(Copy.apology(link: F.setup().staticLink)) == true, "the apology and the link")
        #expect(F.calls(last).isEmpty)
        #expect(w.references["conv-b1#1"]?.status == .pending, "the intent stays open for webhooks and reconciliation")
        #expect(Self.totals(w).failed == 1 && Self.totals(w).created == 0)

        w.transcript.section("a timer left over fires: nothing happens")
        #expect(w.send(id, .timerFired("conv-b1/reconcile", at: w.now)).isEmpty)

        w.transcript.section("the booking did happen: its webhook confirms it to the customer, late")
        w.clock.advance(.minutes(30))
        let booked = F.invitee("b1", start: slot.start, email: Self.email)
        Self.webhook(&w, "invitee.created", booked)
        #expect(w.conversation(id).phase == .confirmed(booked))
        #expect(w.references["conv-b1#1"]?.status == .confirmed)
        #expect(Self.totals(w).created == 1)
        #expect(w.conversation(id).unconfirmed == nil)

        w.transcript.section("a repeated webhook changes nothing")
        w.clock.advance(.minutes(1))
        Self.webhook(&w, "invitee.created", booked)
        #expect(Self.totals(w).created == 1)
        w.transcript.verify()
    }

    /// Found by the simulator (seed 3, c861): after the give-up, the customer's cancellation webhook overtook
    /// invitee.created. The reference went pending → canceled without telling the conversation, so the booking
    /// was counted canceled but never created. Now the cancellation tells it: no card for a canceled booking,
    /// created and canceled each counted once, and the late invitee.created changes nothing.
    @Test func RECON_boundedReconciliationGivesUpThenTheCancellationComesFirst() throws {
        var w = BookingWorld(Transcript("reconciliation gave up (the grant died); the customer canceled the booking meanwhile and invitee.canceled overtakes invitee.created: the conversation stays on the apology and the link, no confirmation card, created and canceled each counted once"))
        w.recordAnalytics = true
        let id: ConversationID = "conv-b3"
        let slot = Self.bookThenGiveUpReconciling(&w, id)
        #expect(w.conversation(id).phase == .staticLink(reason: BookingConversation.bookingUnconfirmed))

        w.transcript.section("invitee.canceled first: counted created and canceled, no card")
        w.clock.advance(.minutes(10))
        let booked = F.invitee("b3", start: slot.start, email: Self.email)
        Self.webhook(&w, "invitee.canceled", booked)
        #expect(w.conversation(id).phase == .staticLink(reason: BookingConversation.bookingUnconfirmed))
        #expect(w.conversation(id).unconfirmed == nil)
        #expect(w.references["conv-b3#1"]?.status == .canceled && w.references["conv-b3#1"]?.invitee == booked.uri)
        #expect(!w.messages(to: id).contains { if case .confirmationCard = $0 { true } else { false } })
        var counts = Self.totals(w)
        #expect((counts.created, counts.canceled, counts.failed) == (1, 1, 1))

        w.transcript.section("invitee.created comes last: nothing changes")
        w.clock.advance(.seconds(30))
        Self.webhook(&w, "invitee.created", booked)
        #expect(w.references["conv-b3#1"]?.status == .canceled)
        #expect(!w.messages(to: id).contains { if case .confirmationCard = $0 { true } else { false } })
        counts = Self.totals(w)
        #expect((counts.created, counts.canceled, counts.failed) == (1, 1, 1))
        w.transcript.verify()
    }

    /// The same give-up, but the invitee.created webhook is lost too: the agent's stale reconciliation run
    /// still sees the open reference, reads Calendly back, and the customer is told — once.
    @Test func RECON_boundedReconciliationThenAgentRunConfirms() throws {
        var w = BookingWorld(Transcript("the conversation gave up reconciling (lookups kept failing) and the webhook was lost: the agent's stale reconciliation run reads the booking back and the customer gets the confirmation card, late; a second run changes nothing"))
        w.recordAnalytics = true
        var connection = F.connected()
        let id: ConversationID = "conv-b2"
        let requestedAt = w.now
        let slot = Self.bookThenGiveUpReconciling(&w, id)
        #expect(w.conversation(id).phase == .staticLink(reason: BookingConversation.bookingUnconfirmed))
        #expect(w.references["conv-b2#1"]?.status == .pending)

        w.transcript.section("the agent's periodic run finds the open reference and reads Calendly back")
        let booked = F.invitee("b2", start: slot.start, email: Self.email)
        let reply = try #require(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([Self.listed(.created, booked, at: requestedAt)]) })
        #expect(Self.notices(reply).map(\.invitee) == [booked.uri])
        #expect(w.conversation(id).phase == .confirmed(booked))
        #expect(w.messages.filter { if case .confirmationCard = $0.content { true } else { false } }.count == 1)
        #expect(w.references["conv-b2#1"]?.status == .confirmed)
        #expect(Self.totals(w).created == 1)

        w.transcript.section("the next run has nothing left to look at")
        w.clock.advance(.minutes(15))
        #expect(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([]) } == nil)
        #expect(Self.totals(w).created == 1)
        w.transcript.verify()
    }

    @Test func RECON1_lostCreatedWebhookConfirmedByReconciliation() throws {
        var w = BookingWorld(Transcript("a booking whose invitee.created webhook never came: too early for the periodic run (under 10 minutes) nothing is asked; after 10 minutes the stale run reads Calendly's window and the reference is confirmed, with no count of its own"))
        w.recordAnalytics = true
        var connection = F.connected()
        w.transcript.given("connected, subscribed (WH-SETUP)", Digest.connection(connection))
        let booked = Self.book(&w, "conv-c1", tag: "c1")
        let bookedAt = w.now
        #expect(w.references["conv-c1#1"]?.status == .created)

        w.transcript.section("5 minutes later: not stale yet")
        w.clock.advance(.minutes(5))
        #expect(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([]) } == nil)

        w.transcript.section("15 minutes later: the stale run asks Calendly, which holds the booking")
        w.clock.advance(.minutes(10))
        let reply = try #require(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([Self.listed(.created, booked, at: bookedAt)]) })
        #expect(Self.notices(reply).map(\.invitee) == [booked.uri])
        let reference = try #require(w.references["conv-c1#1"])
        #expect(reference.status == .confirmed && reference.invitee == booked.uri && reference.event == booked.eventURI)
        #expect(connection.reconciling == nil)
        #expect(Self.totals(w).created == 1 && Self.totals(w).canceled == 0)

        w.transcript.section("the next stale run has nothing left to look at")
        w.clock.advance(.minutes(5))
        #expect(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([]) } == nil)
        w.transcript.verify()
    }

    @Test func RECON2_lostCanceledWebhookOfAConfirmedBooking() throws {
        var w = BookingWorld(Transcript("a confirmed booking still ahead is canceled in Calendly and the invitee.canceled webhook is lost: the stale run leaves confirmed bookings alone; the full run (start-up, after a subscription check) reads it back — canceled, counted once, and the late webhook changes nothing"))
        w.recordAnalytics = true
        var connection = F.connected()
        let booked = Self.book(&w, "conv-c2", tag: "c2")
        let bookedAt = w.now
        Self.webhook(&w, "invitee.created", booked)
        #expect(w.references["conv-c2#1"]?.status == .confirmed)

        w.transcript.section("the customer cancels in Calendly an hour later; the webhook never arrives")
        w.clock.advance(.hours(1))
        let canceledAt = w.now
        w.clock.advance(.minutes(20))
        #expect(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([]) } == nil)

        w.transcript.section("the full run")
        let listing = [Self.listed(.created, booked, at: bookedAt), Self.listed(.canceled, booked, at: canceledAt)]
        let reply = try #require(Self.reconcile(&w, &connection, .all) { _ in .scheduledInvitees(listing) })
        #expect(Self.notices(reply).map(\.kind) == [.created, .canceled])
        let reference = try #require(w.references["conv-c2#1"])
        #expect(reference.status == .canceled && reference.canceledAt == canceledAt)
        #expect(w.telemetry(named: "calendly_booking_canceled").count == 1)
        #expect(Self.totals(w).canceled == 1 && Self.totals(w).created == 1)

        w.transcript.section("the webhook arrives after all")
        w.clock.advance(.minutes(1))
        Self.webhook(&w, "invitee.canceled", booked)
        #expect(w.references["conv-c2#1"] == reference)
        #expect(Self.totals(w).canceled == 1)
        w.transcript.verify()
    }

    @Test func RECON3_runningItTwiceChangesNothing() throws {
        var w = BookingWorld(Transcript("two bookings, one whose invitee.created and one whose invitee.canceled was lost: the full run confirms one and cancels the other; a second run over the same Calendly state produces only a log line and the notices, and changes no reference or count"))
        w.recordAnalytics = true
        var connection = F.connected()
        let first = Self.book(&w, "conv-t1", tag: "t1", slot: 0)
        let second = Self.book(&w, "conv-t2", tag: "t2", slot: 3)
        let bookedAt = w.now
        Self.webhook(&w, "invitee.created", second)
        w.clock.advance(.hours(1))
        let canceledAt = w.now
        let listing = [Self.listed(.created, first, at: bookedAt), Self.listed(.created, second, at: bookedAt),
                       Self.listed(.canceled, second, at: canceledAt)]
        w.clock.advance(.minutes(30))

        w.transcript.section("first run")
        let once = try #require(Self.reconcile(&w, &connection, .all) { window in
            #expect(window.from == first.start && window.to == second.start + .minutes(1))
            return .scheduledInvitees(listing)
        })
        #expect(w.references["conv-t1#1"]?.status == .confirmed && w.references["conv-t2#1"]?.status == .canceled)
        #expect(once.contains { if case .log = $0 { return true } else { return false } })
        let references = w.references, telemetry = w.telemetry, analytics = w.analytics

        w.transcript.section("second run, minutes later")
        w.clock.advance(.minutes(5))
        let twice = try #require(Self.reconcile(&w, &connection, .all) { _ in .scheduledInvitees(listing) })
        #expect(Self.onlyLogsAndNotices(twice))
        #expect(w.references == references && w.telemetry == telemetry && w.analytics == analytics)
        #expect(Self.totals(w).canceled == 1 && Self.totals(w).created == 2)
        w.transcript.verify()
    }

    @Test func RECON4_foreignBookingInTheWindowIgnoredSilently() throws {
        var w = BookingWorld(Transcript("the window also holds a booking someone made on the Calendly page (not ours, no attribution), later canceled: reconciliation passes over it without an unknown_event or a reference, while the same booking's webhook is rejected as unknown_event as before"))
        w.recordAnalytics = true
        var connection = F.connected()
        let ours = Self.book(&w, "conv-o1", tag: "o1", slot: 0)
        let later = Self.book(&w, "conv-o2", tag: "o2", slot: 4)
        let bookedAt = w.now
        let stranger = F.invitee("x1", start: F.slots(6)[2].start, email: "someone@example.org")
        w.clock.advance(.minutes(30))

        w.transcript.section("the stale run: both of ours are unconfirmed; the stranger's booking lies between them")
        let listing = [Self.listed(.created, ours, at: bookedAt), Self.listed(.created, stranger, at: bookedAt),
                       Self.listed(.canceled, stranger, at: bookedAt + .minutes(10)), Self.listed(.created, later, at: bookedAt)]
        let reply = try #require(Self.reconcile(&w, &connection, .stale) { window in
            #expect(window.from <= stranger.start && stranger.start < window.to)
            return .scheduledInvitees(listing)
        })
        #expect(Self.notices(reply).count == 4)
        #expect(w.telemetry(named: "calendly_webhook_rejected").isEmpty)
        #expect(Set(w.references.keys) == ["conv-o1#1", "conv-o2#1"])
        #expect(w.references.values.allSatisfy { $0.status == .confirmed })
        #expect(Self.totals(w).canceled == 0)

        w.transcript.section("the stranger's webhook, by contrast, is an unknown event")
        Self.webhook(&w, "invitee.created", stranger)
        #expect(w.telemetry(named: "calendly_webhook_rejected").count == 1)
        #expect(w.references.count == 2)
        w.transcript.verify()
    }

    @Test func RECON5_rescheduleSeenOnlyThroughReconciliation() throws {
        var w = BookingWorld(Transcript("a confirmed booking is moved to the next day in Calendly and both reschedule webhooks are lost: the listing holds the old invitee canceled (rescheduled, new_invitee) and the new one (old_invitee); the reference records one rescheduled fact with the new time and URIs, counted as rescheduled, not as canceled; a second run and the late webhooks change nothing"))
        w.recordAnalytics = true
        var connection = F.connected()
        let old = Self.book(&w, "conv-m1", tag: "m1")
        let bookedAt = w.now
        Self.webhook(&w, "invitee.created", old)
        let moved = F.invitee("m1b", start: old.start + .days(1), email: Self.email)
        w.clock.advance(.hours(1))
        let movedAt = w.now
        w.clock.advance(.minutes(30))

        w.transcript.section("the full run")
        let listing = [Self.listed(.created, old, at: bookedAt), Self.listed(.canceled, old, at: movedAt, rescheduled: true, newInvitee: moved.uri),
                       Self.listed(.created, moved, at: movedAt, oldInvitee: old.uri)]
        _ = try #require(Self.reconcile(&w, &connection, .all) { _ in .scheduledInvitees(listing) })
        var reference = try #require(w.references["conv-m1#1"])
        #expect(reference.status == .confirmed && reference.currentInvitee == moved.uri && reference.currentStart == moved.start)
        #expect(reference.reschedules == [BookingReference.Reschedule(from: old.uri, to: moved.uri, event: moved.eventURI, start: moved.start)])
        #expect(Self.totals(w).rescheduled == 1 && Self.totals(w).canceled == 0)

        w.transcript.section("the next full run looks at the new time, and changes nothing")
        w.clock.advance(.minutes(30))
        let again = try #require(Self.reconcile(&w, &connection, .all) { window in
            #expect(window.from == moved.start, "the booking is looked for where it is now")
            return .scheduledInvitees([Self.listed(.created, moved, at: movedAt, oldInvitee: old.uri)])
        })
        #expect(Self.onlyLogsAndNotices(again))
        #expect(w.references["conv-m1#1"] == reference)

        w.transcript.section("the two webhooks arrive late")
        Self.webhook(&w, "invitee.created", moved, oldInvitee: old.uri)
        Self.webhook(&w, "invitee.canceled", old, rescheduled: true, newInvitee: moved.uri)
        reference = try #require(w.references["conv-m1#1"])
        #expect(reference.reschedules?.count == 1 && reference.status == .confirmed)
        #expect(w.telemetry(named: "calendly_booking_rescheduled").count == 1 && w.telemetry(named: "calendly_booking_canceled").isEmpty)
        w.transcript.verify()
    }

    @Test func RECON6_calendlyFailsLoggedNothingChangesNextRunWorks() throws {
        var w = BookingWorld(Transcript("the listing fails — 429 rate limited, then no reply in time: each is logged as a warning and changes no reference or count; the next run reads the window and confirms"))
        w.recordAnalytics = true
        var connection = F.connected()
        let booked = Self.book(&w, "conv-f1", tag: "f1")
        let bookedAt = w.now
        w.clock.advance(.minutes(15))
        let references = w.references

        w.transcript.section("429")
        let limited = try #require(Self.reconcile(&w, &connection, .stale) { _ in .failed(.rateLimited(retryAfter: .seconds(30))) })
        #expect(limited.count == 1 && limited.allSatisfy { if case .log(let entry) = $0 { return entry.level == .warning } else { return false } })
        #expect(w.references == references && connection.reconciling == nil)

        w.transcript.section("timeout")
        w.clock.advance(.minutes(5))
        let silent = try #require(Self.reconcile(&w, &connection, .stale) { _ in .outcomeUnknown })
        #expect(silent.count == 1 && Self.notices(silent).isEmpty)
        #expect(w.references == references)

        w.transcript.section("the next run works")
        w.clock.advance(.minutes(5))
        _ = try #require(Self.reconcile(&w, &connection, .stale) { _ in .scheduledInvitees([Self.listed(.created, booked, at: bookedAt)]) })
        #expect(w.references["conv-f1#1"]?.status == .confirmed)
        #expect(Self.totals(w).created == 1 && Self.totals(w).canceled == 0)
        w.transcript.verify()
    }
}
