import Core
import Effects
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
@testable import Host
@testable import Interpreters

/// Plain HTTP against the emulator, for what `LiveCalendly` does not exercise.
enum EmuHTTP {
    struct Reply {
        var status: Int
        var json: [String: Any]
        var text: String
        var headers: [String: String]
        var url: URL?

        var detailMessages: [String] { (json["details"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String } }
        var detailParameters: [String] { (json["details"] as? [[String: Any]] ?? []).compactMap { $0["parameter"] as? String } }
    }

    static func send(_ method: String, _ url: String, bearer: String? = nil, json: String? = nil, form: String? = nil,
                     basic: (String, String)? = nil) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        if let bearer { request.setValue("Bearer \(bearer)", forHTTPHeaderField: "Authorization") }
        if let (id, secret) = basic { request.setValue("Basic " + Data("\(id):\(secret)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let form {
            request.httpBody = Data(form.utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields { if let name = name as? String { headers[name.lowercased()] = "\(value)" } }
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Reply(status: http.statusCode, json: object, text: String(decoding: data, as: UTF8.self), headers: headers, url: http.url)
    }

    static func escape(_ text: String) -> String { FormEncoding.escape(text) }
}

/// An emulator for one test, always shut down.
func withEmulator(seed: UInt64 = 3, faults: String = "none", _ body: (String, EmulatorModel) async throws -> Void) async throws {
    let emulator = try await startEmulator(seed: seed, faults: faults)
    do {
        try await body(emulator.baseURL, emulator.model)
    } catch {
        await emulator.shutdown()
        throw error
    }
    await emulator.shutdown()
}

/// Receives webhooks on a free loopback port.
final class WebhookInbox: Sendable {
    struct Delivery: Sendable { var signature: String?; var body: [UInt8] }
    private let received = Mutex<[Delivery]>([])
    var deliveries: [Delivery] { received.withLock { $0 } }
    func add(_ delivery: Delivery) { received.withLock { $0.append(delivery) } }

    func waitFor(count: Int, timeout: Duration = .seconds(5)) async -> [Delivery] {
        let deadline = ContinuousClock.now + timeout
        while deliveries.count < count, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return deliveries
    }

    func start() async throws -> (url: String, stop: @Sendable () async -> Void) {
        let router = Router()
        router.post("/hooks/calendly") { [self] request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let signature = request.headers.first { $0.name.canonicalName == WebhookSignature.headerName.lowercased() }?.value
            add(Delivery(signature: signature, body: Array(body.readableBytesView)))
            return .noContent
        }
        let server = try await startInBackground(router: router)
        return ("http://127.0.0.1:\(server.port)/hooks/calendly", server.stop)
    }
}

@Suite struct EmulatorTests {
    @Test func webhookSubscriptionDeliversSignedBodies() async throws {
        try await withEmulator { base, model in
            let inbox = WebhookInbox()
            let receiver = try await inbox.start()
            let token = await model.issueTokens().access
            let subscribe = #"{"url":"\#(receiver.url)","events":["invitee.created","invitee.canceled"],"organization":"\#(base)/organizations/ORG","user":"\#(base)/users/HOST","scope":"user"}"#
            let created = try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: subscribe)
            #expect(created.status == 201)
            let resource = created.json["resource"] as? [String: Any] ?? [:]
            #expect(resource["callback_url"] as? String == receiver.url)
            #expect(resource["state"] as? String == "active")
            let again = try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: subscribe)
            #expect(again.status == 409)
            #expect(again.json["title"] as? String == "Already Exists")
            let list = try await EmuHTTP.send("GET", base + "/webhook_subscriptions?organization=\(EmuHTTP.escape(base + "/organizations/ORG"))&scope=user",
                                              bearer: token)
            #expect((list.json["collection"] as? [Any])?.count == 1)

            let start = (LiveCalendly.wallClock() + .days(1)).utcDate
            let slot = Instant(utcDate: start, hour: 10)
            guard case .success(let invitee) = await model.takeSlot(eventType: CalendlyURI(base + "/event_types/ET-INTRO"), start: slot,
                                                                  email: "webhook@example.com") else {
                Issue.record("not booked"); return
            }
            let signature = WebhookSignature(key: EmulatorModel.developmentSigningKey, hmac: CryptoHMAC.sha256)
            var deliveries = await inbox.waitFor(count: 1)
            try #require(deliveries.count == 1)
            #expect(signature.verify(header: deliveries[0].signature, body: deliveries[0].body, now: LiveCalendly.wallClock()) == nil)
            #expect(signature.verify(header: deliveries[0].signature, body: deliveries[0].body + [32], now: LiveCalendly.wallClock()) == .mismatch)
            let judged = WebhookIntake.judge(WebhookIntake.Delivery(signatureHeader: deliveries[0].signature, body: deliveries[0].body),
                                             at: LiveCalendly.wallClock(), signature: signature, processed: [:])
            guard case .accepted(let notice) = judged else { Issue.record("not accepted: \(judged)"); return }
            #expect(notice.kind == .created && notice.email == "webhook@example.com" && notice.start == slot && notice.invitee == invitee.uri)

            #expect(await model.cancelBooking(invitee.uri))
            deliveries = await inbox.waitFor(count: 2)
            try #require(deliveries.count == 2)
            guard case .accepted(let canceled) = WebhookIntake.judge(WebhookIntake.Delivery(signatureHeader: deliveries[1].signature, body: deliveries[1].body),
                                                                       at: LiveCalendly.wallClock(), signature: signature, processed: [:]) else {
                Issue.record("cancel not accepted"); return
            }
            #expect(canceled.kind == .canceled)

            let uuid = try #require((resource["uri"] as? String)?.split(separator: "/").last.map(String.init))
            #expect(try await EmuHTTP.send("DELETE", base + "/webhook_subscriptions/\(uuid)", bearer: token).status == 204)
            #expect(try await EmuHTTP.send("GET", base + "/webhook_subscriptions/\(uuid)", bearer: token).status == 404)
            await model.takeSlot(eventType: CalendlyURI(base + "/event_types/ET-INTRO"), start: slot + .minutes(30))
            try await Task.sleep(for: .milliseconds(300))
            #expect(inbox.deliveries.count == 2)
            await receiver.stop()
        }
    }

    @Test func subscriptionWithItsOwnSigningKey() async throws {
        try await withEmulator { base, model in
            let inbox = WebhookInbox()
            let receiver = try await inbox.start()
            let token = await model.issueTokens().access
            let body = #"{"url":"\#(receiver.url)","events":["invitee.created"],"organization":"\#(base)/organizations/ORG","scope":"organization","signing_key":"my-own-signing-key"}"#
            #expect(try await EmuHTTP.send("POST", base + "/webhook_subscriptions", bearer: token, json: body).status == 201)
            await model.takeSlot(eventType: CalendlyURI(base + "/event_types/ET-QUICK"), start: Instant(utcDate: (LiveCalendly.wallClock() + .days(2)).utcDate, hour: 9))
            let deliveries = await inbox.waitFor(count: 1)
            try #require(deliveries.count == 1)
            let own = WebhookSignature(key: Array("my-own-signing-key".utf8), hmac: CryptoHMAC.sha256)
            #expect(own.verify(header: deliveries[0].signature, body: deliveries[0].body, now: LiveCalendly.wallClock()) == nil)
            await receiver.stop()
        }
    }

    @Test func availabilityValidation() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let missing = try await EmuHTTP.send("GET", base + "/event_type_available_times", bearer: token)
            #expect(missing.status == 400)
            #expect(missing.json["title"] as? String == "Invalid Argument")
            #expect(missing.detailParameters == ["event_type", "start_time", "end_time"])
            let eventType = EmuHTTP.escape(base + "/event_types/ET-INTRO")
            let from = LiveCalendly.wallClock() + .hours(1)
            func query(_ start: Instant, _ end: Instant) -> String {
                base + "/event_type_available_times?event_type=\(eventType)&start_time=\(start.iso8601)&end_time=\(end.iso8601)"
            }
            // 31 days since 2026-07-09 (calendly-api.md); a minute more is refused.
            let tooLong = try await EmuHTTP.send("GET", query(from, from + .days(31) + .minutes(1)), bearer: token)
            #expect(tooLong.status == 400 && tooLong.detailMessages == ["Date must be in the future and no greater than 31 days from start_time"])
            let past = try await EmuHTTP.send("GET", query(from - .days(1), from), bearer: token)
            #expect(past.status == 400 && past.detailMessages == ["Date cannot be in the past"])
            let ok = try await EmuHTTP.send("GET", query(from, from + .days(7)), bearer: token)
            #expect(ok.status == 200 && (ok.json["collection"] as? [Any])?.isEmpty == false && ok.json["pagination"] == nil)
            // A month in one call: every slot of every day, in order, none twice, none outside the range.
            let month = try await EmuHTTP.send("GET", query(from, from + .days(31)), bearer: token)
            let starts = (month.json["collection"] as? [[String: Any]] ?? []).compactMap { ($0["start_time"] as? String).flatMap(Instant.init(iso8601:)) }
            #expect(month.status == 200 && starts.count >= 30 * 20 && starts == starts.sorted() && Set(starts).count == starts.count)
            #expect(starts.allSatisfy { $0 >= from && $0 < from + .days(31) })
            #expect(starts.last.map { $0 > from + .days(30) } == true, "the last week is answered too")
            let unknown = try await EmuHTTP.send("GET", base + "/event_type_available_times?event_type=\(EmuHTTP.escape(base + "/event_types/NOPE"))&start_time=\(from.iso8601)&end_time=\((from + .days(1)).iso8601)", bearer: token)
            #expect(unknown.status == 404 && unknown.json["title"] as? String == "Resource Not Found")
            let anonymous = try await EmuHTTP.send("GET", query(from, from + .days(1)))
            #expect(anonymous.status == 401 && anonymous.json["title"] as? String == "Unauthenticated")
        }
    }

