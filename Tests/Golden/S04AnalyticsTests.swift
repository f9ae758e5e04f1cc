@testable import Core
import Effects
import Foundation
import Testing

/// CALENDLY-PH2-S04 — Admin/Supervisor sees booking outcomes in Bot AI analytics.
@Suite struct S04AnalyticsTests {
    typealias F = Fixtures

    static let email = "Jane.Doe@example.com"

    /// Runs one conversation to a confirmed booking of the first offered slot; returns the invitee.
    @discardableResult
    static func book(_ w: inout BookingWorld, _ id: ConversationID, tag: String) -> Invitee {
        w.trigger(id, F.setup(), channel: .whatsapp)
        w.calendly(id, .availableTimes(F.slots(6)))
        w.tap(id, "o1s1")
        let invitee = F.invitee(tag, start: F.slots(1)[0].start, email: email)
        w.calendly(id, .inviteeCreated(invitee))
        return invitee
    }

    static func report(_ t: inout Transcript, _ analytics: Analytics, agent: AgentID = F.agent, from: String, to: String) -> Result<Analytics.Report, Analytics.ReportError> {
        let result = analytics.report(agent: agent, from: CivilDate(iso: from)!, to: CivilDate(iso: to)!)
        switch result {
        case .success(let report):
            t.call("report agent=\(agent) from=\(from) to=\(to)", outputs: [GoldenJSON.encode(report)],
                   "totals: \(Digest.counts(report.totals)) empty=\(report.emptyMessage ?? "-")")
        case .failure(let error):
            t.call("report agent=\(agent) from=\(from) to=\(to)", outputs: ["\(error)"], "refused")
        }
        return result
    }

    @Test func S04_AC1_countsForDateRange() throws {
        var t = Transcript("Admin/Supervisor see counts of booking_created, booking_failed and booking_canceled for a selectable date range (UTC days); agents cannot")
        for role in Role.allCases {
            let allowed = Access.allows(F.principal(role), .viewAnalytics)
            t.call("Access.allows(\(role.rawValue), viewAnalytics)", outputs: ["\(allowed)"], allowed ? "analytics rendered" : "analytics not rendered")
        }
        #expect(Access.allows(F.principal(.admin), .viewAnalytics))
        #expect(Access.allows(F.principal(.supervisor), .viewAnalytics))
        #expect(!Access.allows(F.principal(.agent), .viewAnalytics))
        #expect(!Access.allows(F.principal(.supervisor, addons: []), .viewAnalytics))

        let day1 = VirtualClock.base, day2 = VirtualClock.base + .days(1), day3 = VirtualClock.base + .days(2)
        let other: AgentID = "agent-2"
        let events: [TelemetryEvent] = [
            .bookingOffered(agent: F.agent, conversation: "c1", eventType: F.intro.uri, channel: .whatsapp, at: day1),
            .bookingCreated(agent: F.agent, conversation: "c1", eventType: F.intro.uri, scheduledTime: day2, at: day1 + .minutes(1)),
            .bookingOffered(agent: F.agent, conversation: "c2", eventType: F.intro.uri, channel: .text, at: day1 + .hours(1)),
            .slotConflict(agent: F.agent, conversation: "c2", eventType: F.intro.uri, at: day1 + .hours(1) + .minutes(1)),
            .bookingCreated(agent: F.agent, conversation: "c2", eventType: F.intro.uri, scheduledTime: day3, at: day1 + .hours(1) + .minutes(2)),
            .bookingFailed(agent: F.agent, conversation: "c3", reason: "server_error_503", at: day1 + .hours(3)),
            .bookingCreated(agent: other, conversation: "c9", eventType: F.demo.uri, scheduledTime: day2, at: day1 + .hours(4)),
            .bookingOffered(agent: F.agent, conversation: "c4", eventType: F.intro.uri, channel: .webchat, at: day2),
            .bookingFailed(agent: F.agent, conversation: "c4", reason: "rejected", at: day2 + .minutes(2)),
            .bookingCanceled(agent: F.agent, conversation: "c1", eventType: F.intro.uri, at: day3 + .hours(5)),
            .webhookRejected(reason: "bad_signature", at: day3),
            .connected(agent: F.agent, accountEmail: F.adminEmail, organization: F.organization, at: day3),
        ]
        var analytics = Analytics()
        for event in events {
            t.apply("analytics", &analytics, Analytics.Input.observed(event), Analytics.reduce, digest: Digest.analytics)
        }
        let first = try Self.report(&t, analytics, from: "2026-11-25", to: "2026-11-26").get()
        #expect(first.totals.created == 2 && first.totals.failed == 2 && first.totals.canceled == 0)
        #expect(first.totals.offered == 3 && first.totals.conflicts == 1)
        #expect(first.daily.map(\.date.description) == ["2026-11-25", "2026-11-26"])
        #expect(first.emptyMessage == nil)
        let all = try Self.report(&t, analytics, from: "2026-11-25", to: "2026-11-27").get()
        #expect(all.totals.canceled == 1 && all.totals.created == 2)
        let single = try Self.report(&t, analytics, from: "2026-11-26", to: "2026-11-26").get()
        #expect(single.totals.created == 0 && single.totals.failed == 1)
        let otherAgent = try Self.report(&t, analytics, agent: other, from: "2026-11-25", to: "2026-11-27").get()
        #expect(otherAgent.totals.created == 1)
        let empty = try Self.report(&t, analytics, from: "2026-11-28", to: "2026-12-31").get()
        #expect(empty.emptyMessage == "No bookings yet for this range.")
        #expect(Self.report(&t, analytics, from: "2026-11-27", to: "2026-11-25") == .failure(.invertedRange))
        #expect(Self.report(&t, analytics, from: "2026-01-01", to: "2027-12-31") == .failure(.rangeTooLong(maxDays: 400)))
        t.verify()
    }

