import Foundation
import Testing

/// Issue 11 defect 2 through a real `serve` in Calendly mode against a separate `emulate`: a grant the
/// user revoked at Calendly must not keep showing "connected". The booking it breaks ends in the
/// apology + link; then the admin view shows `disconnected` with its reason, the action is not
/// runnable, and the agent stops offering.
@Suite(.serialized) struct GrantRevokedEndToEndTests {
    let http = HTTPClient()

    func offer(_ serve: ServeProcess, _ conversation: String, email: String) async throws -> HTTPClient.Reply {
        let runtime = try #require(serve.token("runtime"))
        return try await http.send("POST", serve.base + "/v1/conversations/\(conversation)/booking/offer", token: runtime,
                                   json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.email":"\#(email)"}}"#)
    }

    func reply(_ serve: ServeProcess, _ conversation: String, _ text: String) async throws -> HTTPClient.Reply {
        let runtime = try #require(serve.token("runtime"))
        return try await http.send("POST", serve.base + "/v1/conversations/\(conversation)/booking/reply", token: runtime, json: #"{"text":"\#(text)"}"#)
    }

    func texts(_ reply: HTTPClient.Reply) -> [String] {
        (reply.object()["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
    }

    @Test func aGrantRevokedAtCalendlyShowsDisconnectedAndTheAgentStopsOffering() async throws {
        let emulator = try await EmulateProcess()
        defer { emulator.stop() }
        let calendly = emulator.base
        let serve = try ServeProcess(environment: calendlyModeEnvironment(calendly: calendly))
        try await serve.start()
        defer { Task { [serve] in _ = await serve.terminate() } }
        let admin = try #require(serve.token("admin"))
        let action = #"{"eventType":"\#(calendly)/event_types/ET-QUICK","emailField":"contact.email","questionMappings":[],"trigger":"t","confirmationMessage":"Booked!","enabled":true}"#
        let agentBase = try await serve.connectAndSave(action)

        // Booking works while the grant is alive.
        let first = try await offer(serve, "before", email: "before@example.com")
        #expect(first.object()["state"] as? String == "slotsShown", "\(first.text)")
        #expect(try await reply(serve, "before", "1").object()["state"] as? String == "confirmed")

        // A customer is looking at the offer when the user removes the app in Calendly.
        let shown = try await offer(serve, "during", email: "during@example.com")
        #expect(shown.object()["state"] as? String == "slotsShown", "\(shown.text)")
        #expect(try await http.send("POST", calendly + "/_emulator/tokens/revoke", json: "{}").status == 204)

        // The booking call gets 401: the customer gets the apology and the static link, as for any failure.
        let failed = try await reply(serve, "during", "1")
        #expect(failed.object()["state"] as? String == "staticLink", "\(failed.text)")
        let apology = try #require(texts(failed).last, "\(failed.text)")
        #expect(apology.hasPrefix("Sorry, I couldn't complete the booking here."), "\(apology)")
        #expect(apology.replacingOccurrences(of: "\\/", with: "/").contains("https://calendly.com/"), "\(apology)")
        let bookings = try await http.send("GET", calendly + "/_emulator/state").object()["bookings"] as? [[String: Any]] ?? []
        #expect(bookings.count == 1, "nothing booked after the revoke")

        // The connection refreshed, Calendly refused: the admin sees why, and the action is not runnable.
        var view: [String: Any] = [:]
        let disconnected = try await eventually {
            view = try await http.send("GET", agentBase, token: admin).object()
            return (view["connection"] as? [String: Any])?["status"] as? String == "disconnected"
        }
        #expect(disconnected, "still shown as \(view["connection"] ?? "-")")
        let connection = view["connection"] as? [String: Any] ?? [:]
        #expect(connection["reason"] as? String == "refresh_rejected", "\(connection)")
        #expect((connection["message"] as? String)?.contains("Connect Calendly again") == true, "\(connection)")
        #expect(connection["accountEmail"] == nil)
        #expect((view["action"] as? [String: Any])?["runnable"] as? Bool == false, "\(view)")

        // The agent stops offering: a new conversation is answered as for a not-runnable action, and no
        // call reaches Calendly for it.
        let served = try await http.send("GET", calendly + "/_emulator/state").object()["requests_served"] as? Int
        let after = try await offer(serve, "after", email: "after@example.com")
        #expect(after.status == 200, "\(after.text)")
        #expect(after.object()["state"] as? String == "notOffered", "\(after.text)")
        #expect(texts(after).isEmpty, "nothing is said to the customer: \(after.text)")
        if let served {
            #expect(try await http.send("GET", calendly + "/_emulator/state").object()["requests_served"] as? Int == served)
        }
        #expect(await serve.terminate() == 0)
    }

    /// Refresh-ahead in `serve`: the token check runs at start and every minute; a token within 10 minutes
    /// of expiry is refreshed (rotated in the vault) before any call needs it, and booking goes on.
    @Test func serveRefreshesATokenAheadOfItsExpiry() async throws {
        let emulator = try await EmulateProcess()
        defer { emulator.stop() }
        let calendly = emulator.base
        let environment = calendlyModeEnvironment(calendly: calendly)
        func accessTokens() async throws -> Int? {
            (try await http.send("GET", calendly + "/_emulator/state").object()["tokens"] as? [String: Any])?["access"] as? Int
        }
        // Tokens from this emulator now live five minutes: inside Connection.refreshAhead at once.
        #expect(try await http.send("POST", calendly + "/_emulator/tokens/lifetime", json: #"{"expires_in":300}"#).status == 200)

        let first = try ServeProcess(environment: environment)
        try await first.start()
        let action = #"{"eventType":"\#(calendly)/event_types/ET-QUICK","emailField":"contact.email","questionMappings":[],"trigger":"t","confirmationMessage":"Booked!","enabled":true}"#
        let agentBase = try await first.connectAndSave(action)
        #expect(try await accessTokens() == 1)
        #expect(await first.terminate() == 0)

        // The next start's token check (the first of the minute loop) finds the token due and refreshes it.
        #expect(try await http.send("POST", calendly + "/_emulator/tokens/lifetime", json: #"{"expires_in":7200}"#).status == 200)
        let second = try ServeProcess(dataDirectory: first.dataDirectory, environment: environment)
        try await second.start()
        defer { Task { [second] in _ = await second.terminate() } }
        #expect(try await eventually { try await accessTokens() == 2 }, "no refresh at start")
        let admin = try #require(second.token("admin"))
        let view = try await http.send("GET", agentBase.replacingOccurrences(of: first.base, with: second.base), token: admin).object()
        #expect((view["connection"] as? [String: Any])?["status"] as? String == "connected", "\(view)")
        // The rotated pair is the one in use: booking works.
        let offered = try await offer(second, "after-refresh", email: "fresh@example.com")
        #expect(offered.object()["state"] as? String == "slotsShown", "\(offered.text)")
        #expect(try await accessTokens() == 2, "one refresh, not one per call")
    }
}
