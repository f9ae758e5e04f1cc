import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// Issue 6 items 3 and 4 through the host: signed webhooks for a reschedule (either half first) and
/// for a booking made through the attributed fallback link end up in the analytics API.
@Suite struct HostFollowUpTests {
    typealias R = HostRoutesTests

    static func text(_ reply: [String: Any]) -> [String] {
        (reply["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
    }

    @Test func rescheduleAndFallbackBookingReachTheAnalyticsAPI() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await R.connectAndConfigure(client)
            let header = HTTPField.Name(WebhookSignature.headerName)!
            func deliver(_ body: [UInt8]) async throws -> Int {
                try await client.call(.post, "/v1/webhooks/calendly", headers: [header: harness.signature.header(for: body, at: harness.clock.now)], body: body).0
            }

            // A booking in chat, confirmed, then moved in Calendly: created half first, then canceled half, then a repeat.
            let offer = #"{"agentId":"agent-1","channel":"webchat","timeZone":"Europe/London","contact":{"contact.email":"cy@example.com"}}"#
            let (_, offered, _) = try await client.call(.post, "/v1/conversations/conv-r/booking/offer", token: R.runtime, json: offer)
            let button = ((offered["messages"] as? [[String: Any]])?.last?["buttons"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            _ = try await client.call(.post, "/v1/conversations/conv-r/booking/reply", token: R.runtime, json: #"{"rowId":"\#(button)"}"#)
            for webhook in harness.calendly.drainWebhooks() { #expect(try await deliver(webhook.body) == 200) }
            let booked = harness.calendly.model.bookings[0]
            harness.clock.advance(.hours(1))
            harness.calendly.mutate { _ = $0.reschedule(booked.invitee.uri, to: booked.invitee.start + .days(1), now: harness.clock.now) }
            let halves = harness.calendly.drainWebhooks()
            try #require(halves.map(\.kind) == [.canceled, .created])
            #expect(try await deliver(halves[1].body) == 200)
            #expect(try await deliver(halves[0].body) == 200)
            #expect(try await deliver(halves[0].body) == 200)
            let reference = try #require(harness.store.snapshot.durable.references.values.first)
            #expect(reference.status == .confirmed && reference.currentStart == booked.invitee.start + .days(1))

            // A conversation that ends at the static link; the customer books through it.
            let runtime = HostHarness.token(.runtime, at: harness.clock.now)
            let (otherStatus, _, otherText) = try await client.call(.post, "/v1/conversations/conv-f/booking/offer", token: runtime, json: offer)
            #expect(otherStatus == 200, "\(otherText)")
            var last: [String] = []
            for _ in 0..<3 { last = Self.text(try await client.call(.post, "/v1/conversations/conv-f/booking/reply", token: runtime, json: #"{"text":"hmm"}"#).1) }
            let link = try #require(last.last?.split(separator: " ").last.map(String.init))
            #expect(link.hasPrefix("https://calendly.com/host/intro?utm_source=calendly-action&utm_content="))
            let content = String(try #require(link.split(separator: "=").last))
            #expect(content.count == 24 && !link.contains("conv-f") && !link.contains("acme"), "opaque: no ids in the link")
            harness.calendly.mutate {
                _ = $0.createInvitee(InviteeRequest(eventType: HostHarness.intro.uri, start: booked.invitee.start + .days(2), email: "cy@example.com",
                                                    name: nil, timeZone: "UTC"),
                                     key: nil, now: harness.clock.now, viaAPI: false, tracking: BookingTracking(utmSource: "calendly-action", utmContent: content))
            }
            for webhook in harness.calendly.drainWebhooks() { #expect(try await deliver(webhook.body) == 200) }
            let viaLink = harness.store.snapshot.durable.references.values.filter { $0.origin == .fallbackLink }
            #expect(viaLink.map(\.conversation) == ["acme:conv-f"])

            let (status, analytics, _) = try await client.call(.get, R.base + "/analytics?from=2026-11-01&to=2026-11-30", token: HostHarness.token(.supervisor, at: harness.clock.now))
            #expect(status == 200)
            let totals = analytics["totals"] as? [String: Int]
            #expect(totals?["created"] == 1 && totals?["rescheduled"] == 1 && totals?["canceled"] == 0 && totals?["fallbackBooked"] == 1)
        }
    }
}
