import Core
import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters

/// Issue 12 §2: each way `emulate` differed from Calendly, checked over HTTP as a client sees it.
/// (The third-party client walk, scripts/third-party-client.sh, checks the same through PyCalendly.)
@Suite struct EmulatorFidelityTests {
    static func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    /// `POST /invitees` with `invitee` fields and extra top-level JSON; a slot `days` ahead at `hour`:00 UTC.
    static func book(_ base: String, _ token: String, _ eventType: String, days: Int64 = 1, hour: Int = 10,
                     invitee: String = #""email":"pat@example.com","name":"Pat","timezone":"Europe/Berlin""#, extra: String = "") async throws -> EmuHTTP.Reply {
        let start = Instant(utcDate: (LiveCalendly.wallClock() + .days(days)).utcDate, hour: hour)
        return try await EmuHTTP.send("POST", base + "/invitees", bearer: token,
                                      json: #"{"event_type":"\#(base)/event_types/\#(eventType)","start_time":"\#(start.iso8601)","invitee":{\#(invitee)}\#(extra)}"#)
    }

    static let introAnswer = #","questions_and_answers":[{"question":"Company","answer":"Acme","position":0}]"#

    static func uuid(_ uri: Any?) -> String { (uri as? String)?.split(separator: "/").last.map(String.init) ?? "" }

    @Test func aHostCancellationIsTheHostsWithItsReasonEverywhere() async throws {
        try await withEmulator { base, model in
            let inbox = WebhookInbox()
            let receiver = try await inbox.start()
            let token = await model.issueTokens().access
            let subscribe = #"{"url":"\#(receiver.url)","events":["invitee.created","invitee.canceled"],"organization":"\#(base)/organizations/ORG","scope":"organization"}"#
            #expect(try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: subscribe).status == 201)
            let booked = try await Self.book(base, token, "ET-INTRO", extra: Self.introAnswer)
            try #require(booked.status == 201, "\(booked.text)")
            let invitee = Self.object(booked.json["resource"])
            let event = Self.uuid(invitee["event"])
            let before = Self.object(try await EmuHTTP.send("GET", base + "/scheduled_events/\(event)", bearer: token).json["resource"])
            #expect(before["cancellation"] == nil && before["updated_at"] as? String == before["created_at"] as? String)

            await model.advanceClock(.minutes(7))
            let canceled = try await EmuHTTP.send("POST", base + "/scheduled_events/\(event)/cancellation", bearer: token, json: #"{"reason":"Host is ill"}"#)
            #expect(canceled.status == 201)
            let reply = Self.object(canceled.json["resource"])
            #expect(reply["canceler_type"] as? String == "host" && reply["reason"] as? String == "Host is ill" && reply["canceled_by"] as? String == "Hannah Host")

            let shown = Self.object(try await EmuHTTP.send("GET", base + "/scheduled_events/\(event)/invitees/\(Self.uuid(invitee["uri"]))", bearer: token).json["resource"])
            let cancellation = Self.object(shown["cancellation"])
            #expect(shown["status"] as? String == "canceled")
            #expect(cancellation["canceler_type"] as? String == "host" && cancellation["reason"] as? String == "Host is ill")
            #expect(cancellation["created_at"] as? String == reply["created_at"] as? String && cancellation["created_at"] != nil)
            #expect(shown["updated_at"] as? String == reply["created_at"] as? String, "the invitee's updated_at is the cancellation")

            let after = Self.object(try await EmuHTTP.send("GET", base + "/scheduled_events/\(event)", bearer: token).json["resource"])
            #expect(after["status"] as? String == "canceled")
            #expect(Self.object(after["cancellation"])["canceler_type"] as? String == "host")
            let moved = try #require((after["updated_at"] as? String).flatMap(Instant.init(iso8601:)))
            let made = try #require((after["created_at"] as? String).flatMap(Instant.init(iso8601:)))
            #expect(moved - made >= .minutes(7), "updated_at moves with the cancellation")

            let deliveries = await inbox.waitFor(count: 2)
            try #require(deliveries.count == 2)
            let hook = try #require(try JSONSerialization.jsonObject(with: Data(deliveries[1].body)) as? [String: Any])
            let payload = Self.object(hook["payload"])
            #expect(hook["event"] as? String == "invitee.canceled")
            let hookCancellation = Self.object(payload["cancellation"])
            #expect(hookCancellation["canceler_type"] as? String == "host" && hookCancellation["reason"] as? String == "Host is ill")
            #expect(hookCancellation["created_at"] as? String == reply["created_at"] as? String)
            #expect(Self.object(Self.object(payload["scheduled_event"])["cancellation"])["canceler_type"] as? String == "host")

            let again = try await EmuHTTP.send("POST", base + "/scheduled_events/\(event)/cancellation", bearer: token, json: "{}")
            #expect(again.status == 403 && again.json["message"] as? String == "Event is already canceled")
            await receiver.stop()
        }
    }

    @Test func anInviteeCancellationStaysTheInvitees() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let booked = Self.object(try await Self.book(base, token, "ET-INTRO", extra: Self.introAnswer).json["resource"])
            #expect(await model.cancelBooking(CalendlyURI(booked["uri"] as? String ?? "")))
            let shown = Self.object(try await EmuHTTP.send("GET", base + "/scheduled_events/\(Self.uuid(booked["event"]))/invitees/\(Self.uuid(booked["uri"]))",
                                                           bearer: token).json["resource"])
            let cancellation = Self.object(shown["cancellation"])
            #expect(cancellation["canceler_type"] as? String == "invitee" && cancellation["canceled_by"] as? String == "Pat")
            #expect(cancellation["reason"] is NSNull)
        }
    }

