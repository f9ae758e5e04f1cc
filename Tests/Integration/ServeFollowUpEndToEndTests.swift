import Foundation
import Testing

/// Issue 6 through a real `serve` process and the emulator: reschedules, attributed fallback bookings,
/// the booking quota, and reconciliation after the host was down.
@Suite(.serialized) struct ServeFollowUpEndToEndTests {
    let http = HTTPClient()

    /// Connects `agent` through the emulator's OAuth and saves a runnable action for `eventType` (an id like "ET-INTRO").
    func connectAndSave(_ serve: ServeProcess, calendly: String, agent: String = "sales-bot", eventType: String = "ET-QUICK") async throws {
        let admin = try #require(serve.token("admin"))
        let base = serve.base + "/v1/agents/\(agent)/calendly"
        let authorize = try #require(try await http.send("POST", base + "/connect", token: admin).object()["authorizeUrl"] as? String)
        let callback = try await http.send("GET", authorize)
        #expect(callback.object()["status"] as? String == "connected", "\(callback.text)")
        let action = #"{"eventType":"\#(calendly)/event_types/\#(eventType)","emailField":"contact.email","questionMappings":[],"trigger":"t","confirmationMessage":"Booked!","enabled":true}"#
        let saved = try await http.send("PUT", base + "/action", token: admin, json: action)
        #expect(saved.status == 200, "\(saved.text)")
    }

    /// Offer on the text channel, pick the first time; returns the final reply.
    func book(_ serve: ServeProcess, _ conversation: String, email: String) async throws -> HTTPClient.Reply {
        let runtime = try #require(serve.token("runtime"))
        let path = serve.base + "/v1/conversations/\(conversation)/booking/"
        let offer = try await http.send("POST", path + "offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.email":"\#(email)"}}"#)
        guard offer.object()["state"] as? String == "slotsShown" else { return offer }
        return try await http.send("POST", path + "reply", token: runtime, json: #"{"text":"1"}"#)
    }


    func bookings(_ calendly: String) async throws -> [[String: Any]] {
        try await http.send("GET", calendly + "/_emulator/state").object()["bookings"] as? [[String: Any]] ?? []
    }


