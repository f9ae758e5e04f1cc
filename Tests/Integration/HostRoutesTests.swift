import Core
import Effects
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Interpreters
import Testing
@testable import Host

/// The host API through Hummingbird's router test client, with the in-memory store and the
/// in-process Calendly model: every route, role and error the PRD names.
@Suite struct HostRoutesTests {
    static let admin = HostHarness.token(.admin)
    static let runtime = HostHarness.token(.runtime)
    static let base = "/v1/agents/agent-1/calendly"

    /// Connects agent-1 and saves a runnable action; returns nothing, asserts each step.
    static func connectAndConfigure(_ client: some TestClientProtocol) async throws {
        let (status, connect, _) = try await client.call(.post, base + "/connect", token: admin)
        #expect(status == 200)
        let url = try #require(connect["authorizeUrl"] as? String)
        let components = try #require(URLComponents(string: url))
        let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["code_challenge_method"] == "S256" && query["code_challenge"]?.isEmpty == false && query["response_type"] == "code")
        let state = try #require(query["state"])
        let (callbackStatus, view, _) = try await client.call(.get, "/v1/oauth/calendly/callback?code=abc&state=\(state)")
        #expect(callbackStatus == 200)
        #expect(view["message"] as? String == "Connected as host@example.com")
        let (listStatus, list, _) = try await client.call(.get, base + "/event-types", token: admin)
        #expect(listStatus == 200)
        let names = (list["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names == ["Intro call"])
        let draft = #"{"eventType":"https://api.calendly.com/event_types/INTRO","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#
        let (saveStatus, saved, body) = try await client.call(.put, base + "/action", token: admin, json: draft)
        #expect(saveStatus == 200, "\(body)")
        #expect(saved["runnable"] as? Bool == true)
    }

    @Test func S01toS03_connectConfigureOfferAndBookOverHTTP() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await Self.connectAndConfigure(client)
            let offer = #"{"agentId":"agent-1","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":{"contact.email":"ana@example.com","contact.name":"Ana","contact.company":"Acme"}}"#
            let (status, offered, _) = try await client.call(.post, "/v1/conversations/conv-1/booking/offer", token: Self.runtime, json: offer)
            #expect(status == 200)
            #expect(offered["state"] as? String == "slotsShown")
            let messages = offered["messages"] as? [[String: Any]] ?? []
            let list = try #require(messages.last)
            #expect(list["type"] as? String == "interactive_list")
            let row = try #require((list["rows"] as? [[String: Any]])?.first?["id"] as? String)
            let (replyStatus, replied, _) = try await client.call(.post, "/v1/conversations/conv-1/booking/reply", token: Self.runtime, json: #"{"rowId":"\#(row)"}"#)
            #expect(replyStatus == 200)
            #expect(replied["state"] as? String == "confirmed")
            let card = (replied["messages"] as? [[String: Any]])?.last?["card"] as? [String: Any]
            #expect(card?["eventName"] as? String == "Intro call")
            #expect((card?["when"] as? String)?.contains("Asia/Jakarta, GMT+7") == true)
            // The booking carried the mapped custom-question answer and the customer's zone.
            let created = harness.calendly.calls.compactMap { call -> InviteeRequest? in
                if case .createInvitee(_, _, let request) = call { return request } else { return nil }
            }
            #expect(created.count == 1)
            #expect(created.first?.answers == [QuestionAnswer(question: "Company", answer: "Acme", position: 0)], "with the question's own position")
            #expect(created.first?.timeZone == "Asia/Jakarta")
        }
    }