    @Test func cancellingAnEventInThePastIsRefused() async throws {
        try await withEmulator { base, model in
            await model.setTokenLifetime(.days(30))  // outlives the clock jump below
            let token = await model.issueTokens().access
            let booked = Self.object(try await Self.book(base, token, "ET-INTRO", extra: Self.introAnswer).json["resource"])
            await model.advanceClock(.days(3))
            let refused = try await EmuHTTP.send("POST", base + "/scheduled_events/\(Self.uuid(booked["event"]))/cancellation", bearer: token,
                                                 json: #"{"reason":"too late"}"#)
            #expect(refused.status == 403 && refused.json["title"] as? String == "Permission Denied" && refused.json["message"] as? String == "Event in the past")
            #expect(await model.bookings.first?.canceled == false)
            let unknown = try await EmuHTTP.send("POST", base + "/scheduled_events/NOPE/cancellation", bearer: token, json: "{}")
            #expect(unknown.status == 404)
        }
    }

    @Test func aBookingKeepsNamesReminderNumberGuestsAndLocation() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let who = #""email":"wanda@example.com","first_name":"Wanda","last_name":"Walker","timezone":"Europe/Berlin","text_reminder_number":"+14155551234""#
            let answer = #","questions_and_answers":[{"question":"Mobile number","answer":"+4915112345678","position":0}]"#
            let booked = try await Self.book(base, token, "ET-CALLBACK", invitee: who,
                                             extra: answer + #","location":{"kind":"outbound_call","location":"+49 151 1234 5678"},"event_guests":["g1@example.com","g2@example.com"]"#)
            try #require(booked.status == 201, "\(booked.text)")
            let invitee = Self.object(booked.json["resource"])
            #expect(invitee["first_name"] as? String == "Wanda" && invitee["last_name"] as? String == "Walker" && invitee["name"] as? String == "Wanda Walker")
            #expect(invitee["text_reminder_number"] as? String == "+14155551234")
            let event = Self.object(try await EmuHTTP.send("GET", base + "/scheduled_events/\(Self.uuid(invitee["event"]))", bearer: token).json["resource"])
            let location = Self.object(event["location"])
            #expect(location["type"] as? String == "outbound_call" && location["location"] as? String == "+49 151 1234 5678")
            #expect((event["event_guests"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["g1@example.com", "g2@example.com"])
            #expect(Self.object(event["calendar_event"])["kind"] as? String == "google" && Self.object(event["calendar_event"])["external_id"] is String)

            // What Calendly refuses about them (Scheduling API: location must match the event type's; the
            // host's call needs the number; at most 10 guests; a reminder number is a phone number).
            func refused(_ extra: String, invitee: String = who, hour: Int = 12) async throws -> [String] {
                let reply = try await Self.book(base, token, "ET-CALLBACK", hour: hour, invitee: invitee, extra: answer + extra)
                #expect(reply.status == 400 && reply.json["title"] as? String == "Invalid Argument", "\(reply.text)")
                return reply.detailParameters
            }
            #expect(try await refused("") == ["location"])
            #expect(try await refused(#","location":{"kind":"zoom_conference"}"#) == ["location.kind"])
            #expect(try await refused(#","location":{"kind":"outbound_call"}"#) == ["location.location"])
            #expect(try await refused(#","location":{"kind":"outbound_call","location":"call me maybe"}"#) == ["location.location"])
            let eleven = (1...11).map { #""g\#($0)@example.com""# }.joined(separator: ",")
            #expect(try await refused(#","location":{"kind":"outbound_call","location":"+4915112345678"},"event_guests":[\#(eleven)]"#) == ["event_guests"])
            #expect(try await refused(#","location":{"kind":"outbound_call","location":"+4915112345678"},"event_guests":["not-an-email"]"#) == ["event_guests"])
            #expect(try await refused(#","location":{"kind":"outbound_call","location":"+4915112345678"}"#,
                                      invitee: #""email":"w@example.com","name":"W","timezone":"UTC","text_reminder_number":"12""#) == ["invitee.text_reminder_number"])
            // A conference location with no input, and the default when none is named.
            let demo = try await Self.book(base, token, "ET-DEMO", extra: #","questions_and_answers":[{"question":"Team size","answer":"1-10","position":0}]"#)
            let demoEvent = Self.object(try await EmuHTTP.send("GET", base + "/scheduled_events/\(Self.uuid(Self.object(demo.json["resource"])["event"]))",
                                                               bearer: token).json["resource"])
            let conference = Self.object(demoEvent["location"])
            #expect(conference["type"] as? String == "zoom_conference" && conference["status"] as? String == "pushed" && conference["join_url"] is String)
        }
    }

    @Test func aMissingRequiredAnswerIsCalendlysInvalidArgument() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            for (eventType, question) in [("ET-DISCOVERY", "What would you like to discuss?"), ("ET-DEMO", "Team size"), ("ET-CALLBACK", "Mobile number")] {
                let location = eventType == "ET-CALLBACK" ? #","location":{"kind":"outbound_call","location":"+4915112345678"}"# : ""
                for answers in [#""#, #","questions_and_answers":[]"#, #","questions_and_answers":[{"question":"\#(question)","answer":"  ","position":0}]"#] {
                    let reply = try await Self.book(base, token, eventType, extra: location + answers)
                    #expect(reply.status == 400, "\(eventType): \(reply.text)")
                    #expect(reply.json["title"] as? String == "Invalid Argument" && reply.json["message"] as? String == "The supplied parameters are invalid.")
                    #expect(reply.detailParameters == ["questions_and_answers"] && reply.detailMessages.first?.contains(question) == true, "\(reply.text)")
                }
            }
            #expect(await model.bookings.isEmpty)
        }
    }

