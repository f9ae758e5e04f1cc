@testable import Core
import Effects
import Foundation
import Testing

/// Issue 6 item 6: webhook bodies shaped like Calendly's real ones (Zoom locations as `zoom` and as
/// `zoom_conference`, extra fields, nulls, nested objects the core never reads) are accepted; only the
/// fields the core needs are required, and their absence is a `calendly_webhook_rejected` with a reason.
@Suite struct TolerantParsingTests {
    typealias F = Fixtures

    static let invitee = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA"
    static let event = "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2"

    /// A full `invitee.created` body as Calendly sends it (fields from the Invitee and Event resources),
    /// with `location` and `extra` swapped in and any field replaced through `patch` (key → raw JSON, or nil to drop).
    static func body(event kind: String = "invitee.created", location: String, patch: [String: String?] = [:]) -> [UInt8] {
        var payload: [(String, String)] = [
            ("cancel_url", #""https://calendly.com/cancellations/AAAAAAAAAAAAAAAA""#),
            ("created_at", #""2026-11-25T02:00:00.123456Z""#),
            ("email", #""jane.doe@example.com""#),
            ("event", #""\#(event)""#),
            ("first_name", "null"), ("last_name", "null"), ("name", #""Jane Doe""#),
            ("new_invitee", "null"), ("old_invitee", "null"),
            ("questions_and_answers", #"[{"answer":"Acme Clinic","position":0,"question":"Company"}]"#),
            ("reschedule_url", #""https://calendly.com/reschedulings/AAAAAAAAAAAAAAAA""#),
            ("rescheduled", "false"), ("routing_form_submission", "null"), ("status", #""active""#),
            ("text_reminder_number", "null"), ("timezone", #""Asia/Jakarta""#),
            ("tracking", #"{"utm_campaign":null,"utm_source":null,"utm_medium":null,"utm_content":null,"utm_term":null,"salesforce_uuid":null}"#),
            ("updated_at", #""2026-11-25T02:00:00.123456Z""#),
            ("uri", #""\#(invitee)""#),
            ("scheduled_event", """
            {"uri":"\(event)","name":"Intro call","meeting_notes_plain":null,"meeting_notes_html":null,"status":"active",\
            "start_time":"2026-11-26T02:00:00.000000Z","end_time":"2026-11-26T02:30:00.000000Z","event_type":"\(Fixtures.intro.uri)",\
            "location":\(location),"invitees_counter":{"total":1,"active":1,"limit":1},"created_at":"2026-11-25T02:00:00.123456Z",\
            "updated_at":"2026-11-25T02:00:00.123456Z","event_memberships":[{"user":"https://api.calendly.com/users/U-ACME",\
            "user_email":"ops@acme.example","user_name":"Ops"}],"event_guests":[],"calendar_event":{"kind":"google","external_id":"x"}}
            """),
            ("no_show", "null"), ("payment", "null"), ("reconfirmation", "null"), ("scheduling_method", "null"), ("invitee_scheduled_by", "null"),
        ]
        for (key, value) in patch {
            if let index = payload.firstIndex(where: { $0.0 == key }) {
                if let value { payload[index].1 = value } else { payload.remove(at: index) }
            } else if let value {
                payload.append((key, value))
            }
        }
        let fields = payload.map { #""\#($0.0)":\#($0.1)"# }.joined(separator: ",")
        let text = #"{"created_at":"2026-11-25T02:00:01.000000Z","created_by":"https://api.calendly.com/users/U-ACME","event":"\#(kind)","payload":{\#(fields)},"retry_count":0}"#
        return Array(text.utf8)
    }

    static let zoomPushed = #"{"type":"zoom","status":"pushed","join_url":"https://calendly.zoom.us/j/123456789","data":{"id":123456789,"settings":{"global_dial_in_numbers":[{"number":"+1 1234567890","country":"US","type":"toll","city":null}]},"extra":{"intl_numbers_url":"https://zoom.us/u/abc"},"password":"123456"}}"#
    static let zoomConference = #"{"type":"zoom_conference","status":"processing","join_url":null,"data":null}"#
    static let unknownKind = #"{"type":"holoportation","status":"beaming","coordinates":[1.5,2.5],"join_url":{"primary":"x"}}"#

    static func accepted(_ body: [UInt8]) -> InviteeNotice? {
        if case .success(.invitee(let notice)) = WebhookPayload.parse(body) { return notice }
        return nil
    }

    static func reason(_ body: [UInt8]) -> String? {
        if case .failure(let problem) = WebhookPayload.parse(body) { return problem.reason }
        return nil
    }

    @Test func TOLERANT1_realShapedPayloadsWithZoomAndUnknownLocations() throws {
        var w = BookingWorld(Transcript("real-shaped invitee.created bodies — Zoom as `zoom` and as `zoom_conference`, an unknown location kind, extra and null fields, unusable optional fields — are accepted; only what the core needs is read"))
        w.clock.set(Instant(iso8601: "2026-11-25T02:00:05Z")!)
        let locations = [("zoom (pushed, with dial-in data)", Self.zoomPushed), ("zoom_conference (processing)", Self.zoomConference),
                         ("a location kind nobody knows yet", Self.unknownKind), ("location null", "null"), ("location a string", #""Room 4""#)]
        for (index, (label, location)) in locations.enumerated() {
            w.transcript.section(label)
            let body = Self.body(location: location, patch: ["uri": #""\#(Self.invitee)-\#(index)""#])
            let effects = w.deliver(F.delivery(body, signedAt: w.now))
            let notice = try #require(Self.accepted(body), "rejected: \(label)")
            #expect(notice.eventType == F.intro.uri && notice.start == Instant(iso8601: "2026-11-26T02:00:00Z")!)
            #expect(notice.event == CalendlyURI(Self.event) && notice.email == "jane.doe@example.com" && notice.tracking == nil)
            #expect(effects.contains { if case .notify(.inviteeNotice) = $0 { true } else { false } })
        }

        w.transcript.section("optional fields of an unexpected type are ignored, not fatal")
        let odd = Self.body(location: Self.zoomPushed, patch: ["rescheduled": #""yes""#, "tracking": #""utm=abc""#, "cancel_url": "17",
                                                               "new_invitee": "{}", "old_invitee": "[]", "uri": #""\#(Self.invitee)-odd""#])
        w.deliver(F.delivery(odd, signedAt: w.now))
        let notice = try #require(Self.accepted(odd))
        #expect(!notice.rescheduled && notice.tracking == nil && notice.cancelURL.isEmpty && notice.newInvitee == nil && notice.oldInvitee == nil)

        w.transcript.section("scheduled_event.uri stands in for a missing payload.event")
        let noEvent = Self.body(location: Self.zoomConference, patch: ["event": nil, "uri": #""\#(Self.invitee)-ne""#])
        w.deliver(F.delivery(noEvent, signedAt: w.now))
        #expect(Self.accepted(noEvent)?.event == CalendlyURI(Self.event))

        w.transcript.section("tracking and reschedule fields are read when present")
        let tracked = Self.body(event: "invitee.canceled", location: Self.zoomPushed, patch: [
            "rescheduled": "true", "new_invitee": #""\#(Self.invitee)-new""#,
            "tracking": #"{"utm_campaign":"x","utm_source":"calendly-action","utm_medium":null,"utm_content":"3f9a1c0e5b7d2a4c6e8f0a1b","utm_term":null,"salesforce_uuid":null}"#,
            "cancellation": #"{"canceled_by":"Jane Doe","reason":null,"canceler_type":"invitee","created_at":"2026-11-25T02:00:00Z"}"#,
        ])
        w.deliver(F.delivery(tracked, signedAt: w.now))
        let canceled = try #require(Self.accepted(tracked))
        #expect(canceled.rescheduled && canceled.newInvitee == CalendlyURI("\(Self.invitee)-new"))
        #expect(canceled.tracking == BookingTracking(utmSource: "calendly-action", utmContent: "3f9a1c0e5b7d2a4c6e8f0a1b"))
        w.transcript.verify()
    }

    @Test func TOLERANT2_missingRequiredFieldsRejectedWithReason() {
        var w = BookingWorld(Transcript("a verified body missing a field the core needs is rejected with calendly_webhook_rejected and a reason naming the field (missing_field / invalid_field); unsupported events are ignored"))
        w.clock.set(Instant(iso8601: "2026-11-25T02:00:05Z")!)
        let cases: [(String, [UInt8], String)] = [
            ("no email", Self.body(location: Self.zoomPushed, patch: ["email": nil]), "missing_field:payload.email"),
            ("uri null", Self.body(location: Self.zoomPushed, patch: ["uri": "null"]), "missing_field:payload.uri"),
            ("uri a number", Self.body(location: Self.zoomPushed, patch: ["uri": "42"]), "invalid_field:payload.uri"),
            ("no scheduled_event", Self.body(location: Self.zoomPushed, patch: ["scheduled_event": nil]), "missing_field:payload.scheduled_event"),
            ("scheduled_event a string", Self.body(location: Self.zoomPushed, patch: ["scheduled_event": #""soon""#]), "invalid_field:payload.scheduled_event"),
            ("start_time not a time", Self.body(location: Self.zoomPushed, patch: ["scheduled_event": #"{"event_type":"\#(F.intro.uri)","start_time":"tomorrow"}"#]),
             "invalid_field:scheduled_event.start_time"),
            ("no event_type", Self.body(location: Self.zoomPushed, patch: ["scheduled_event": #"{"start_time":"2026-11-26T02:00:00Z"}"#]),
             "missing_field:scheduled_event.event_type"),
            ("neither event nor scheduled_event.uri", Self.body(location: Self.zoomPushed, patch: [
                "event": nil, "scheduled_event": #"{"event_type":"\#(F.intro.uri)","start_time":"2026-11-26T02:00:00Z"}"#]), "missing_field:payload.event"),
            ("no event name", Array(#"{"payload":{}}"#.utf8), "missing_field:event"),
            ("not JSON", Array("event=invitee.created".utf8), "malformed_json"),
            ("a JSON array", Array("[]".utf8), "malformed_json"),
        ]
        for (label, body, reason) in cases {
            w.transcript.section(label)
            let effects = w.deliver(F.delivery(body, signedAt: w.now))
            #expect(Self.reason(body) == reason, "\(label)")
            #expect(effects == [.emit(.webhookRejected(reason: reason, at: w.now))], "\(label)")
            #expect(TelemetryEvent.webhookRejected(reason: reason, at: w.now).name == "calendly_webhook_rejected")
        }

        w.transcript.section("an event this service does not handle is acknowledged and ignored")
        let noShow = Self.body(event: "invitee_no_show.created", location: Self.zoomPushed)
        #expect(WebhookPayload.parse(noShow) == .success(.unsupported(event: "invitee_no_show.created")))
        #expect(w.deliver(F.delivery(noShow, signedAt: w.now)) == [.log(LogEntry(.info, "webhook ignored: unsupported_event:invitee_no_show.created"))])
        w.transcript.verify()
    }
}