    @Test func S03_AC4_textChannelOverHTTPAsksEmailAndBooks() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await Self.connectAndConfigure(client)
            let offer = #"{"agentId":"agent-1","channel":"text","timeZone":"America/New_York"}"#
            let (_, offered, _) = try await client.call(.post, "/v1/conversations/conv-2/booking/offer", token: Self.runtime, json: offer)
            let text = (offered["messages"] as? [[String: Any]])?.last?["text"] as? String ?? ""
            #expect(text.contains("\n1. ") && text.contains("Reply with the number"))
            let (_, asked, _) = try await client.call(.post, "/v1/conversations/conv-2/booking/reply", token: Self.runtime, json: #"{"text":"option 2"}"#)
            #expect(asked["state"] as? String == "askingEmail")
            let (_, invalid, _) = try await client.call(.post, "/v1/conversations/conv-2/booking/reply", token: Self.runtime, json: #"{"text":"me at example"}"#)
            #expect(invalid["state"] as? String == "askingEmail")
            let (_, booked, _) = try await client.call(.post, "/v1/conversations/conv-2/booking/reply", token: Self.runtime, json: #"{"text":"bo@example.com"}"#)
            #expect(booked["state"] as? String == "confirmed")
        }
    }

    @Test func S04_webhooksAnalyticsAndEveryBadDelivery() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await Self.connectAndConfigure(client)
            let offer = #"{"agentId":"agent-1","channel":"webchat","timeZone":"Europe/London","contact":{"contact.email":"cy@example.com"}}"#
            let (_, offered, _) = try await client.call(.post, "/v1/conversations/conv-3/booking/offer", token: Self.runtime, json: offer)
            let button = ((offered["messages"] as? [[String: Any]])?.last?["buttons"] as? [[String: Any]])?.first?["id"] as? String ?? ""
            _ = try await client.call(.post, "/v1/conversations/conv-3/booking/reply", token: Self.runtime, json: #"{"rowId":"\#(button)"}"#)
            let created = try #require(harness.calendly.drainWebhooks().first)
            let header = HTTPField.Name(WebhookSignature.headerName)!
            func signed(_ body: [UInt8], at: Instant = harness.clock.now) -> HTTPFields { [header: harness.signature.header(for: body, at: at)] }

            // Forged, stale, unsigned and oversized deliveries change nothing.
            let forged = WebhookSignature(key: Array("forged".utf8), hmac: CryptoHMAC.sha256).header(for: created.body, at: harness.clock.now)
            #expect(try await client.call(.post, "/v1/webhooks/calendly", headers: [header: forged], body: created.body).0 == 401)
            #expect(try await client.call(.post, "/v1/webhooks/calendly", headers: signed(created.body, at: harness.clock.now - .minutes(10)), body: created.body).0 == 401)
            #expect(try await client.call(.post, "/v1/webhooks/calendly", body: created.body).0 == 401)
            let huge = [UInt8](repeating: 32, count: WebhookIntake.maxBodyBytes + 1)
            #expect(try await client.call(.post, "/v1/webhooks/calendly", headers: signed(huge), body: huge).0 == 413)
            // Signed but unreadable: acknowledged (a 4xx would have Calendly retry into a disabled subscription), dead-lettered.
            let garbage = Array("{not json".utf8)
            let (garbageStatus, deadLettered, _) = try await client.call(.post, "/v1/webhooks/calendly", headers: signed(garbage), body: garbage)
            #expect(garbageStatus == 200 && deadLettered["status"] as? String == "dead_lettered" && deadLettered["reason"] as? String == "malformed_json")
            #expect(harness.store.snapshot.deadLetters.map(\.reason) == ["malformed_json"])
            #expect(harness.store.snapshot.durable.references.values.allSatisfy { $0.status == .created })

            // The real one confirms; a replay is a duplicate.
            let (status, accepted, _) = try await client.call(.post, "/v1/webhooks/calendly", headers: signed(created.body), body: created.body)
            #expect(status == 200 && accepted["status"] as? String == "accepted")
            #expect(harness.store.snapshot.durable.references.values.map(\.status) == [.confirmed])
            #expect(try await client.call(.post, "/v1/webhooks/calendly", headers: signed(created.body), body: created.body).1["status"] as? String == "duplicate")

            // A cancellation from Calendly marks the reference and counts (S04 AC-2).
            let invitee = harness.calendly.model.bookings[0].invitee.uri
            harness.calendly.mutate { _ = $0.cancel(invitee, now: harness.clock.now) }
            let canceled = try #require(harness.calendly.drainWebhooks().first)
            #expect(try await client.call(.post, "/v1/webhooks/calendly", headers: signed(canceled.body), body: canceled.body).0 == 200)
            #expect(harness.store.snapshot.durable.references.values.map(\.status) == [.canceled])

            // An unknown booking (made outside the chat) is ignored safely (S04 ERR-1).
            var other = harness.calendly.model
            _ = other.createInvitee(InviteeRequest(eventType: HostHarness.intro.uri, start: HostHarness.start + .days(3) + .hours(1), email: "walkin@example.org", name: nil, timeZone: "UTC"),
                                    key: nil, now: harness.clock.now)
            let unknown = try #require(other.drainOutbox().last)
            #expect(try await client.call(.post, "/v1/webhooks/calendly", headers: signed(unknown.body), body: unknown.body).0 == 200)
            #expect(harness.store.snapshot.durable.references.count == 1)

            let (analyticsStatus, analytics, _) = try await client.call(.get, Self.base + "/analytics?from=2026-11-01&to=2026-11-30", token: HostHarness.token(.supervisor))
            #expect(analyticsStatus == 200)
            let totals = analytics["totals"] as? [String: Int]
            #expect(totals?["created"] == 1 && totals?["canceled"] == 1 && totals?["offered"] == 1)
            #expect(try await client.call(.get, Self.base + "/analytics?from=2026-11-30&to=2026-11-01", token: Self.admin).0 == 400)
            #expect(try await client.call(.get, Self.base + "/analytics?from=yesterday&to=2026-11-01", token: Self.admin).0 == 400)
            let metrics = try await client.call(.get, "/metrics").2
            #expect(metrics.contains(#"calendly_events_total{event="calendly_webhook_rejected"}"#))
        }
    }