    @Test func eventTypesCarryCalendlysQuestionsAndLocations() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let list = try await EmuHTTP.send("GET", base + "/event_types?user=\(EmuHTTP.escape(base + "/users/HOST"))&count=100", bearer: token)
            let types = list.json["collection"] as? [[String: Any]] ?? []
            let byName = Dictionary(types.map { ($0["name"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            let questions = types.flatMap { $0["custom_questions"] as? [[String: Any]] ?? [] }
            #expect(Set(questions.compactMap { $0["type"] as? String }) == ["string", "text", "phone_number", "single_select", "multi_select"])
            for question in questions {
                #expect(Set(question.keys) == ["name", "type", "position", "enabled", "required", "answer_choices", "include_other"])
                let selects = ["single_select", "multi_select"].contains(question["type"] as? String ?? "")
                #expect(((question["answer_choices"] as? [String])?.isEmpty == false) == selects, "\(question)")
            }
            let kinds = Set(types.flatMap { ($0["locations"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String } })
            #expect(kinds.isSuperset(of: ["zoom_conference", "google_conference", "physical", "outbound_call", "inbound_call", "ask_invitee"]))
            let discovery = (byName["Discovery call"]?["custom_questions"] as? [[String: Any]])?.first
            #expect(discovery?["type"] as? String == "text" && discovery?["required"] as? Bool == true)
            #expect(byName.keys.filter { $0.contains("Intro") } == ["Intro call"], "the README walk finds it with q=Intro")
            let topics = (byName["Product demo"]?["custom_questions"] as? [[String: Any]])?.first { $0["name"] as? String == "Topics" }
            #expect(topics?["answer_choices"] as? [String] == ["Pricing", "Integrations", "Security"] && topics?["include_other"] as? Bool == true)
            let visit = (byName["Office visit"]?["locations"] as? [[String: Any]])?.first
            #expect(visit?["kind"] as? String == "physical" && (visit?["location"] as? String)?.contains("Berlin") == true)
            let inbound = (byName["Tax advice"]?["locations"] as? [[String: Any]])?.last
            #expect(inbound?["kind"] as? String == "inbound_call" && inbound?["phone_number"] as? String == "+49 30 1234567")
            // The product reads the same questions through LiveCalendly's decoding.
            let ids = await model.eventTypes.map(\.uri.rawValue)
            #expect(ids.contains(base + "/event_types/ET-DEMO") && ids.contains(base + "/event_types/ET-ADVICE"))
        }
    }

    @Test func webhookBodiesAreTheFullInviteeResource() async throws {
        try await withEmulator { base, model in
            let inbox = WebhookInbox()
            let receiver = try await inbox.start()
            let token = await model.issueTokens().access
            let subscribe = #"{"url":"\#(receiver.url)","events":["invitee.created"],"organization":"\#(base)/organizations/ORG","scope":"organization"}"#
            #expect(try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: subscribe).status == 201)
            let who = #""email":"wanda@example.com","first_name":"Wanda","last_name":"Walker","timezone":"Europe/Berlin","text_reminder_number":"+14155551234""#
            let booked = try await Self.book(base, token, "ET-INTRO", invitee: who, extra: Self.introAnswer)
            try #require(booked.status == 201)
            let deliveries = await inbox.waitFor(count: 1)
            try #require(deliveries.count == 1)
            let hook = try #require(try JSONSerialization.jsonObject(with: Data(deliveries[0].body)) as? [String: Any])
            #expect(hook["event"] as? String == "invitee.created" && hook["created_by"] as? String == base + "/users/HOST" && hook["created_at"] is String)
            let payload = Self.object(hook["payload"])
            // The webhook's payload is the Invitee `POST /invitees` answered, plus `scheduled_event`.
            let resource = Self.object(booked.json["resource"])
            #expect(Set(payload.keys) == Set(resource.keys).union(["scheduled_event"]), "\(Set(payload.keys).symmetricDifference(resource.keys))")
            for key in ["first_name", "last_name", "updated_at", "text_reminder_number", "payment", "no_show", "reconfirmation",
                        "routing_form_submission", "scheduling_method", "questions_and_answers", "tracking"] {
                #expect(payload.keys.contains(key), "\(key)")
            }
            #expect(payload["first_name"] as? String == "Wanda" && payload["text_reminder_number"] as? String == "+14155551234")
            #expect(payload["scheduling_method"] as? String == "api")
            #expect((payload["questions_and_answers"] as? [[String: Any]])?.first?["answer"] as? String == "Acme")
            let scheduled = Self.object(payload["scheduled_event"])
            #expect(Self.object(scheduled["location"])["status"] as? String == "pushed" && scheduled["calendar_event"] != nil)
            // The product still reads it.
            let judged = WebhookIntake.judge(WebhookIntake.Delivery(signatureHeader: deliveries[0].signature, body: deliveries[0].body),
                                             at: LiveCalendly.wallClock(), signature: WebhookSignature(key: EmulatorModel.developmentSigningKey, hmac: CryptoHMAC.sha256),
                                             processed: [:])
            guard case .accepted(let notice) = judged else { Issue.record("not accepted: \(judged)"); return }
            #expect(notice.email == "wanda@example.com" && notice.invitee.rawValue == resource["uri"] as? String)
            await receiver.stop()
        }
    }

    @Test func unknownEndpointsAnswerCalendlysJSON404() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            for (method, path) in [("GET", "/routing_forms"), ("GET", "/activity_log_entries"), ("POST", "/data_compliance/deletion/invitees"),
                                   ("DELETE", "/users/me"), ("GET", "/nowhere/at/all"), ("GET", "/_emulator/nope")] {
                let reply = try await EmuHTTP.send(method, base + path, bearer: token)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.json["title"] as? String == "Resource Not Found" && reply.json["message"] as? String == "The server could not find the requested resource.",
                        "\(method) \(path): \(reply.text)")
                #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
            }
        }
    }

