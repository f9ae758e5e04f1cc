@testable import Core
import Effects
import Foundation
import Testing

/// Issue 6 items 3 and 4: a reschedule in Calendly (canceled + created pair, either order, repeated)
/// is one "rescheduled" fact, never a cancellation; a booking made through the attributed fallback link
/// maps back to its conversation.
@Suite struct WebhookFollowUpTests {
    typealias F = Fixtures

    static let email = "Jane.Doe@example.com"
    static let attribution: ConversationReference = "3f9a1c0e5b7d2a4c6e8f0a1b"

    /// One conversation booked in chat and confirmed by its webhook; returns the invitee.
    static func bookAndConfirm(_ w: inout BookingWorld, _ id: ConversationID, tag: String) -> Invitee {
        let invitee = S04AnalyticsTests.book(&w, id, tag: tag)
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: invitee, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        return invitee
    }

    /// The two webhooks of moving `old` to `moved`.
    static func reschedulePair(_ old: Invitee, to moved: Invitee, at now: Instant) -> (canceled: [UInt8], created: [UInt8]) {
        (F.webhookBody("invitee.canceled", invitee: old, eventType: F.intro.uri, createdAt: now, rescheduled: true, newInvitee: moved.uri),
         F.webhookBody("invitee.created", invitee: moved, eventType: F.intro.uri, createdAt: now, oldInvitee: old.uri))
    }

    static func totals(_ w: BookingWorld) -> Analytics.Counts {
        (try? w.analytics.report(agent: F.agent, from: CivilDate(iso: "2026-11-25")!, to: CivilDate(iso: "2026-11-30")!).get().totals) ?? Analytics.Counts()
    }