    @Test func everyRoleAndRouteIsGated() async throws {
        let harness = HostHarness()
        let routes: [(HTTPRequest.Method, String, Permission)] = [
            (.get, Self.base, .configure), (.post, Self.base + "/connect", .configure), (.delete, Self.base + "/connection", .configure),
            (.get, Self.base + "/event-types", .configure), (.put, Self.base + "/action", .configure), (.get, Self.base + "/analytics?from=2026-11-01&to=2026-11-02", .viewAnalytics),
            (.post, "/v1/conversations/c1/booking/offer", .runBooking), (.post, "/v1/conversations/c1/booking/reply", .runBooking),
            (.get, "/v1/conversations/c1/booking/messages", .runBooking),
        ]
        try await harness.application.test(.router) { client in
            for (method, uri, permission) in routes {
                #expect(try await client.call(method, uri).0 == 401, "\(uri) without a token")
                #expect(try await client.call(method, uri, token: "Bearer not.a.jwt").0 == 401)
                #expect(try await client.call(method, uri, token: HostHarness.token(.admin, expiresIn: .seconds(-1))).0 == 401, "expired")
                for role in Role.allCases {
                    let allowed = Access.allows(Principal(subject: "u", account: "acme", role: role, features: [Access.feature], addons: [Access.addon], flags: [Access.flag]), permission)
                    let status = try await client.call(method, uri, token: HostHarness.token(role), json: "{}").0
                    if allowed {
                        // Allowed callers get past the gate (a reply to a conversation that never started is still 404).
                        let unknownConversation = uri.contains("/reply") || uri.contains("/messages")
                        #expect(status != 401 && (status != 404 || unknownConversation), "\(role) \(method) \(uri) → \(status)")
                    } else {
                        #expect(status == 404, "\(role) must not learn \(uri) exists (got \(status))")
                    }
                    // Without the add-on/flag nothing is rendered: 404 for every role.
                    #expect(try await client.call(method, uri, token: HostHarness.token(role, entitled: false), json: "{}").0 == 404)
                }
            }
        }
    }