    @Test func tokenAndIntrospectReadClientCredentialsFromTheQuery() async throws {
        try await withEmulator { base, _ in
            // The consent redirects back to a page that answers (the emulator's own state), so the code can be read.
            let redirect = base + "/_emulator/state"
            func code() async throws -> String {
                let consent = try await EmuHTTP.send("GET", base + "/oauth/authorize?client_id=emulator-client-id&response_type=code&redirect_uri=\(EmuHTTP.escape(redirect))")
                let landed = try #require(consent.url)
                return try #require(URLComponents(url: landed, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "code" }?.value)
            }
            let credentials = "client_id=emulator-client-id&client_secret=emulator-client-secret"
            let granted = try await EmuHTTP.send("POST", base + "/oauth/token?" + credentials,
                                                 form: "grant_type=authorization_code&code=\(try await code())&redirect_uri=\(EmuHTTP.escape(redirect))")
            #expect(granted.status == 200, "\(granted.text)")
            let access = try #require(granted.json["access_token"] as? String)
            let wrong = try await EmuHTTP.send("POST", base + "/oauth/token?client_id=emulator-client-id&client_secret=wrong",
                                               form: "grant_type=authorization_code&code=\(try await code())&redirect_uri=\(EmuHTTP.escape(redirect))")
            #expect(wrong.status == 401 && wrong.json["error"] as? String == "invalid_client")

            let active = try await EmuHTTP.send("POST", base + "/oauth/introspect?" + credentials, form: "token=\(access)")
            #expect(active.status == 200 && active.json["active"] as? Bool == true && active.json["owner"] as? String == base + "/users/HOST")
            #expect((active.json["scope"] as? String)?.contains("scheduled_events:write") == true)
            let exp = try #require(active.json["exp"] as? Int), iat = try #require(active.json["iat"] as? Int)
            #expect(exp - iat == 7200)
            #expect(try await EmuHTTP.send("POST", base + "/oauth/revoke", form: "\(credentials)&token=\(access)").status == 200)
            let revoked = try await EmuHTTP.send("POST", base + "/oauth/introspect", form: "\(credentials)&token=\(access)")
            #expect(revoked.status == 200 && revoked.json["active"] as? Bool == false && revoked.json.count == 1)
            #expect(try await EmuHTTP.send("POST", base + "/oauth/introspect", form: "token=\(access)").status == 401)
            #expect(try await EmuHTTP.send("POST", base + "/oauth/introspect", form: credentials).status == 400)
        }
    }

