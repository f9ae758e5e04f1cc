@testable import Core
import Effects
import Foundation
import Testing

/// Exactly-once details of one booking attempt: what a resend's "slot unavailable" means, and what
/// each new attempt starts from.
@Suite struct BookingAttemptTests {
    typealias F = Fixtures
    static let email = "Jane.Doe@example.com"

    static func offer(_ w: inout BookingWorld, _ id: ConversationID, channel: Channel = .whatsapp) {
        w.trigger(id, F.setup(), channel: channel)
        w.clock.advance(.milliseconds(900))
        w.calendly(id, .availableTimes(F.slots(6)))
    }

    @Test func resendSlotUnavailableLooksTheBookingUp() {
        var w = BookingWorld(Transcript("“slot unavailable” in reply to the resend of a key may be our own first send that landed late: look the booking up (scheduled events by invitee email) instead of re-offering"))
        let slot = F.slots(6)[0]
        Self.offer(&w, "conv-r1")
        w.tap("conv-r1", "o1s1")
        w.calendly("conv-r1", .outcomeUnknown)
        w.calendly("conv-r1", .inviteeFound(nil))
        #expect(w.createCalls == ["conv-r1#1", "conv-r1#1"], "proven not booked: the same key is sent again")
        w.clock.advance(.seconds(3))
        let taken = w.calendly("conv-r1", .failed(.slotUnavailable))
        #expect(F.calls(taken) == [.findInvitee(F.token, eventType: F.intro.uri, email: Self.email, start: slot.start)])
        #expect(F.events(taken).isEmpty, "no slot conflict counted: the slot may be ours")
        #expect(F.messages(taken).isEmpty, "no re-offer")
        let invitee = F.invitee("r1", start: slot.start, email: Self.email)
        let found = w.calendly("conv-r1", .inviteeFound(invitee))
        #expect(F.events(found).map(\.name) == ["calendly_booking_created"])
        #expect(w.conversation("conv-r1").phase == .confirmed(invitee))
        #expect(w.createCalls.filter { $0 == "conv-r1#1" }.count == 2)
        #expect(w.telemetry(named: "calendly_slot_conflict").isEmpty)

        w.transcript.section("on the first send, “slot unavailable” is still a conflict and re-offers")
        Self.offer(&w, "conv-r2")
        w.tap("conv-r2", "o1s1")
        let conflict = w.calendly("conv-r2", .failed(.slotUnavailable))
        #expect(F.events(conflict).map(\.name) == ["calendly_slot_conflict"])
        #expect(F.texts(conflict).first == Copy.slotJustTaken)
        w.transcript.verify()
    }

    @Test func eachAttemptStartsItsOwnReconcileCounters() {
        var w = BookingWorld(Transcript("“still confirming” and the lookup backoff belong to one booking attempt: a later attempt in the same conversation tells the customer again and backs off from the start"))
        Self.offer(&w, "conv-a1")
        w.tap("conv-a1", "o1s1")
        w.calendly("conv-a1", .outcomeUnknown)
        let first = w.calendly("conv-a1", .failed(.unreachable))
        #expect(F.texts(first) == [Copy.stillConfirming])
        w.clock.advance(.seconds(2))
        w.send("conv-a1", .timerFired("conv-a1/reconcile", at: w.now))
        w.calendly("conv-a1", .failed(.unreachable))
        w.clock.advance(.seconds(4))
        w.send("conv-a1", .timerFired("conv-a1/reconcile", at: w.now))
        w.calendly("conv-a1", .inviteeFound(nil))
        w.calendly("conv-a1", .outcomeUnknown)
        w.calendly("conv-a1", .inviteeFound(nil))
        #expect(w.conversation("conv-a1").phase == .staticLink(reason: "booking_not_confirmed"))

        w.transcript.section("the trigger fires again: a new attempt")
        w.clock.advance(.minutes(10))
        Self.offer(&w, "conv-a1")
        w.tap("conv-a1", "o1s1")
        w.calendly("conv-a1", .outcomeUnknown)
        let second = w.calendly("conv-a1", .failed(.unreachable))
        #expect(F.texts(second) == [Copy.stillConfirming], "the new attempt tells the customer again")
        #expect(second.contains(.schedule("conv-a1/reconcile", after: .seconds(2))), "the backoff starts over")
        #expect(w.conversation("conv-a1").lookups == 1)
        w.transcript.verify()
    }
}