    @Test func S04_AC2_canceledWebhookMarksReferenceAndCounts() {
        var w = BookingWorld(Transcript("an invitee.canceled webhook for a known booking marks its reference canceled and the canceled count updates; no chat re-engagement"))
        w.recordAnalytics = true
        let invitee = Self.book(&w, "conv-c1", tag: "c1")
        w.clock.advance(.seconds(3))
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: invitee, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        #expect(w.references["conv-c1#1"]?.status == .confirmed)
        let messagesBefore = w.messages.count

        w.transcript.section("the invitee cancels in Calendly eight hours later")
        w.clock.advance(.hours(8))
        let body = F.webhookBody("invitee.canceled", invitee: invitee, eventType: F.intro.uri, createdAt: w.now - .seconds(2))
        w.deliver(F.delivery(body, signedAt: w.now))
        #expect(w.references["conv-c1#1"]?.status == .canceled)
        #expect(w.references["conv-c1#1"]?.canceledAt == w.now - .seconds(2))
        #expect(w.telemetry(named: "calendly_booking_canceled") == [.bookingCanceled(agent: F.agent, conversation: "conv-c1", eventType: F.intro.uri, at: w.now)])
        #expect(w.messages.count == messagesBefore, "no chat re-engagement this phase")

        w.transcript.section("Calendly retries the same delivery: counted once")
        w.clock.advance(.minutes(1))
        w.deliver(F.delivery(body, signedAt: w.now))
        #expect(w.telemetry(named: "calendly_booking_canceled").count == 1)
        let report = w.analytics.report(agent: F.agent, from: CivilDate(iso: "2026-11-25")!, to: CivilDate(iso: "2026-11-25")!)
        w.transcript.call("report agent=agent-1 from=2026-11-25 to=2026-11-25", outputs: [(try? GoldenJSON.encode(report.get())) ?? "\(report)"],
                             (try? Digest.counts(report.get().totals)) ?? "refused")
        #expect((try? report.get().totals.canceled) == 1)
        #expect((try? report.get().totals.created) == 1)
        w.transcript.verify()
    }

