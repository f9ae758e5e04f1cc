@testable import Core
import Effects
import Foundation
import Interpreters
import Testing

/// A lost booking reply, then the customer cancels the booking from Calendly's confirmation email before
/// the lookup runs. The lookup must tell "booked, since canceled" from "never booked": the first must
/// never be booked again (PRD: never a duplicate booking; failures end in apology + static link).
/// Calendly's answers come from `SimCalendly`, the model the simulator and the emulator share.
@Suite struct CanceledBeforeConfirmationTests {
    typealias F = Fixtures
    static let email = "Jane.Doe@example.com"

    static func calendly() -> SimCalendly {
        var calendly = SimCalendly()
        calendly.addEventType(F.intro)
        return calendly
    }

    static func createRequest(_ effects: [Effect]) -> (key: BookingKey, request: InviteeRequest)? {
        for call in F.calls(effects) { if case .createInvitee(_, let key, let request) = call { return (key, request) } }
        return nil
    }

    static func totals(_ analytics: Analytics) -> Analytics.Counts { analytics.days.values.reduce(Analytics.Counts(), +) }

    /// Offers the slots, picks the first; Calendly books it and the reply is lost. Returns the booking.
    static func bookWithLostReply(_ w: inout BookingWorld, _ id: ConversationID, _ calendly: inout SimCalendly) throws -> Invitee {
        w.trigger(id, F.setup(), channel: .whatsapp)
        w.calendly(id, .availableTimes(F.slots(6)))
        let sent = w.tap(id, "o1s1")
        let (key, request) = try #require(Self.createRequest(sent))
        let booked = try #require(try? calendly.createInvitee(request, key: key, now: w.now).get())
        w.clock.advance(.seconds(5))
        let lost = w.calendly(id, .outcomeUnknown)
        #expect(F.calls(lost) == [.findInvitee(F.token, eventType: F.intro.uri, email: Self.email, start: booked.start)])
        return booked
    }

    /// Calendly's answer to the lookup the conversation is waiting on.
    static func lookUp(_ w: inout BookingWorld, _ id: ConversationID, _ calendly: SimCalendly) -> [Effect] {
        w.calendly(id, .inviteeFound(calendly.findInvitee(eventType: F.intro.uri, email: Self.email, start: F.slots(1)[0].start)))
    }