    @Test func RESCH1_canceledHalfFirstThenCreated() throws {
        var w = BookingWorld(Transcript("a reschedule whose invitee.canceled (rescheduled: true, new_invitee) arrives before invitee.created (old_invitee): one rescheduled fact with the new time and URIs, counted once as rescheduled, never as canceled"))
        w.recordAnalytics = true
        let old = Self.bookAndConfirm(&w, "conv-r1", tag: "r1")
        let moved = F.invitee("r1b", start: old.start + .days(1), email: Self.email)

        w.transcript.section("the invitee moves the meeting to the next day in Calendly")
        w.clock.advance(.hours(2))
        let pair = Self.reschedulePair(old, to: moved, at: w.now)
        w.deliver(F.delivery(pair.canceled, signedAt: w.now))
        var reference = try #require(w.references["conv-r1#1"])
        #expect(reference.status == .confirmed && reference.currentInvitee == moved.uri)
        #expect(reference.reschedules == [BookingReference.Reschedule(from: old.uri, to: moved.uri, event: nil, start: nil)])
        w.clock.advance(.seconds(1))
        w.deliver(F.delivery(pair.created, signedAt: w.now))
        reference = try #require(w.references["conv-r1#1"])
        #expect(reference.reschedules == [BookingReference.Reschedule(from: old.uri, to: moved.uri, event: moved.eventURI, start: moved.start)])
        #expect(reference.currentStart == moved.start && reference.status == .confirmed)

        w.transcript.section("Calendly redelivers both halves: nothing changes")
        w.clock.advance(.minutes(1))
        let before = w.references
        w.deliver(F.delivery(pair.created, signedAt: w.now))
        w.deliver(F.delivery(pair.canceled, signedAt: w.now))
        #expect(w.references == before)
        #expect(w.telemetry(named: "calendly_booking_rescheduled").count == 1)
        #expect(w.telemetry(named: "calendly_booking_canceled").isEmpty)
        #expect(Self.totals(w).rescheduled == 1 && Self.totals(w).canceled == 0 && Self.totals(w).created == 1)

        w.transcript.section("later the invitee cancels the moved meeting: that is a cancellation")
        w.clock.advance(.hours(3))
        w.deliver(F.delivery(F.webhookBody("invitee.canceled", invitee: moved, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        #expect(w.references["conv-r1#1"]?.status == .canceled)
        #expect(Self.totals(w).canceled == 1 && Self.totals(w).rescheduled == 1)
        w.transcript.verify()
    }

    @Test func RESCH2_createdHalfFirstThenCanceled() throws {
        var w = BookingWorld(Transcript("the same reschedule with invitee.created (old_invitee) first: it finds the booking by old_invitee, and the late invitee.canceled (rescheduled) only completes the fact — same final reference and counts as canceled-first"))
        w.recordAnalytics = true
        let old = Self.bookAndConfirm(&w, "conv-r1", tag: "r1")
        let moved = F.invitee("r1b", start: old.start + .days(1), email: Self.email)

        w.transcript.section("invitee.created of the new time arrives first")
        w.clock.advance(.hours(2))
        let pair = Self.reschedulePair(old, to: moved, at: w.now)
        w.deliver(F.delivery(pair.created, signedAt: w.now))
        #expect(w.telemetry(named: "calendly_booking_rescheduled").count == 1)
        w.clock.advance(.seconds(1))
        w.deliver(F.delivery(pair.canceled, signedAt: w.now))
        let reference = try #require(w.references["conv-r1#1"])
        #expect(reference.reschedules == [BookingReference.Reschedule(from: old.uri, to: moved.uri, event: moved.eventURI, start: moved.start)])
        #expect(reference.status == .confirmed && reference.canceledAt == nil && reference.invitee == old.uri)
        #expect(w.telemetry(named: "calendly_booking_rescheduled").count == 1)
        #expect(w.telemetry(named: "calendly_booking_canceled").isEmpty)
        #expect(Self.totals(w).rescheduled == 1 && Self.totals(w).canceled == 0)

        w.transcript.section("a reschedule of a booking made elsewhere is not ours")
        let stranger = F.invitee("x9", start: old.start + .hours(4), email: "someone@example.org")
        let elsewhere = F.invitee("x9b", start: old.start + .hours(5), email: "someone@example.org")
        let foreign = Self.reschedulePair(stranger, to: elsewhere, at: w.now)
        w.deliver(F.delivery(foreign.created, signedAt: w.now))
        w.deliver(F.delivery(foreign.canceled, signedAt: w.now))
        #expect(w.telemetry(named: "calendly_webhook_rejected").count == 2)
        #expect(Self.totals(w).rescheduled == 1)
        w.transcript.verify()
    }

    @Test func FALLBACK1_bookingThroughAttributedLinkMapsBack() throws {
        var w = BookingWorld(Transcript("a conversation that fell back hands out the static link with utm_source=calendly-action and utm_content=<opaque reference>; the invitee.created carrying that tracking becomes a reference created via fallback, counted as fallbackBooked once"))
        w.recordAnalytics = true
        let trigger = BookingConversation.Trigger(setup: .ready(F.setup()), channel: .whatsapp, timeZone: F.customerZone, attribution: Self.attribution)
        w.send("conv-f1", .triggerMet(trigger, at: w.now))
        let none = w.calendly("conv-f1", .availableTimes([]))
        let link = "\(F.intro.schedulingURL)?utm_source=calendly-action&utm_content=\(Self.attribution)"
        #expect(F.texts(none) == [Copy.noTimesAvailable(link: link)])
        #expect(w.fallbackOffers[Self.attribution]?.conversation == "conv-f1")

        w.transcript.section("the customer books through the link an hour later")
        w.clock.advance(.hours(1))
        let booked = F.invitee("f1", start: F.slots(1)[0].start + .days(2), email: Self.email)
        let body = F.webhookBody("invitee.created", invitee: booked, eventType: F.intro.uri, createdAt: w.now,
                                 tracking: (source: FallbackLink.source, content: Self.attribution.rawValue))
        w.deliver(F.delivery(body, signedAt: w.now))
        let key = BookingKey("conv-f1#link:\(booked.uri)")
        let reference = try #require(w.references[key])
        #expect(reference.origin == .fallbackLink && reference.status == .confirmed && reference.conversation == "conv-f1")
        #expect(reference.invitee == booked.uri && reference.start == booked.start && reference.email == nil)
        #expect(w.telemetry(named: "calendly_fallback_booked") == [.fallbackBooked(agent: F.agent, conversation: "conv-f1", eventType: F.intro.uri, at: w.now)])

        w.transcript.section("a redelivery after the dedupe window finds the reference by invitee and changes nothing")
        w.clock.advance(.days(8))
        w.retentionSweep()
        w.deliver(F.delivery(body, signedAt: w.now))
        #expect(w.telemetry(named: "calendly_fallback_booked").count == 1)
        #expect(Self.totals(w).fallbackBooked == 1 && Self.totals(w).created == 0)

        w.transcript.section("someone else's tracking, or an unknown reference, is not attributed")
        let other = F.invitee("f2", start: booked.start + .hours(1), email: "walk.in@example.org")
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: other, eventType: F.intro.uri, createdAt: w.now,
                                           tracking: (source: "newsletter", content: Self.attribution.rawValue)), signedAt: w.now))
        let third = F.invitee("f3", start: booked.start + .hours(2), email: "walk.in@example.org")
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: third, eventType: F.intro.uri, createdAt: w.now,
                                           tracking: (source: FallbackLink.source, content: "0000000000000000deadbeef")), signedAt: w.now))
        #expect(w.references.count == 1 && w.telemetry(named: "calendly_webhook_rejected").count == 2)
        w.transcript.verify()
    }

    @Test func FALLBACK2_everyFallbackLinkCarriesUTM() {
        var w = BookingWorld(Transcript("every static-link fallback (no slots, booking error, unreadable replies) carries utm_source=calendly-action and the opaque utm_content; a malformed or missing reference leaves only utm_source"))
        let trigger = { (reference: ConversationReference?) in
            BookingConversation.Trigger(setup: .ready(F.setup()), channel: .whatsapp, timeZone: F.customerZone, attribution: reference)
        }
        let tagged = "\(F.intro.schedulingURL)?utm_source=calendly-action&utm_content=\(Self.attribution)"
        let untagged = "\(F.intro.schedulingURL)?utm_source=calendly-action"

        w.transcript.section("booking error → apology + attributed link")
        w.send("conv-a", .triggerMet(trigger(Self.attribution), at: w.now))
        w.calendly("conv-a", .availableTimes(F.slots(3)))
        w.tap("conv-a", "o1s1")
        let failed = w.calendly("conv-a", .failed(.rejected(message: "invitee.email is invalid")))
        #expect(F.texts(failed) == [Copy.apology(link: tagged)])
        #expect(F.stores(failed).contains(.recordFallbackOffer(FallbackOffer(reference: Self.attribution, agent: F.agent, conversation: "conv-a",
                                                                             eventType: F.intro.uri, offeredAt: w.now))))

        w.transcript.section("three unreadable replies → attributed link")
        w.send("conv-b", .triggerMet(trigger("b1c2d3e4f5a6b7c8d9e0f1a2"), at: w.now))
        w.calendly("conv-b", .availableTimes(F.slots(3)))
        w.say("conv-b", "hmm")
        w.say("conv-b", "what")
        let gaveUp = w.say("conv-b", "no idea")
        #expect(F.texts(gaveUp) == [Copy.apology(link: "\(F.intro.schedulingURL)?utm_source=calendly-action&utm_content=b1c2d3e4f5a6b7c8d9e0f1a2")])

        w.transcript.section("a reference that is not URL-safe, or none, is left out (never escaped raw data)")
        w.send("conv-c", .triggerMet(trigger("jane@example.com"), at: w.now))
        let malformed = w.calendly("conv-c", .availableTimes([]))
        #expect(F.texts(malformed) == [Copy.noTimesAvailable(link: untagged)])
        #expect(!F.stores(malformed).contains { if case .recordFallbackOffer = $0 { true } else { false } })
        w.send("conv-d", .triggerMet(trigger(nil), at: w.now))
        #expect(F.texts(w.calendly("conv-d", .availableTimes([]))) == [Copy.noTimesAvailable(link: untagged)])

        w.transcript.section("link shapes: existing query and fragment are kept")
        for link in ["https://calendly.com/acme/intro?month=2026-11", "https://calendly.com/acme/intro?", "https://calendly.com/acme/intro#top"] {
            w.transcript.call("FallbackLink.attributed(\(link))", outputs: [FallbackLink.attributed(link, reference: Self.attribution)], "")
        }
        #expect(FallbackLink.attributed("https://calendly.com/a/b?month=2026-11#x", reference: Self.attribution)
            == "https://calendly.com/a/b?month=2026-11&utm_source=calendly-action&utm_content=\(Self.attribution)#x")
        w.transcript.verify()
    }
}