    @Test func aRescheduleIsCountedOnceAndNeverAsACancellation() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { [serve] in _ = await serve.terminate() } }
        try await connectAndSave(serve, calendly: serve.emulator)
        let booked = try await book(serve, "moving", email: "mo@example.com")
        #expect(booked.object()["state"] as? String == "confirmed", "\(booked.text)")
        let booking = try #require(try await bookings(serve.emulator).first)
        let invitee = try #require(booking["invitee"] as? String)
        let start = try #require((booking["start_time"] as? String).flatMap { ISO8601DateFormatter.withFractions.date(from: $0) })
        let later = ISO8601DateFormatter().string(from: start.addingTimeInterval(24 * 3600))
        let moved = try await http.send("POST", serve.emulator + "/_emulator/bookings/reschedule", json: #"{"invitee":"\#(invitee)","start_time":"\#(later)"}"#)
        #expect(moved.status == 201, "\(moved.text)")
        #expect(try await eventually { try await serve.totals()["rescheduled"] == 1 })
        let counts = try await serve.totals()
        #expect(counts["canceled"] == 0 && counts["created"] == 1, "\(counts)")
    }

    @Test func aBookingThroughTheAttributedLinkComesBackToItsConversation() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        defer { Task { [serve] in _ = await serve.terminate() } }
        try await connectAndSave(serve, calendly: serve.emulator)
        // Calendly's availability is down: the conversation ends at the static link, with UTM parameters.
        let fault = try await http.send("POST", serve.emulator + "/_emulator/faults", json: #"{"path":"/event_type_available_times","status":503,"count":10}"#)
        #expect(fault.status < 300, "\(fault.text)")
        let fellBack = try await book(serve, "fell-back", email: "fb@example.com")
        let text = fellBack.text.replacingOccurrences(of: "\\/", with: "/")
        let link = try #require(text.range(of: #"https://[^ "\\]+utm_source=calendly-action[^ "\\]*"#, options: .regularExpression).map { String(text[$0]) }, "\(fellBack.text)")
        let content = try #require(URLComponents(string: link)?.queryItems?.first { $0.name == "utm_content" }?.value)
        #expect(!content.contains("fell-back") && !content.contains("acme"), "the reference is opaque")
        _ = try await http.send("DELETE", serve.emulator + "/_emulator/faults")
        // The customer books on Calendly's page through that link.
        let start = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3 * 24 * 3600)).prefix(11) + "10:00:00Z"
        let taken = try await http.send("POST", serve.emulator + "/_emulator/slots/take", json: """
            {"event_type":"\(serve.emulator)/event_types/ET-QUICK","start_time":"\(start)","email":"fb@example.com","utm_source":"calendly-action","utm_content":"\(content)"}
            """)
        #expect(taken.status == 201, "\(taken.text)")
        #expect(try await eventually { try await serve.totals()["fallbackBooked"] == 1 })
        #expect(try await serve.totals()["created"] == 0, "a link booking is not an in-chat booking")
    }

    /// On the trial tier (5 bookings a day per Calendly user) the sixth booking never reaches Calendly:
    /// it ends at the attributed link, and the 80 % mark raised the quota event.
    @Test func theBookingQuotaStopsShortOfTheCap() async throws {
        let serve = try ServeProcess(environment: ["CALENDLY_PLAN_TIER": "trial"])
        try await serve.start()
        defer { Task { [serve] in _ = await serve.terminate() } }
        try await connectAndSave(serve, calendly: serve.emulator)
        var states: [String] = []
        for index in 1...6 {
            states.append(try await book(serve, "quota-\(index)", email: "q\(index)@example.com").object()["state"] as? String ?? "-")
        }
        #expect(states == ["confirmed", "confirmed", "confirmed", "confirmed", "confirmed", "staticLink"], "\(states)")
        #expect(try await bookings(serve.emulator).count == 5, "no booking call past the cap")
        let metrics = try await http.send("GET", serve.base + "/metrics").text
        #expect(metrics.contains(#"calendly_events_total{event="calendly_booking_quota_high"} 1"#), "\(metrics)")
    }

    /// The host is down while the customer cancels in Calendly (the webhook fails); at start-up
    /// reconciliation reads Calendly back and the cancellation is counted — once, however often it runs.
    @Test func aCancellationMissedWhileDownIsReconciledAtStartUp() async throws {
        let emulator = try await EmulateProcess()
        defer { emulator.stop() }
        let calendly = emulator.base
        let environment = calendlyModeEnvironment(calendly: calendly)

        let first = try ServeProcess(environment: environment)
        try await first.start()
        try await connectAndSave(first, calendly: calendly)
        #expect(try await book(first, "gap", email: "gap@example.com").object()["state"] as? String == "confirmed")
        #expect(try await eventually { try await first.totals()["created"] == 1 })
        #expect(await first.terminate() == 0)

        let invitee = try #require(try await bookings(calendly).first?["invitee"] as? String)
        #expect(try await http.send("POST", calendly + "/_emulator/bookings/cancel", json: #"{"invitee":"\#(invitee)"}"#).status == 204)
        #expect(try await eventually {
            let deliveries = try await http.send("GET", calendly + "/_emulator/state").object()["deliveries"] as? [[String: Any]] ?? []
            return deliveries.contains { $0["event"] as? String == "invitee.canceled" }
        }, "the canceled webhook was attempted (and failed: nobody listened)")

        let second = try ServeProcess(dataDirectory: first.dataDirectory, environment: environment)
        try await second.start()
        #expect(try await eventually { try await second.totals()["canceled"] == 1 })
        #expect(await second.terminate() == 0)
        // A third start reconciles again and changes nothing.
        let third = try ServeProcess(dataDirectory: first.dataDirectory, environment: environment)
        try await third.start()
        try await Task.sleep(for: .milliseconds(500))
        let counts = try await third.totals()
        #expect(counts["canceled"] == 1 && counts["created"] == 1, "\(counts)")
        #expect(await third.terminate() == 0)
    }
}

extension ISO8601DateFormatter {
    /// Calendly writes microseconds (`2026-11-25T11:30:00.000000Z`).
    static var withFractions: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }
}