    @Test func paginationLinksAreAbsoluteAndFollowable() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let first = try await EmuHTTP.send("GET", base + "/event_types?user=\(EmuHTTP.escape(base + "/users/HOST"))&count=5", bearer: token)
            #expect(first.status == 200)
            let pagination = first.json["pagination"] as? [String: Any] ?? [:]
            let next = try #require(pagination["next_page"] as? String)
            #expect(next.hasPrefix(base + "/event_types?"))
            #expect(pagination["previous_page"] is NSNull)
            let second = try await EmuHTTP.send("GET", next, bearer: token)
            let names = (second.json["collection"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names.count == 5 && names.first == "Group webinar")
            #expect((second.json["pagination"] as? [String: Any])?["previous_page_token"] as? String != nil)
            let activeOnly = try await EmuHTTP.send("GET", base + "/event_types?organization=\(EmuHTTP.escape(base + "/organizations/ORG"))&active=true&count=100", bearer: token)
            #expect((activeOnly.json["collection"] as? [Any])?.count == 13 + EmulatorModel.defaultExtraSolo)
            #expect(try await EmuHTTP.send("GET", base + "/event_types?user=\(EmuHTTP.escape(base + "/users/HOST"))&count=0", bearer: token).status == 400)
            #expect(try await EmuHTTP.send("GET", base + "/event_types?user=\(EmuHTTP.escape(base + "/users/HOST"))&page_token=garbage", bearer: token).status == 400)
            #expect(try await EmuHTTP.send("GET", base + "/event_types", bearer: token).status == 400)
        }
    }

    /// Some clients (PyCalendly) send GET parameters as a JSON body. URLSession on Linux cannot send
    /// a GET body, so this goes through the router directly.
    @Test func getParametersMayComeAsAJSONBody() async throws {
        let model = EmulatorModel(baseURL: "http://emulator.test", seed: 1)
        let token = await model.issueTokens().access
        let app = Application(router: buildEmulatorRouter(model: model))
        try await app.test(.router) { client in
            try await client.execute(uri: "/event_types", method: .get, headers: [.authorization: "Bearer \(token)"],
                                     body: ByteBuffer(string: #"{"user":"http://emulator.test/users/HOST","count":3}"#)) { response in
                #expect(response.status == .ok)
                let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                #expect((object?["collection"] as? [Any])?.count == 3)
                let next = (object?["pagination"] as? [String: Any])?["next_page"] as? String
                #expect(next?.hasPrefix("http://emulator.test/event_types?") == true)
            }
        }
    }

    @Test func tokenEndpointRules() async throws {
        try await withEmulator { base, model in
            // Authorization code without PKCE, JSON body, secret in the body.
            let authorize = "\(base)/oauth/authorize?client_id=\(EmulatorModel.clientID)&response_type=code&redirect_uri=\(EmuHTTP.escape(base + "/_emulator/state"))&state=s1&scope=users%3Aread"
            let redirected = try await EmuHTTP.send("GET", authorize)
            let landed = try #require(redirected.url)
            let code = try #require(URLComponents(url: landed, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "code" }?.value)
            let exchange = #"{"grant_type":"authorization_code","code":"\#(code)","redirect_uri":"\#(base)/_emulator/state","client_id":"\#(EmulatorModel.clientID)","client_secret":"\#(EmulatorModel.clientSecret)"}"#
            let granted = try await EmuHTTP.send("POST", base + "/oauth/token", json: exchange)
            #expect(granted.status == 200)
            #expect(granted.json["scope"] as? String == "users:read")
            #expect(granted.json["token_type"] as? String == "Bearer" && granted.json["expires_in"] as? Int == 7200)
            #expect(granted.json["owner"] as? String == base + "/users/HOST")
            let refresh = try #require(granted.json["refresh_token"] as? String)
            let access = try #require(granted.json["access_token"] as? String)
            // users:read only: event types need another scope.
            let scoped = try await EmuHTTP.send("GET", base + "/event_types?user=\(EmuHTTP.escape(base + "/users/HOST"))", bearer: access)
            #expect(scoped.status == 403 && scoped.json["required_scopes"] as? [String] == ["event_types:read"])

            let credentials = (EmulatorModel.clientID, EmulatorModel.clientSecret)
            let rotated = try await EmuHTTP.send("POST", base + "/oauth/token", form: "grant_type=refresh_token&refresh_token=\(refresh)", basic: credentials)
            #expect(rotated.status == 200 && rotated.json["refresh_token"] as? String != refresh)
            let reused = try await EmuHTTP.send("POST", base + "/oauth/token", form: "grant_type=refresh_token&refresh_token=\(refresh)", basic: credentials)
            #expect(reused.status == 400 && reused.json["error"] as? String == "invalid_grant")
            let codeAgain = try await EmuHTTP.send("POST", base + "/oauth/token", json: exchange)
            #expect(codeAgain.status == 400 && codeAgain.json["error"] as? String == "invalid_grant")
            let wrongSecret = try await EmuHTTP.send("POST", base + "/oauth/token", form: "grant_type=refresh_token&refresh_token=x",
                                                     basic: (EmulatorModel.clientID, "nope"))
            #expect(wrongSecret.status == 401 && wrongSecret.json["error"] as? String == "invalid_client")
            let unsupported = try await EmuHTTP.send("POST", base + "/oauth/token", form: "grant_type=password", basic: credentials)
            #expect(unsupported.status == 400 && unsupported.json["error"] as? String == "unsupported_grant_type")
            let unknownClient = try await EmuHTTP.send("GET", "\(base)/oauth/authorize?client_id=other&response_type=code&redirect_uri=\(EmuHTTP.escape(base))")
            #expect(unknownClient.status == 400 && unknownClient.json["error"] as? String == "invalid_client")
            // Expiry: two hours later the access token is refused.
            let fresh = await model.issueTokens().access
            await model.advanceClock(.hours(2) + .seconds(1))
            let expired = try await EmuHTTP.send("GET", base + "/users/me", bearer: fresh)
            #expect(expired.status == 401 && expired.json["message"] as? String == "The access token is expired")
        }
    }

    @Test func bookingValidationAndScheduledEvents() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let day = (LiveCalendly.wallClock() + .days(1)).utcDate
            let slot = Instant(utcDate: day, hour: 11)
            func book(_ eventType: String, email: String = "a@example.com", at start: Instant = slot, extra: String = "") async throws -> EmuHTTP.Reply {
                try await EmuHTTP.send("POST", base + "/invitees", bearer: token, json: #"{"event_type":"\#(base)/event_types/\#(eventType)","start_time":"\#(start.iso8601)","invitee":{"email":"\#(email)","name":"A","timezone":"Europe/Berlin"}\#(extra)}"#)
            }
            let incomplete = try await EmuHTTP.send("POST", base + "/invitees", bearer: token, json: #"{"event_type":"x","invitee":{"email":"nope"}}"#)
            #expect(incomplete.status == 400)
            #expect(incomplete.detailParameters == ["start_time", "invitee.email", "invitee.timezone", "invitee.name"])
            #expect(try await book("ET-PAID").status == 400)
            #expect(try await book("ET-POLL").status == 400)
            #expect(try await book("ET-INACTIVE").status == 400)
            #expect(try await book("ET-NOPE").status == 404)
            #expect(try await book("ET-INTRO", extra: #","questions_and_answers":[{"question":"Unknown","answer":"x","position":0}]"#).status == 400)
            let created = try await book("ET-INTRO", extra: #","questions_and_answers":[{"question":"Company","answer":"Acme","position":0}]"#)
            #expect(created.status == 201)
            let invitee = created.json["resource"] as? [String: Any] ?? [:]
            #expect(invitee["status"] as? String == "active" && invitee["scheduling_method"] as? String == "api")
            #expect((invitee["questions_and_answers"] as? [[String: Any]])?.first?["answer"] as? String == "Acme")
            let taken = try await book("ET-INTRO", email: "b@example.com")
            #expect(taken.status == 400)
            // The classifier reads the emulator's wording as a taken slot: one vocabulary on both sides.
            #expect(CalendlyErrorClassifier.classify(status: taken.status, body: Array(taken.text.utf8), retryAfterSeconds: nil) == .slotUnavailable)

            let user = EmuHTTP.escape(base + "/users/HOST")
            let window = "min_start_time=\((slot - .minutes(1)).iso8601)&max_start_time=\((slot + .minutes(1)).iso8601)"
            let events = try await EmuHTTP.send("GET", base + "/scheduled_events?user=\(user)&invitee_email=a%40example.com&\(window)&status=active", bearer: token)
            let list = events.json["collection"] as? [[String: Any]] ?? []
            #expect(list.count == 1 && list.first?["event_type"] as? String == base + "/event_types/ET-INTRO")
            #expect((try await EmuHTTP.send("GET", base + "/scheduled_events?user=\(user)&invitee_email=b%40example.com", bearer: token).json["collection"] as? [Any])?.isEmpty == true)
            let eventUUID = try #require((list.first?["uri"] as? String)?.split(separator: "/").last.map(String.init))
            let invitees = try await EmuHTTP.send("GET", base + "/scheduled_events/\(eventUUID)/invitees?email=a%40example.com", bearer: token)
            #expect((invitees.json["collection"] as? [[String: Any]])?.first?["email"] as? String == "a@example.com")
            #expect(try await EmuHTTP.send("GET", base + "/scheduled_events", bearer: token).status == 400)

            let inviteeURI = try #require(invitee["uri"] as? String)
            #expect(await model.cancelBooking(CalendlyURI(inviteeURI)))
            let canceled = try await EmuHTTP.send("GET", base + "/scheduled_events?user=\(user)&status=canceled", bearer: token)
            #expect((canceled.json["collection"] as? [[String: Any]])?.first?["status"] as? String == "canceled")
            // The freed slot can be booked again.
            #expect(try await book("ET-INTRO", email: "b@example.com").status == 201)
        }
    }

    @Test func adminHooks() async throws {
        try await withEmulator { base, model in
            let token = await model.issueTokens().access
            let fault = try await EmuHTTP.send("POST", base + "/_emulator/faults", json: #"{"path":"/users/me","status":503,"count":2}"#)
            #expect(fault.status == 201 && fault.json["pending_faults"] as? Int == 2)
            #expect(try await EmuHTTP.send("GET", base + "/users/me", bearer: token).status == 503)
            #expect(try await EmuHTTP.send("GET", base + "/users/me", bearer: token).status == 503)
            #expect(try await EmuHTTP.send("GET", base + "/users/me", bearer: token).status == 200)
            let slot = Instant(utcDate: (LiveCalendly.wallClock() + .days(1)).utcDate, hour: 12)
            let take = #"{"event_type":"\#(base)/event_types/ET-INTRO","start_time":"\#(slot.iso8601)"}"#
            let taken = try await EmuHTTP.send("POST", base + "/_emulator/slots/take", json: take)
            #expect(taken.status == 201)
            #expect(try await EmuHTTP.send("POST", base + "/_emulator/slots/take", json: take).status == 409)
            let state = try await EmuHTTP.send("GET", base + "/_emulator/state")
            let bookings = state.json["bookings"] as? [[String: Any]] ?? []
            #expect(bookings.count == 1 && bookings.first?["via_api"] as? Bool == false)
            let invitee = try #require((taken.json["resource"] as? [String: Any])?["uri"] as? String)
            #expect(try await EmuHTTP.send("POST", base + "/_emulator/bookings/cancel", json: #"{"invitee":"\#(invitee)"}"#).status == 204)
            #expect(await model.bookings.first?.canceled == true)
            let reset = try await EmuHTTP.send("POST", base + "/_emulator/reset", json: #"{"solo_event_types":0}"#)
            #expect(reset.status == 200 && (reset.json["bookings"] as? [Any])?.isEmpty == true)
            #expect(await model.eventTypes.count == 14)
            // Tokens survive a reset.
            #expect(try await EmuHTTP.send("GET", base + "/users/me", bearer: token).status == 200)
        }
    }

    @Test func seededFaultProfilesAreDeterministic() async {
        let one = EmulatorModel(seed: 42, faults: .harsh)
        let two = EmulatorModel(seed: 42, faults: .harsh)
        var first: [EmulatorFault?] = [], second: [EmulatorFault?] = []
        for index in 0..<300 {
            let (method, path) = index % 3 == 0 ? ("POST", "/invitees") : ("GET", "/event_type_available_times")
            first.append(await one.takeFault(method: method, path: path))
            second.append(await two.takeFault(method: method, path: path))
        }
        #expect(first == second)
        #expect(first.contains { $0?.status == 503 })
        #expect(first.contains { $0?.status == 429 && $0?.retryAfter != nil })
        #expect(first.contains { $0?.afterCommit == true })
        let quiet = EmulatorModel(seed: 42, faults: .quiet)
        for _ in 0..<50 { #expect(await quiet.takeFault(method: "POST", path: "/invitees") == nil) }
    }

    @Test func adminHooksAreNeverFaulted() async throws {
        try await withEmulator(seed: 9, faults: "harsh") { base, _ in
            var statuses: [Int] = []
            for _ in 0..<20 { statuses.append(try await EmuHTTP.send("GET", base + "/_emulator/state").status) }
            #expect(statuses == Array(repeating: 200, count: 20))
        }
    }

    @Test func emulateCommandIsRegistered() throws {
        #expect(CalendlyAction.configuration.subcommands.contains { ObjectIdentifier($0) == ObjectIdentifier(Emulate.self) })
        let command = try Emulate.parse(["--port", "0", "--seed", "5", "--faults", "harsh"])
        #expect(command.port == 0 && command.seed == 5 && command.faults == "harsh")
        #expect(throws: (any Error).self) { try Emulate.parse(["--faults", "awful"]) }
    }

    @Test func unknownFaultProfileIsRefused() async {
        await #expect(throws: EmulatorError.self) { _ = try await startEmulator(seed: 1, faults: "awful") }
    }

    /// One operation, one moment: a cancellation's `created_at` is the booking's `canceledAt`, a reschedule's
    /// likewise, and a token expires exactly its lifetime after it was issued — even when the clock moves
    /// between readings (it did, 1 run in 20, and a lookup then saw a cancellation 1 ms off the model's).
    @Test func oneOperationReadsTheClockOnce() async throws {
        let ticks = Mutex<Int64>(Instant(iso8601: "2026-11-25T00:00:00Z")!.millisecondsSince1970)
        let model = EmulatorModel(seed: 3, wallClock: { Instant(millisecondsSince1970: ticks.withLock { $0 += 1; return $0 }) })
        let eventType = CalendlyURI("http://127.0.0.1/event_types/ET-INTRO")
        let day = Instant(iso8601: "2026-11-26T10:00:00Z")!
        guard case .success(let first) = await model.takeSlot(eventType: eventType, start: day, email: "a@example.com"),
              case .success(let second) = await model.takeSlot(eventType: eventType, start: day + .minutes(30), email: "b@example.com") else {
            Issue.record("not booked"); return
        }
        #expect(await model.cancelBooking(first.uri))
        let canceledAt = try #require(await model.bookings.first { $0.invitee.uri == first.uri }?.canceledAt)
        #expect(await model.cancellations[first.uri]?.createdAt == canceledAt)

        guard case .success = await model.rescheduleBooking(second.uri, to: day + .hours(2)) else { Issue.record("not rescheduled"); return }
        let movedAt = try #require(await model.bookings.first { $0.invitee.uri == second.uri }?.canceledAt)
        #expect(await model.cancellations[second.uri]?.createdAt == movedAt)

        let access = await model.issueTokens().access
        let grant = try #require(await model.accessTokens[access])
        let lifetime = await model.tokenLifetime
        #expect(grant.issuedAt.map { grant.expiresAt == $0 + lifetime } == true)
    }
}
