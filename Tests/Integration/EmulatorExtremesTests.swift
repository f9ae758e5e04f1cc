import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters

/// Hostile input never makes the emulator trap, hang or answer 5xx: every handler that reads a body or a
/// query meets empty, truncated and invalid-UTF-8 bodies, 100k-character strings, and numbers at and past
/// Int64's ends — fixed cases first, then seeded random mutations of a valid booking (the seed is printed).
@Suite struct EmulatorExtremesTests {
    static let long = String(repeating: "x", count: 100_000)
    static let extremeNumbers = ["9223372036854775807", "-9223372036854775808", "1e308", "-1e308", "18446744073709551616", "0", "-1", "0.5"]
    static let hostileBodies: [[UInt8]] = {
        var bodies: [[UInt8]] = [[], Array("null".utf8), Array("[]".utf8), Array("{".utf8), [0xFF, 0xFE, 0x00, 0x7B]]
        bodies.append(Array("\"\(long)\"".utf8))
        bodies.append(Array(#"{"a":"\#(long)"}"#.utf8))
        bodies.append(Array(#"{"invitee":{"email":"\#(long)@example.com"}}"#.utf8))
        var invalid: [UInt8] = Array(#"{"event_type":""#.utf8)
        invalid += [0xC3, 0x28]
        invalid += Array(#""}"#.utf8)
        bodies.append(invalid)
        let nested: String = String(repeating: "[", count: 400) + String(repeating: "]", count: 400)
        bodies.append(Array(nested.utf8))
        let keys = ["solo_event_types", "expires_in", "advance_seconds", "max_event_count", "organization_admin", "tier", "count", "position",
                    "reason", "token", "status", "delay_ms", "huge_bytes", "retry_after", "rate_limit_reset"]
        for number in extremeNumbers {
            let pairs: [String] = keys.map { key in "\"\(key)\":\(number)" }
            bodies.append(Array(("{" + pairs.joined(separator: ",") + "}").utf8))
            // The fault hook needs a path to take the numbers in.
            bodies.append(Array(("{\"path\":\"/nowhere\"," + pairs.joined(separator: ",") + "}").utf8))
        }
        return bodies
    }()

    /// Every body-reading handler, called as the router would (POST, the hostile bytes as the body).
    static func handlers(_ model: EmulatorModel, token: String) -> [(String, @Sendable (EmulatorRequest) async -> EmulatorReply)] {
        [
            ("/invitees", { await model.createInvitee($0) }), ("/scheduled_events/EV1/cancellation", { await model.cancelEvent($0, uuid: "EV1") }),
            ("/webhook_subscriptions", { await model.createSubscription($0) }), ("/scheduling_links", { await model.createSchedulingLink($0) }),
            ("/oauth/token", { await model.token($0) }), ("/oauth/introspect", { await model.introspect($0) }), ("/oauth/revoke", { await model.revoke($0) }),
            ("/_emulator/reset", { await model.adminReset($0) }), ("/_emulator/tokens", { await model.adminIssueTokens($0) }),
            ("/_emulator/clock", { await model.adminClock($0) }), ("/_emulator/quota", { await model.adminQuota($0) }),
            ("/_emulator/account", { await model.adminAccount($0) }), ("/_emulator/slots/take", { await model.adminTakeSlot($0) }),
            ("/_emulator/bookings/cancel", { await model.adminCancel($0) }), ("/_emulator/bookings/reschedule", { await model.adminReschedule($0) }),
            ("/_emulator/faults", { await model.adminInjectFault($0) }),
        ]
    }

    static func request(_ path: String, body: [UInt8], token: String, query: [String: String] = [:]) -> EmulatorRequest {
        EmulatorRequest(method: "POST", path: path, query: query, headers: ["authorization": "Bearer \(token)", "content-type": "application/json"], body: body)
    }

    @Test func hostileBodiesGetA4xxOrAnAnswerNeverATrap() async throws {
        let model = EmulatorModel(baseURL: "http://127.0.0.1:1")
        let token = await model.issueTokens().access
        for (path, handle) in Self.handlers(model, token: token) {
            for body in Self.hostileBodies {
                let reply = await handle(Self.request(path, body: body, token: token))
                #expect((200..<500).contains(reply.status), "\(path) with \(body.prefix(60)) answered \(reply.status)")
                await model.clearFaults()
            }
        }
        // The clamps held: a sane world is left (the admin hooks clamp seeds, clocks and lifetimes).
        #expect(await model.eventTypes.count <= 14 + 500)
        let state = await model.stateJSON()
        guard case .fields(let fields) = state, case .int(let offset)? = fields.first(where: { $0.key == "clock_offset_seconds" })?.value else {
            Issue.record("no clock offset in the state"); return
        }
        #expect(abs(offset) <= 100 * 366 * 86_400)
        await model.shutdown()
    }

    @Test func hostileQueriesGetA4xx() async throws {
        let model = EmulatorModel(baseURL: "http://127.0.0.1:1")
        let token = await model.issueTokens().access
        let user = "http://127.0.0.1:1/users/HOST", eventType = "http://127.0.0.1:1/event_types/ET-INTRO"
        let times = ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2026-02-30T00:00:00Z", Self.long, "", "\u{0}"]
        var queries: [[String: String]] = []
        for start in times { for end in times { queries.append(["event_type": eventType, "start_time": start, "end_time": end, "user": user]) } }
        queries += Self.extremeNumbers.map { ["user": user, "count": $0, "page_token": Self.long] }
        queries.append(["user": user, "page_token": EmulatorModel.encodePageToken(Int.max)])
        for query in queries {
            var request = Self.request("/", body: [], token: token, query: query)
            request.method = "GET"
            for (name, reply) in [("available times", await model.availableTimes(request)), ("busy times", await model.userBusyTimes(request)),
                                  ("event types", await model.listEventTypes(request)), ("scheduled events", await model.listScheduledEvents(request)),
                                  ("memberships", await model.listMemberships(request))] {
                #expect((200..<500).contains(reply.status), "\(name) with \(query.mapValues { $0.prefix(40) }) answered \(reply.status)")
            }
        }
        await model.shutdown()
    }

    /// Seeded: a valid booking with one to three fields replaced by extremes. Whatever comes back is a
    /// 201 or a 4xx, and a 201 is a booking the emulator can show again.
    @Test func mutatedBookingsAreAnsweredLikeCalendly() async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["EMULATOR_FUZZ_SEED"] ?? "") ?? 20_261_130
        var random = SeededGenerator(root: seed, stream: "emulator-extremes")
        let model = EmulatorModel(baseURL: "http://127.0.0.1:1")
        let token = await model.issueTokens().access
        let day = (LiveCalendly.wallClock() + .days(2)).utcDate
        let values: [String] = [#""""#, "null", "true", "[]", "{}", #""\#(Self.long)""#, #""+\#(String(repeating: "1", count: 5000))""#, #""\u0000""#,
                                #""😀\u202e""#, #""not-an-email""#, #""Mars/Olympus""#] + Self.extremeNumbers
        let fields = ["event_type", "start_time", "email", "name", "first_name", "last_name", "timezone", "text_reminder_number", "event_guests",
                      "location", "location_location", "question", "answer", "position", "tracking"]
        var created = 0, refused = 0
        for round in 0..<300 {
            var chosen: [String: String] = [:]
            for _ in 0..<random.int(in: 1...3) { chosen[random.pick(fields)] = random.pick(values) }
            func value(_ field: String, _ normal: String) -> String { chosen[field] ?? normal }
            // Up to 800 distinct 15-minute slots over 20 days, so bookings rarely meet a taken one.
            let start = Instant(utcDate: day, hour: 8 + random.int(in: 0...9)) + .days(Int64(random.int(in: 0...19))) + .minutes(Int64(15 * random.int(in: 0...3)))
            var parts: [String] = []
            parts.append(#""event_type":\#(value("event_type", #""http://127.0.0.1:1/event_types/ET-CALLBACK""#))"#)
            parts.append(#""start_time":\#(value("start_time", #""\#(start.iso8601)""#))"#)
            var invitee: [String] = []
            invitee.append(#""email":\#(value("email", #""f\#(round)@example.com""#))"#)
            invitee.append(#""name":\#(value("name", #""F""#))"#)
            invitee.append(#""first_name":\#(value("first_name", "null"))"#)
            invitee.append(#""last_name":\#(value("last_name", "null"))"#)
            invitee.append(#""timezone":\#(value("timezone", #""UTC""#))"#)
            invitee.append(#""text_reminder_number":\#(value("text_reminder_number", "null"))"#)
            parts.append(#""invitee":{"# + invitee.joined(separator: ",") + "}")
            parts.append(#""event_guests":\#(value("event_guests", "[]"))"#)
            let place: String = value("location_location", #""+4915112345678""#)
            parts.append(#""location":\#(value("location", #"{"kind":"outbound_call","location":\#(place)}"#))"#)
            let question: String = value("question", #""Mobile number""#), answer: String = value("answer", #""+4915112345678""#)
            parts.append(#""questions_and_answers":[{"question":\#(question),"answer":\#(answer),"position":\#(value("position", "0"))}]"#)
            parts.append(#""tracking":\#(value("tracking", "{}"))"#)
            let body = "{" + parts.joined(separator: ",") + "}"
            let reply = await model.createInvitee(Self.request("/invitees", body: Array(body.utf8), token: token))
            #expect(reply.status == 201 || (400..<500).contains(reply.status),
                    "seed \(seed) round \(round): \(chosen.mapValues { $0.prefix(40) }) answered \(reply.status)")
            if reply.status == 201 { created += 1 } else { refused += 1 }
            if reply.status == 201 {
                let created = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any]
                let uri = (created?["resource"] as? [String: Any])?["uri"] as? String ?? ""
                #expect(await model.calendly.booking(of: CalendlyURI(uri)) != nil, "seed \(seed) round \(round): a 201 without a booking")
            }
        }
        // Both outcomes were met, so the cases reached past the first validation.
        #expect(created > 10 && refused > 10, "seed \(seed): \(created) created, \(refused) refused")
        await model.shutdown()
    }
}