extension WebhookFollowUpTests {
    @Test func RESCH3_rescheduleWhileTheReplyIsStillOutstanding() throws {
        var w = BookingWorld(Transcript("the booking reply is lost and the invitee already moved the meeting: the invitee.canceled half (rescheduled) matches the pending intent, tells the waiting conversation its booking existed, and the created half completes the fact — no second booking"))
        w.recordAnalytics = true
        w.trigger("conv-p1", F.setup(), channel: .whatsapp)
        w.calendly("conv-p1", .availableTimes(F.slots(3)))
        w.tap("conv-p1", "o1s1")
        let old = F.invitee("p1", start: F.slots(1)[0].start, email: Self.email)
        let moved = F.invitee("p1b", start: old.start + .days(1), email: Self.email)
        w.clock.advance(.seconds(5))
        let pair = Self.reschedulePair(old, to: moved, at: w.now)
        w.deliver(F.delivery(pair.canceled, signedAt: w.now))
        #expect(w.conversation("conv-p1").phase == .confirmed(old))
        #expect(w.telemetry(named: "calendly_booking_created").count == 1)
        w.deliver(F.delivery(pair.created, signedAt: w.now))
        let reference = try #require(w.references["conv-p1#1"])
        #expect(reference.status == .confirmed && reference.currentInvitee == moved.uri && reference.currentStart == moved.start)
        #expect(Self.totals(w).rescheduled == 1 && Self.totals(w).canceled == 0)
        #expect(w.calls.filter { if case .createInvitee = $0 { true } else { false } }.count == 1, "booked once")
        w.transcript.verify()
    }
}