    @Test func S04_AC3_retentionPurgesReferencesNotCounts() throws {
        var w = BookingWorld(Transcript("the retention job purges booking references 24 calendar months after they were recorded (and failure logs after 90 days, dedupe ids after 7 days); aggregate counts are unaffected"))
        w.recordAnalytics = true
        let invitee = Self.book(&w, "conv-r1", tag: "r1")
        w.deliver(F.delivery(F.webhookBody("invitee.created", invitee: invitee, eventType: F.intro.uri, createdAt: w.now), signedAt: w.now))
        let reference = try #require(w.references["conv-r1#1"])
        #expect(reference.expiresAt == Instant(iso8601: "2028-11-25T02:00:00Z")!)

        w.transcript.section("one millisecond before 24 months: kept")
        w.clock.set(reference.expiresAt - .milliseconds(1))
        w.retentionSweep()
        #expect(w.references["conv-r1#1"] != nil)

        w.transcript.section("at 24 months: purged; the counts stay")
        w.clock.set(reference.expiresAt)
        w.retentionSweep()
        #expect(w.references.isEmpty)
        #expect(w.storeCommands.contains(.deleteReference("conv-r1#1")))
        #expect(w.storeCommands.contains(.deleteFailures(before: w.now - .days(90))))
        let report = try w.analytics.report(agent: F.agent, from: CivilDate(iso: "2026-11-25")!, to: CivilDate(iso: "2026-11-25")!).get()
        w.transcript.call("report agent=agent-1 from=2026-11-25 to=2026-11-25", outputs: [GoldenJSON.encode(report)], Digest.counts(report.totals))
        #expect(report.totals.created == 1 && report.totals.offered == 1)
        #expect(w.intake.processed.isEmpty, "delivery ids older than 7 days are forgotten")

        w.transcript.section("a reference recorded on 29 Feb expires on 28 Feb two years later")
        var leap: BookingReference?
        let intent = BookingIntent(key: "conv-leap#1", agent: F.agent, conversation: "conv-leap", eventType: F.intro.uri,
                                   start: Instant(iso8601: "2028-03-01T03:00:00Z")!, email: Self.email, recordedAt: Instant(iso8601: "2028-02-29T10:00:00Z")!)
        w.transcript.apply("reference[conv-leap#1]", &leap, BookingReference.Input.intentRecorded(intent), BookingReference.reduce, digest: { Digest.reference("conv-leap#1", $0) })
        #expect(leap?.expiresAt == Instant(iso8601: "2030-02-28T10:00:00Z")!)
        let early = w.transcript.apply("reference[conv-leap#1]", &leap, BookingReference.Input.retentionSweep(now: Instant(iso8601: "2030-02-28T09:59:59Z")!),
                                       BookingReference.reduce, digest: { Digest.reference("conv-leap#1", $0) })
        #expect(early.isEmpty && leap != nil)
        let purge = w.transcript.apply("reference[conv-leap#1]", &leap, BookingReference.Input.retentionSweep(now: Instant(iso8601: "2030-02-28T10:00:00Z")!),
                                       BookingReference.reduce, digest: { Digest.reference("conv-leap#1", $0) })
        #expect(purge == [.store(.deleteReference("conv-leap#1"))] && leap == nil)

        w.transcript.section("failure records: expired after 90 days")
        let record = FailureRecord(agent: F.agent, conversation: "conv-x", reason: "timeout", at: VirtualClock.base)
        for age in [Span.days(90), Span.days(90) + .milliseconds(1)] {
            let expired = Retention.isExpired(record, now: VirtualClock.base + age)
            w.transcript.call("Retention.isExpired(failure at \(record.at), now=\(VirtualClock.base + age))", outputs: ["\(expired)"], expired ? "purged by the sweep" : "kept")
        }
        #expect(!Retention.isExpired(record, now: VirtualClock.base + .days(90)))
        #expect(Retention.isExpired(record, now: VirtualClock.base + .days(90) + .milliseconds(1)))
        w.transcript.verify()
    }