    @Test func ordinaryResponsesCarryRateLimitHeaders() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let first = try await EmuHTTP.send("GET", base + "/users/me", bearer: token)
            let second = try await EmuHTTP.send("GET", base + "/event_types?user=\(EmuHTTP.escape(base + "/users/HOST"))", bearer: token)
            for reply in [first, second] {
                #expect(reply.headers["x-ratelimit-limit"] == "500")
                let reset = Int(reply.headers["x-ratelimit-reset"] ?? "") ?? 0
                #expect((1...60).contains(reset), "\(reply.headers)")
            }
            let before = try #require(Int(first.headers["x-ratelimit-remaining"] ?? ""))
            let after = try #require(Int(second.headers["x-ratelimit-remaining"] ?? ""))
            #expect(before == after + 1 && before < 500)
            #expect(try await EmuHTTP.send("GET", base + "/users/me").headers["x-ratelimit-limit"] == "500", "a 401 is a response too")
            #expect(try await EmuHTTP.send("GET", base + "/_emulator/state").headers["x-ratelimit-limit"] == nil, "the admin hooks are not Calendly's")
            // A window passes: the count starts again.
            await model.advanceClock(.seconds(61))
            #expect(try await EmuHTTP.send("GET", base + "/users/me", bearer: token).headers["x-ratelimit-remaining"] == "499")
        }
    }

    @Test func resetAlsoResetsTheClock() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let advanced = try await EmuHTTP.send("POST", base + "/_emulator/clock", json: #"{"advance_seconds":172800}"#)
            #expect(advanced.status == 200)
            #expect(try await EmuHTTP.send("GET", base + "/_emulator/state").json["clock_offset_seconds"] as? Int == 172_800)
            let reset = try await EmuHTTP.send("POST", base + "/_emulator/reset", json: "{}")
            #expect(reset.json["clock_offset_seconds"] as? Int == 0)
            // Availability from the real now is not "in the past" for the emulator any more.
            let from = LiveCalendly.wallClock() + .minutes(1)
            let times = try await EmuHTTP.send("GET", base + "/event_type_available_times?event_type=\(EmuHTTP.escape(base + "/event_types/ET-QUICK"))&start_time=\(from.iso8601)&end_time=\((from + .days(1)).iso8601)", bearer: token)
            #expect(times.status == 200, "\(times.text)")
        }
    }

    @Test func directoryEndpointsAgentToolServersCall() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let user = EmuHTTP.escape(base + "/users/HOST")
            let organization = try await EmuHTTP.send("GET", base + "/organizations/ORG", bearer: token)
            #expect(Self.object(organization.json["resource"])["uri"] as? String == base + "/organizations/ORG")
            #expect(try await EmuHTTP.send("GET", base + "/organizations/OTHER", bearer: token).status == 404)
            let memberships = try await EmuHTTP.send("GET", base + "/organization_memberships?user=\(user)", bearer: token)
            let membership = (memberships.json["collection"] as? [[String: Any]])?.first ?? [:]
            #expect(membership["role"] as? String == "owner" && Self.object(membership["user"])["email"] as? String == "host@example.com")
            #expect(memberships.json["pagination"] != nil)
            #expect(try await EmuHTTP.send("GET", base + "/organization_memberships", bearer: token).status == 400)
            #expect(try await EmuHTTP.send("GET", base + "/organization_memberships/MEMBERSHIP", bearer: token).status == 200)

            let booked = try await Self.book(base, token, "ET-INTRO", days: 2, extra: Self.introAnswer)
            let from = LiveCalendly.wallClock() + .minutes(1)
            func busy(_ end: Instant) async throws -> EmuHTTP.Reply {
                try await EmuHTTP.send("GET", base + "/user_busy_times?user=\(user)&start_time=\(from.iso8601)&end_time=\(end.iso8601)", bearer: token)
            }
            let busyTimes = try await busy(from + .days(7))
            let entry = (busyTimes.json["collection"] as? [[String: Any]])?.first ?? [:]
            #expect(Self.object(entry["event"])["uri"] as? String == Self.object(booked.json["resource"])["event"] as? String && entry["type"] as? String == "calendly")
            #expect(try await busy(from + .days(8)).status == 400, "busy times stay at 7 days")

            let schedules = try await EmuHTTP.send("GET", base + "/user_availability_schedules?user=\(user)", bearer: token)
            let schedule = (schedules.json["collection"] as? [[String: Any]])?.first ?? [:]
            #expect(schedule["default"] as? Bool == true && (schedule["rules"] as? [Any])?.count == 7)
            #expect(try await EmuHTTP.send("GET", base + "/user_availability_schedules", bearer: token).status == 400)

            let link = try await EmuHTTP.send("POST", base + "/scheduling_links", bearer: token,
                                              json: #"{"max_event_count":1,"owner":"\#(base)/event_types/ET-QUICK","owner_type":"EventType"}"#)
            #expect(link.status == 201 && (Self.object(link.json["resource"])["booking_url"] as? String)?.hasPrefix("https://calendly.com/d/") == true)
            let bad = try await EmuHTTP.send("POST", base + "/scheduling_links", bearer: token, json: #"{"max_event_count":2,"owner_type":"User"}"#)
            #expect(bad.status == 400 && Set(bad.detailParameters) == ["max_event_count", "owner_type", "owner"])
            let narrow = await model.issueTokens(scopes: ["users:read"]).access
            #expect(try await EmuHTTP.send("GET", base + "/user_busy_times?user=\(user)", bearer: narrow).json["title"] as? String == "Insufficient scope")
        }
    }

    @Test func aNonAdminMayOnlySubscribeTheirOwnEvents() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let switched = try await EmuHTTP.send("POST", base + "/_emulator/account", json: #"{"organization_admin":false}"#)
            #expect(switched.status == 200 && switched.json["role"] as? String == "user")
            let org = base + "/organizations/ORG"
            let organizationWide = #"{"url":"http://127.0.0.1:9/a","events":["invitee.created"],"organization":"\#(org)","scope":"organization"}"#
            let refused = try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: organizationWide)
            #expect(refused.status == 403 && refused.json["title"] as? String == "Permission Denied")
            let own = #"{"url":"http://127.0.0.1:9/b","events":["invitee.created"],"organization":"\#(org)","user":"\#(base)/users/HOST","scope":"user"}"#
            #expect(try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: own).status == 201)
            #expect(try await EmuHTTP.send("GET", base + "/webhook_subscriptions?organization=\(EmuHTTP.escape(org))&scope=organization", bearer: token).status == 403)
            #expect(try await EmuHTTP.send("GET", base + "/webhook_subscriptions?organization=\(EmuHTTP.escape(org))&scope=user&user=\(EmuHTTP.escape(base + "/users/HOST"))",
                                           bearer: token).status == 200)
            let role = try await EmuHTTP.send("GET", base + "/organization_memberships?organization=\(EmuHTTP.escape(org))", bearer: token)
            #expect((role.json["collection"] as? [[String: Any]])?.first?["role"] as? String == "user")
            // A reset brings back the mode the emulator was started in (an admin here).
            _ = try await EmuHTTP.send("POST", base + "/_emulator/reset", json: "{}")
            #expect(try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: organizationWide).status == 201)
            #expect(try await EmuHTTP.send("POST", base + "/_emulator/account", json: #"{"organization_admin":"no"}"#).status == 400)
        }
    }
}