    @Test func lostReplyCanceledBeforeLookupGivesApologyAndLinkNeverRebooks() throws {
        var w = BookingWorld(Transcript("the booking reply is lost, the customer cancels from Calendly's email before the lookup: the lookup finds the booking canceled → never booked again; apology + the attributed static link; settled as booked, so created and canceled are each counted once whichever of the lookup and the invitee.canceled webhook comes first"))
        w.recordAnalytics = true
        let reason = BookingConversation.canceledBeforeConfirmation

        w.transcript.section("lookup after the cancellation, the webhooks after the lookup")
        var calendly = Self.calendly()
        let booked = try Self.bookWithLostReply(&w, "conv-c1", &calendly)
        w.clock.advance(.seconds(20))
        let canceledByCustomer = calendly.cancel(booked.uri, now: w.now)
        #expect(canceledByCustomer)
        w.clock.advance(.seconds(10))
        let found = Self.lookUp(&w, "conv-c1", calendly)
        var canceled = booked
        canceled.canceledAt = w.now - .seconds(10)
        #expect(F.calls(found).isEmpty, "never booked again")
        #expect(w.createCalls == ["conv-c1#1"])
        #expect(F.texts(found) == [Copy.apology(link: F.fallbackLink)])
        #expect(F.events(found) == [
            .bookingCreated(agent: F.agent, conversation: "conv-c1", eventType: F.intro.uri, scheduledTime: booked.start, at: w.now),
            .bookingFailed(agent: F.agent, conversation: "conv-c1", reason: reason, at: w.now),
        ])
        #expect(F.stores(found).first == .settleIntent("conv-c1#1", .booked(canceled), at: w.now))
        #expect(w.conversation("conv-c1").phase == .staticLink(reason: reason))
        #expect(w.references["conv-c1#1"]?.status == .created && w.references["conv-c1#1"]?.invitee == booked.uri)
        #expect(!w.messages(to: "conv-c1").contains { if case .confirmationCard = $0 { true } else { false } })
        w.clock.advance(.seconds(30))
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: booked, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        w.deliver(F.delivery(F.webhookBody("invitee.canceled", invitee: booked, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        #expect(w.references["conv-c1#1"]?.status == .canceled)
        #expect(w.say("conv-c1", "1").isEmpty, "the conversation is over")
        var counts = Self.totals(w.analytics)
        #expect((counts.offered, counts.created, counts.canceled, counts.failed) == (1, 1, 1, 1))

        w.transcript.section("the same time again in another conversation; the invitee.canceled webhook beats the lookup (and invitee.created): the conversation learns it from the webhook, ends at once, counted once all the same")
        let early = try Self.bookWithLostReply(&w, "conv-c2", &calendly)
        w.clock.advance(.seconds(20))
        let canceledEarly = calendly.cancel(early.uri, now: w.now)
        #expect(canceledEarly)
        let inFlight = try #require(w.pendingRequest("conv-c2"), "the lookup is on its way")
        w.deliver(F.delivery(F.webhookBody("invitee.canceled", invitee: early, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        #expect(w.references["conv-c2#1"]?.status == .canceled)
        #expect(w.createCalls == ["conv-c1#1", "conv-c2#1"], "never booked again")
        #expect(w.messages(to: "conv-c2").last == .text(Copy.apology(link: F.fallbackLink)))
        #expect(w.conversation("conv-c2").phase == .staticLink(reason: reason))
        w.clock.advance(.seconds(10))
        // The lookup still in flight answers: Calendly holds two canceled bookings of this customer at this time
        // (it answers with the one canceled last). The conversation is over; nothing more happens.
        let answer = calendly.findInvitee(eventType: F.intro.uri, email: Self.email, start: F.slots(1)[0].start)
        let afterWebhook = w.send("conv-c2", .calendlyReplied(inFlight, .inviteeFound(answer), at: w.now))
        #expect(F.calls(afterWebhook).isEmpty && F.texts(afterWebhook).isEmpty)
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: early, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        #expect(w.references["conv-c2#1"]?.status == .canceled && w.references["conv-c2#1"]?.invitee == early.uri)
        #expect(!w.messages(to: "conv-c2").contains { if case .confirmationCard = $0 { true } else { false } })
        counts = Self.totals(w.analytics)
        #expect((counts.offered, counts.created, counts.canceled, counts.failed) == (2, 2, 2, 2))
        w.transcript.verify()
    }

    @Test func anEarlierCanceledBookingAtThatTimeIsNotOurs() throws {
        var w = BookingWorld(Transcript("a booking of the same customer at the same time, canceled before this conversation asked, is not ours: the lookup after a lost reply (nothing booked) finds only it → the same key is sent once more, and books"))
        var calendly = Self.calendly()
        let slot = F.slots(1)[0]
        let earlier = try #require(try? calendly.createInvitee(InviteeRequest(eventType: F.intro.uri, start: slot.start, email: Self.email, name: nil, timeZone: "UTC"),
                                                               key: nil, now: w.now - .hours(2), viaAPI: false).get())
        let canceledEarlier = calendly.cancel(earlier.uri, now: w.now - .hours(1))
        #expect(canceledEarlier)

        w.trigger("conv-c3", F.setup(), channel: .whatsapp)
        w.calendly("conv-c3", .availableTimes(F.slots(6)))
        w.tap("conv-c3", "o1s1")
        w.clock.advance(.seconds(5))
        w.calendly("conv-c3", .outcomeUnknown)
        let resend = Self.lookUp(&w, "conv-c3", calendly)
        let (key, request) = try #require(Self.createRequest(resend))
        #expect(key == "conv-c3#1")
        let booked = try #require(try? calendly.createInvitee(request, key: key, now: w.now).get())
        let confirmed = w.calendly("conv-c3", .inviteeCreated(booked))
        #expect(F.events(confirmed).map(\.name) == ["calendly_booking_created"])
        #expect(w.conversation("conv-c3").phase == .confirmed(booked))
        w.transcript.verify()
    }
}

/// Conversations stored before attempts carried `requestedAt` still decode; for them any cancellation the
/// lookup finds counts as of their own booking (the safe side: never book again).
@Suite struct CanceledBeforeConfirmationStoredStateTests {
    typealias F = Fixtures

    @Test func anAttemptStoredWithoutRequestedAtTakesAnyCancellationAsItsOwn() throws {
        var conversation = BookingConversation(id: "conv-old")
        let now = Instant(iso8601: "2026-11-25T02:00:00Z")!
        _ = BookingConversation.reduce(&conversation, .triggerMet(F.trigger(F.setup(), channel: .text, zone: F.customerZone), at: now))
        guard case .checkingAvailability(let fetch) = conversation.phase else { Issue.record("not fetching"); return }
        _ = BookingConversation.reduce(&conversation, .calendlyReplied(fetch, .availableTimes(F.slots(3)), at: now))
        _ = BookingConversation.reduce(&conversation, .customerReplied("1", at: now))
        guard case .booking(let attempt) = conversation.phase else { Issue.record("not booking"); return }
        #expect(attempt.requestedAt == now)

        // As an older build stored it: the same state without the field.
        let stored = try JSONSerialization.jsonObject(with: JSONEncoder().encode(conversation))
        let withoutField = try JSONSerialization.data(withJSONObject: Self.removing("requestedAt", from: stored))
        var old = try JSONDecoder().decode(BookingConversation.self, from: withoutField)
        guard case .booking(let oldAttempt) = old.phase else { Issue.record("not booking after decoding"); return }
        #expect(oldAttempt.requestedAt == nil)

        let lookup = BookingConversation.reduce(&old, .calendlyReplied(oldAttempt.request, .outcomeUnknown, at: now + .seconds(5)))
        guard case .reconciling(_, let request?) = old.phase else { Issue.record("not looking up: \(lookup)"); return }
        var canceledLongAgo = F.invitee("old", start: oldAttempt.slot.start, email: oldAttempt.email)
        canceledLongAgo.canceledAt = now - .days(1)
        let ended = BookingConversation.reduce(&old, .calendlyReplied(request, .inviteeFound(canceledLongAgo), at: now + .seconds(6)))
        #expect(F.calls(ended).isEmpty)
        #expect(old.phase == .staticLink(reason: BookingConversation.canceledBeforeConfirmation))
    }

    static func removing(_ key: String, from value: Any) -> Any {
        if let object = value as? [String: Any] {
            return object.filter { $0.key != key }.mapValues { removing(key, from: $0) }
        }
        if let array = value as? [Any] { return array.map { removing(key, from: $0) } }
        return value
    }
}