    @Test func S04_ERR1_badSignatureOrUnknownEventRejected() {
        var w = BookingWorld(Transcript("a webhook with a bad, missing or stale signature, malformed JSON, or about an unknown booking is rejected/ignored safely: nothing created or mutated, calendly_webhook_rejected logged"))
        let invitee = Self.book(&w, "conv-w1", tag: "w1")
        let known = w.references
        let signedBody = F.webhookBody("invitee.canceled", invitee: invitee, eventType: F.intro.uri, createdAt: w.now)
        w.clock.advance(.minutes(10))
        let now = w.now
        let stranger = F.invitee("zz", start: F.slots(1)[0].start + .days(3), email: "someone@else.example")
        // Unauthenticated deliveries (bad, missing or stale signature; too large to check) leave no trace in the
        // core's output at all — no telemetry row a stranger could multiply (issue 10) — so their reason is nil here.
        let cases: [(String, WebhookIntake.Delivery, String?)] = [
            ("signed with the wrong key", F.delivery(signedBody, signedAt: now, with: F.wrongSignature), nil),
            ("no signature header", WebhookIntake.Delivery(signatureHeader: nil, body: signedBody), nil),
            ("unparseable signature header", WebhookIntake.Delivery(signatureHeader: "t=abc,v1=zz", body: signedBody), nil),
            ("signed 10 minutes ago (replay)", F.delivery(signedBody, signedAt: now - .minutes(10)), nil),
            ("signed 10 minutes in the future", F.delivery(signedBody, signedAt: now + .minutes(10)), nil),
            ("body altered after signing", WebhookIntake.Delivery(signatureHeader: F.signature.header(for: signedBody, at: now),
                                                                  body: Array(String(decoding: signedBody, as: UTF8.self).replacingOccurrences(of: "INV-w1", with: "INV-w2").utf8)), nil),
            ("validly signed, malformed JSON", F.delivery(Array("{\"event\":\"invitee.canceled\",".utf8), signedAt: now), "malformed_json"),
            ("validly signed, payload without invitee uri", F.delivery(Array("{\"event\":\"invitee.created\",\"payload\":{\"email\":\"a@b.co\"}}".utf8), signedAt: now), "missing_field:payload.uri"),
            ("validly signed, too large", F.delivery(Array(repeating: 32, count: WebhookIntake.maxBodyBytes + 1), signedAt: now), nil),
            ("validly signed, about a booking we do not know", F.delivery(F.webhookBody("invitee.canceled", invitee: stranger, eventType: F.intro.uri, createdAt: now), signedAt: now), "unknown_event"),
            ("validly signed, an event kind we do not handle", F.delivery(Array("{\"event\":\"routing_form_submission.created\",\"payload\":{}}".utf8), signedAt: now), nil),
        ]
        for (label, delivery, reason) in cases {
            w.transcript.section(label)
            let rejectedBefore = w.telemetry(named: "calendly_webhook_rejected").count
            w.deliver(delivery)
            let rejected = w.telemetry(named: "calendly_webhook_rejected")
            if let reason {
                #expect(rejected.count == rejectedBefore + 1, "\(label)")
                #expect(rejected.last == .webhookRejected(reason: reason, at: now), "\(label)")
            } else {
                #expect(rejected.count == rejectedBefore, "\(label): ignored or unauthenticated, nothing recorded")
            }
            #expect(w.references == known, "\(label): no booking record created or mutated")
        }
        #expect(w.intake.processed.count == 1, "only the verified, parsed delivery is remembered")
        #expect(w.telemetry(named: "calendly_booking_canceled").isEmpty)
        w.transcript.verify()
    }
}
