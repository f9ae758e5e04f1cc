import Core
import Effects
import Foundation
import Synchronization
import Testing
@testable import Host
@testable import Interpreters

/// The emulator's issue-6 hooks, over HTTP: a booking made through an attributed link sends webhooks
/// carrying its `tracking`, and the reschedule hook sends both halves of a reschedule — all of which
/// the core's intake parses and pairs.
@Suite struct EmulatorFollowUpTests {
    static func subscribe(_ base: String, _ model: EmulatorModel, _ url: String) async throws {
        let token = await model.issueTokens().access
        let body = #"{"url":"\#(url)","events":["invitee.created","invitee.canceled"],"organization":"\#(base)/organizations/ORG","scope":"organization"}"#
        #expect(try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: body).status == 201)
    }

    static func notices(_ deliveries: [WebhookInbox.Delivery]) -> [InviteeNotice] {
        let signature = WebhookSignature(key: EmulatorModel.developmentSigningKey, hmac: CryptoHMAC.sha256)
        return deliveries.compactMap {
            let verdict = WebhookIntake.judge(WebhookIntake.Delivery(signatureHeader: $0.signature, body: $0.body), at: LiveCalendly.wallClock(),
                                              signature: signature, processed: [:])
            if case .accepted(let notice) = verdict { return notice }
            Issue.record("webhook not accepted: \(verdict)")
            return nil
        }
    }

    @Test func linkBookingWithTrackingAndRescheduleSendTheirWebhooks() async throws {
        try await withEmulator { base, model in
            let inbox = WebhookInbox()
            let receiver = try await inbox.start()
            try await Self.subscribe(base, model, receiver.url)
            let slot = Instant(utcDate: (LiveCalendly.wallClock() + .days(1)).utcDate, hour: 10)

            // The customer books through the attributed fallback link.
            let take = #"{"event_type":"\#(base)/event_types/ET-INTRO","start_time":"\#(slot.iso8601)","email":"link@example.com","utm_source":"calendly-action","utm_content":"3f9a1c0e5b7d2a4c6e8f0a1b"}"#
            let taken = try await EmuHTTP.send("POST", base + "/_emulator/slots/take", json: take)
            #expect(taken.status == 201)
            let resource = try #require(taken.json["resource"] as? [String: Any])
            let tracking = try #require(resource["tracking"] as? [String: Any])
            #expect(tracking["utm_content"] as? String == "3f9a1c0e5b7d2a4c6e8f0a1b")
            let invitee = try #require(resource["uri"] as? String)
            var notices = Self.notices(await inbox.waitFor(count: 1))
            try #require(notices.count == 1)
            #expect(notices[0].tracking == BookingTracking(utmSource: "calendly-action", utmContent: "3f9a1c0e5b7d2a4c6e8f0a1b"))
            #expect(FallbackLink.reference(in: notices[0].tracking) == "3f9a1c0e5b7d2a4c6e8f0a1b")

            // Then moves it: the old invitee is canceled (rescheduled) and a new one created.
            let later = slot + .hours(2)
            let moved = try await EmuHTTP.send("POST", base + "/_emulator/bookings/reschedule", json: #"{"invitee":"\#(invitee)","start_time":"\#(later.iso8601)"}"#)
            #expect(moved.status == 201)
            let newInvitee = try #require((moved.json["resource"] as? [String: Any])?["uri"] as? String)
            #expect((moved.json["resource"] as? [String: Any])?["old_invitee"] as? String == invitee)
            notices = Self.notices(await inbox.waitFor(count: 3))
            try #require(notices.count == 3)
            let canceled = try #require(notices.first { $0.kind == .canceled })
            let created = try #require(notices.last { $0.kind == .created })
            #expect(canceled.invitee == CalendlyURI(invitee) && canceled.rescheduled && canceled.newInvitee == CalendlyURI(newInvitee))
            #expect(created.invitee == CalendlyURI(newInvitee) && created.oldInvitee == CalendlyURI(invitee) && created.start == later)
            #expect(created.tracking == notices[0].tracking, "a moved booking keeps its attribution")

            // The old time is free again; the new one is taken; moving a canceled booking is refused.
            #expect(try await EmuHTTP.send("POST", base + "/_emulator/bookings/reschedule", json: #"{"invitee":"\#(invitee)","start_time":"\#((later + .hours(1)).iso8601)"}"#).status == 404)
            let retake = #"{"event_type":"\#(base)/event_types/ET-INTRO","start_time":"\#(slot.iso8601)"}"#
            #expect(try await EmuHTTP.send("POST", base + "/_emulator/slots/take", json: retake).status == 201)
            let clash = #"{"event_type":"\#(base)/event_types/ET-INTRO","start_time":"\#(later.iso8601)"}"#
            #expect(try await EmuHTTP.send("POST", base + "/_emulator/slots/take", json: clash).status == 409)
            await receiver.stop()
        }
    }
}

/// Booking-quota awareness end to end: the emulator enforces Calendly's per-user cap with 429s and
/// `LiveCalendly` passes its reset on (the step engine then holds later calls: BookingQuotaEngineTests).
@Suite struct BookingQuotaEndToEndTests {
    @Test func emulatorCapAnswers429WithItsReset() async throws {
        try await LiveHarness.run { harness in
            let token = await harness.connect()
            #expect(try await EmuHTTP.send("POST", harness.baseURL + "/_emulator/quota", json: #"{"tier":"trial"}"#).status == 200)
            var replies: [CalendlyReply] = []
            for index in 0..<6 {
                let start = try await harness.freeSlot(token, index: index)
                replies.append(await harness.calendly.perform(.createInvitee(token, key: BookingKey("conv-\(index)/1"), harness.booking("q\(index)@example.com", at: start))))
            }
            #expect(replies.prefix(5).allSatisfy { if case .inviteeCreated = $0 { true } else { false } })
            guard case .failed(.rateLimited(let wait)) = replies[5] else { Issue.record("6th: \(replies[5])"); return }
            #expect((wait ?? .seconds(0)) > .hours(1), "the emulator's X-RateLimit-Reset (a day) is passed on")
            #expect(await harness.model.bookings.count == 5)
            #expect(try await EmuHTTP.send("POST", harness.baseURL + "/_emulator/quota", json: #"{"tier":null}"#).status == 200)
        }
    }
}