    @Test func S02_ERR2_saveBlockedNamingTheField_andBadInputIsClear() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await Self.connectAndConfigure(client)
            let (status, body, _) = try await client.call(.put, Self.base + "/action", token: Self.admin, json: #"{"eventType":"https://api.calendly.com/event_types/INTRO","questionMappings":[],"trigger":"","confirmationMessage":"","enabled":true}"#)
            #expect(status == 422 && body["field"] as? String == "emailField")
            let (goneStatus, gone, _) = try await client.call(.put, Self.base + "/action", token: Self.admin, json: #"{"eventType":"https://api.calendly.com/event_types/DELETED","emailField":"contact.email","questionMappings":[],"trigger":"","confirmationMessage":"","enabled":true}"#)
            #expect(goneStatus == 422 && gone["message"] as? String == Copy.eventTypeGone)
            let (paidStatus, _, _) = try await client.call(.put, Self.base + "/action", token: Self.admin, json: #"{"eventType":"https://api.calendly.com/event_types/PAID","emailField":"contact.email","questionMappings":[],"trigger":"","confirmationMessage":"","enabled":true}"#)
            #expect(paidStatus == 422)
            let (malformedStatus, malformed, _) = try await client.call(.put, Self.base + "/action", token: Self.admin, json: "{nope")
            #expect(malformedStatus == 400 && malformed["error"] as? String == "malformed_json")
            #expect(try await client.call(.put, Self.base + "/action", token: Self.admin, body: [UInt8](repeating: 65, count: 70_000)).0 == 413)
            // The saved action is still the earlier valid one: nothing partial persisted.
            #expect(harness.store.snapshot.configs.values.first?.saved?.eventType.uri == HostHarness.intro.uri)
            let (tzStatus, tz, _) = try await client.call(.post, "/v1/conversations/c9/booking/offer", token: Self.runtime, json: #"{"agentId":"agent-1","channel":"text","timeZone":"Mars/Olympus"}"#)
            #expect(tzStatus == 422 && tz["field"] as? String == "timeZone")
            #expect(try await client.call(.post, "/v1/conversations/unknown/booking/reply", token: Self.runtime, json: #"{"text":"1"}"#).0 == 404)
        }
    }

    @Test func S01_AC4_disconnectStopsOfferingAndOtherAccountsSeeNothing() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            try await Self.connectAndConfigure(client)
            // Connecting subscribed the host's public webhook URL (PUBLIC_BASE_URL + /v1/webhooks/calendly).
            #expect(harness.calendly.model.webhookSubscriptions.map(\.subscription.callbackURL) == ["http://127.0.0.1:8080/v1/webhooks/calendly"])
            let (_, otherView, _) = try await client.call(.get, Self.base, token: HostHarness.token(.admin, account: "globex"))
            #expect((otherView["connection"] as? [String: Any])?["status"] as? String == "not_connected")
            let (status, view, _) = try await client.call(.delete, Self.base + "/connection", token: Self.admin)
            #expect(status == 200 && view["status"] as? String == "not_connected")
            #expect(harness.calendly.calls.contains { if case .revokeToken = $0 { return true } else { return false } })
            #expect(harness.calendly.model.webhookSubscriptions.isEmpty, "the subscription is deleted on disconnect")
            let (_, offered, _) = try await client.call(.post, "/v1/conversations/c5/booking/offer", token: Self.runtime, json: #"{"agentId":"agent-1","channel":"text","timeZone":"UTC"}"#)
            #expect(offered["state"] as? String == "notOffered")
            #expect((offered["messages"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func S01_ERR1_deniedConsentAndUnknownStateAreRejected() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            let (_, connect, _) = try await client.call(.post, Self.base + "/connect", token: Self.admin)
            let state = URLComponents(string: connect["authorizeUrl"] as? String ?? "")?.queryItems?.first { $0.name == "state" }?.value ?? ""
            let (deniedStatus, denied, _) = try await client.call(.get, "/v1/oauth/calendly/callback?error=access_denied&state=\(state)")
            #expect(deniedStatus == 400 && denied["status"] as? String == "error")
            #expect(try await client.call(.get, "/v1/oauth/calendly/callback?code=x&state=bm9wZQ.forged").0 == 400)
            #expect(try await client.call(.get, "/v1/oauth/calendly/callback?code=x").0 == 400)
            #expect(harness.store.snapshot.connections.values.allSatisfy { $0.account == nil })
        }
    }

    @Test func opsRoutesAnswer() async throws {
        let harness = HostHarness()
        try await harness.application.test(.router) { client in
            #expect(try await client.call(.get, "/health").0 == 200)
            #expect(try await client.call(.get, "/ready").0 == 200)
            let (status, document, _) = try await client.call(.get, "/openapi.json")
            #expect(status == 200 && (document["openapi"] as? String)?.hasPrefix("3.1") == true)
            #expect(try await client.call(.get, "/metrics").2.contains("http_requests_total"))
        }
    }
}
