import Foundation
import Testing

/// `serve` with real credentials against `emulate --non-admin` (both real processes): Calendly refuses the
/// organization-wide webhook subscription of a plain member with a 403, so the product subscribes the
/// user's own events instead — and the bookings it makes still come back through them.
@Suite(.serialized) struct EmulatorServeTests {
    let http = HTTPClient()

    @Test func aNonAdminAccountIsSubscribedToItsOwnEventsEndToEnd() async throws {
        let emulator = try await EmulateProcess(arguments: ["--non-admin"])
        defer { emulator.stop() }
        let calendly = emulator.base
        let serve = try ServeProcess(environment: calendlyModeEnvironment(calendly: calendly))
        try await serve.start()
        defer { Task { [serve] in _ = await serve.terminate() } }
        #expect(try await http.send("GET", calendly + "/_emulator/state").object()["organization_admin"] as? Bool == false)

        let admin = try #require(serve.token("admin"))
        let agent = serve.base + "/v1/agents/sales-bot/calendly"
        let authorize = try #require(try await http.send("POST", agent + "/connect", token: admin).object()["authorizeUrl"] as? String)
        #expect(try await http.send("GET", authorize).object()["status"] as? String == "connected")
        #expect(try await eventually {
            let subscriptions = try await http.send("GET", calendly + "/_emulator/state").object()["webhook_subscriptions"] as? [[String: Any]] ?? []
            return subscriptions.count == 1 && subscriptions[0]["scope"] as? String == "user" && subscriptions[0]["user"] as? String == calendly + "/users/HOST"
        }, "one user-scoped subscription after the 403")

        let action = #"{"eventType":"\#(calendly)/event_types/ET-QUICK","emailField":"contact.email","questionMappings":[],"trigger":"t","confirmationMessage":"Booked!","enabled":true}"#
        #expect(try await http.send("PUT", agent + "/action", token: admin, json: action).status == 200)
        let runtime = try #require(serve.token("runtime"))
        let path = serve.base + "/v1/conversations/member-1/booking/"
        let offer = try await http.send("POST", path + "offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.email":"member@example.com"}}"#)
        #expect(offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        let booked = try await http.send("POST", path + "reply", token: runtime, json: #"{"text":"1"}"#)
        #expect(booked.object()["state"] as? String == "confirmed", "\(booked.text)")
        // The invitee.created webhook reached serve through the user-scoped subscription.
        #expect(try await eventually {
            let deliveries = try await http.send("GET", calendly + "/_emulator/state").object()["deliveries"] as? [[String: Any]] ?? []
            return deliveries.contains { $0["event"] as? String == "invitee.created" && ($0["status"] as? Int).map { (200..<300).contains($0) } == true }
        })
        #expect(try await eventually { try await serve.totals()["created"] == 1 })
    }
}
