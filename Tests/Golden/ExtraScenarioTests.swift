@testable import Core
import Effects
import Foundation
import Testing

/// Scenarios beyond the ACs that the PRD's flows imply: webhook ordering, duplicates, alert thresholds.
@Suite struct ExtraScenarioTests {
    typealias F = Fixtures

    @Test func webhookBeforeBookingReplyConfirmsOnce() {
        var w = BookingWorld(Transcript("invitee.created arrives before Calendly's reply to the booking: it is matched to the pending intent (event type + start + email), confirms the conversation once; the late reply is ignored"))
        let slot = F.slots(6)[1]
        w.trigger("conv-e1", F.setup(), channel: .whatsapp)
        w.calendly("conv-e1", .availableTimes(F.slots(6)))
        w.tap("conv-e1", "o1s2")
        let request = w.pendingRequest("conv-e1")!
        // The webhook's email differs in case from the intent's: the match is case-insensitive.
        let invitee = F.invitee("e1", start: slot.start, email: "jane.doe@example.com")
        w.clock.advance(.seconds(1))
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: invitee, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        #expect(w.references["conv-e1#1"]?.status == .confirmed)
        #expect(w.conversation("conv-e1").phase == .confirmed(invitee))
        #expect(w.telemetry(named: "calendly_booking_created").count == 1)

        w.transcript.section("the booking reply lands late")
        w.clock.advance(.seconds(2))
        let late = w.send("conv-e1", .calendlyReplied(request, .inviteeCreated(invitee), at: w.now))
        #expect(F.messages(late).isEmpty && F.events(late).isEmpty)
        let cards = w.messages(to: "conv-e1").filter { if case .confirmationCard = $0 { true } else { false } }
        #expect(cards.count == 1)
        #expect(w.references["conv-e1#1"]?.status == .confirmed)
        w.transcript.verify()
    }

    @Test func duplicateWebhookDeduped() {
        var w = BookingWorld(Transcript("Calendly redelivers webhooks: a repeated delivery is dropped; after the 7-day dedupe window a redelivery is accepted but changes nothing"))
        w.recordAnalytics = true
        let slot = F.slots(1)[0]
        w.trigger("conv-d1", F.setup(), channel: .webchat)
        w.calendly("conv-d1", .availableTimes(F.slots(3)))
        w.tap("conv-d1", "o1s1")
        let invitee = F.invitee("d1", start: slot.start, email: "Jane.Doe@example.com")
        w.calendly("conv-d1", .inviteeCreated(invitee))
        let created = F.webhookBody("invitee.created", invitee: invitee, eventType: F.intro.uri, createdAt: w.now)
        w.deliver(F.delivery(created, signedAt: w.now))
        let confirmed = w.references
        w.clock.advance(.seconds(30))
        let repeated = w.deliver(F.delivery(created, signedAt: w.now))
        #expect(repeated == [.log(LogEntry(.debug, "duplicate webhook delivery ignored"))])
        #expect(w.references == confirmed)

        w.transcript.section("canceled twice")
        w.clock.advance(.hours(1))
        let canceled = F.webhookBody("invitee.canceled", invitee: invitee, eventType: F.intro.uri, createdAt: w.now)
        w.deliver(F.delivery(canceled, signedAt: w.now))
        w.deliver(F.delivery(canceled, signedAt: w.now))
        #expect(w.telemetry(named: "calendly_booking_canceled").count == 1)

        w.transcript.section("eight days later the ids are forgotten; a late redelivery is accepted and still counts nothing twice")
        w.clock.advance(.days(8))
        w.retentionSweep()
        w.deliver(F.delivery(canceled, signedAt: w.now))
        #expect(w.telemetry(named: "calendly_booking_canceled").count == 1)
        #expect(w.references["conv-d1#1"]?.status == .canceled)
        w.transcript.verify()
    }

    @Test func alertRulesThresholds() {
        var t = Transcript("PRD §13 alerts as a pure function: booking_failed >10% of offered in 1h (with a noise floor), connect_failed >5 in 15 min per agent, eventtypes_fetch_failed without cache >20 in 1h")
        let now = VirtualClock.base + .hours(2)
        func offered(_ n: Int, at: Instant = now - .minutes(10)) -> [TelemetryEvent] {
            (0..<n).map { .bookingOffered(agent: F.agent, conversation: ConversationID("c\($0)"), eventType: F.intro.uri, channel: .whatsapp, at: at) }
        }
        func failed(_ n: Int, at: Instant = now - .minutes(5)) -> [TelemetryEvent] {
            (0..<n).map { .bookingFailed(agent: F.agent, conversation: ConversationID("f\($0)"), reason: "server_error_503", at: at) }
        }
        func connectFailed(_ n: Int, agent: AgentID = F.agent, at: Instant = now - .minutes(1)) -> [TelemetryEvent] {
            (0..<n).map { _ in .connectFailed(agent: agent, reason: "access_denied", at: at) }
        }
        func fetchFailed(_ n: Int, cacheUsed: Bool) -> [TelemetryEvent] {
            (0..<n).map { _ in .eventTypesFetchFailed(agent: F.agent, reason: "timeout", cacheUsed: cacheUsed, at: now - .minutes(30)) }
        }
        let cases: [(String, [TelemetryEvent], [AlertRules.Rule])] = [
            ("20 offered, 2 failed (10%): no page", offered(20) + failed(2), []),
            ("20 offered, 3 failed (15%): page", offered(20) + failed(3), [.bookingFailureRate]),
            ("5 offered, 3 failed: below the noise floor", offered(5) + failed(3), []),
            ("availability outage: 0 offered, 12 failed: page", failed(12), [.bookingFailureRate]),
            ("failures older than 1h do not count", offered(20) + failed(5, at: now - .minutes(61)), []),
            ("5 connect failures in 15 min: no alert", connectFailed(5), []),
            ("6 connect failures in 15 min for one agent: alert", connectFailed(6), [.connectFailures]),
            ("6 connect failures, one 16 min ago: no alert", connectFailed(5) + connectFailed(1, at: now - .minutes(16)), []),
            ("20 event-type fetch failures without cache: no alert", fetchFailed(20, cacheUsed: false), []),
            ("21 without cache: alert", fetchFailed(21, cacheUsed: false), [.eventTypeFetchFailures]),
            ("30 served from cache: no alert", fetchFailed(30, cacheUsed: true), []),
            ("events after now are ignored", failed(12, at: now + .minutes(1)), []),
        ]
        for (label, events, expected) in cases {
            let alerts = AlertRules.evaluate(events, now: now)
            t.call("AlertRules.evaluate(\(label); \(events.count) events) now=\(now)", outputs: alerts.map(GoldenJSON.encode), "alerts=\(alerts.map(\.rule.rawValue))")
            #expect(alerts.map(\.rule) == expected, "\(label)")
        }
        t.verify()
    }
}
