import Foundation
import Testing

/// Issue 4: `serve` on a fresh data directory with no environment — demo mode with the built-in
/// emulator — walked over real HTTP through S01–S04 like the README's curl walk.
@Suite(.serialized) struct ServeEndToEndTests {
    let http = HTTPClient()

    @Test func freshServeWalksConnectConfigureBookAndCountOverHTTP() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        let admin = try #require(serve.token("admin"))
        let runtime = try #require(serve.token("runtime"))
        #expect(serve.banner.contains { $0.contains("demo mode") && $0.contains(serve.emulator) })
        let agent = serve.base + "/v1/agents/sales-bot/calendly"

        // S01: connect through the emulator's OAuth (auto-approve), following the redirects like a browser.
        let connect = try await http.send("POST", agent + "/connect", token: admin)
        #expect(connect.status == 200)
        let authorize = try #require(connect.object()["authorizeUrl"] as? String)
        #expect(authorize.hasPrefix(serve.emulator + "/oauth/authorize?") && authorize.contains("code_challenge_method=S256"))
        let callback = try await http.send("GET", authorize)
        #expect(callback.status == 200 && callback.object()["message"] as? String == "Connected as host@example.com", "\(callback.text)")

        // Connecting subscribed serve to Calendly's webhooks (organization scope, its public URL).
        let subscribed = try await http.send("GET", serve.emulator + "/_emulator/state")
        #expect(subscribed.text.contains(#""callback_url":"\#(serve.base)/v1/webhooks/calendly""#), "\(subscribed.text)")

        // S02: only eligible single-host types are listed; a save is validated, then persisted.
        let types = try await http.send("GET", agent + "/event-types", token: admin)
        let names = (types.object()["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(names.contains("Intro call") && names.contains("Quick chat"))
        for ineligible in ["Team round robin", "Panel interview", "Group webinar", "Old consultation", "Paid strategy session", "Meeting poll"] {
            #expect(!names.contains(ineligible), "\(ineligible) must not be offered")
        }
        let intro = serve.emulator + "/event_types/ET-INTRO"
        let invalid = try await http.send("PUT", agent + "/action", token: admin, json: #"{"eventType":"\#(intro)","questionMappings":[],"trigger":"","confirmationMessage":"","enabled":true}"#)
        #expect(invalid.status == 422 && invalid.object()["field"] as? String == "emailField")
        let action = #"{"eventType":"\#(intro)","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#
        let saved = try await http.send("PUT", agent + "/action", token: admin, json: action)
        #expect(saved.status == 200 && saved.object()["runnable"] as? Bool == true, "\(saved.text)")

        // S03 on WhatsApp: an interactive list, a row id back, an email asked for, a confirmation card.
        let conversation = serve.base + "/v1/conversations/wa-1/booking"
        let offer = try await http.send("POST", conversation + "/offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"whatsapp","timeZone":"Asia/Jakarta","contact":{"contact.name":"Ana","contact.company":"Acme"}}"#)
        #expect(offer.status == 200 && offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        let list = (offer.object()["messages"] as? [[String: Any]] ?? []).first { $0["type"] as? String == "interactive_list" }
        let row = try #require((list?["rows"] as? [[String: Any]])?.first?["id"] as? String, "\(offer.text)")
        let picked = try await http.send("POST", conversation + "/reply", token: runtime, json: #"{"rowId":"\#(row)"}"#)
        #expect(picked.object()["state"] as? String == "askingEmail", "\(picked.text)")
        let booked = try await http.send("POST", conversation + "/reply", token: runtime, json: #"{"text":"ana@example.com"}"#)
        #expect(booked.object()["state"] as? String == "confirmed", "\(booked.text)")
        #expect(booked.text.contains("confirmation_card") && booked.text.contains("See you soon!"))

        // Exactly one booking at Calendly, made through the scheduling API with the mapped answer.
        let world = try await http.send("GET", serve.emulator + "/_emulator/state")
        let bookings = world.object()["bookings"] as? [[String: Any]] ?? []
        #expect(bookings.count == 1 && bookings.first?["email"] as? String == "ana@example.com")
        let invitee = try #require(bookings.first?["invitee"] as? String)

        // S04: the signed invitee.created webhook arrives on its own; a cancel at Calendly is counted too.
        #expect(try await eventually { try await serve.totals()["created"] == 1 })
        let cancel = try await http.send("POST", serve.emulator + "/_emulator/bookings/cancel", json: #"{"invitee":"\#(invitee)"}"#)
        #expect(cancel.status == 204)
        #expect(try await eventually { try await serve.totals()["canceled"] == 1 })
        #expect(try await serve.totals()["created"] == 1, "a cancellation never changes the created count")

        // A forged webhook changes nothing and is told so.
        let forged = try await http.send("POST", serve.base + "/v1/webhooks/calendly", json: #"{"event":"invitee.created","payload":{}}"#)
        #expect(forged.status == 401 || forged.status == 400)

        // Ops: ready, metrics with booking counters and per-call Calendly latency.
        #expect(try await http.send("GET", serve.base + "/ready").status == 200)
        let metrics = try await http.send("GET", serve.base + "/metrics").text
        #expect(metrics.contains(#"calendly_calls_total{call="createInvitee",outcome="ok"} 1"#), "\(metrics)")
        #expect(metrics.contains("calendly_call_duration_seconds"))

        // S01 disconnect, then a graceful stop.
        let disconnected = try await http.send("DELETE", agent + "/connection", token: admin)
        #expect(disconnected.status == 200 && disconnected.object()["status"] as? String == "not_connected", "\(disconnected.text)")
        let after = try await http.send("GET", serve.emulator + "/_emulator/state")
        #expect(after.text.contains(#""webhook_subscriptions":[]"#), "disconnect deletes the webhook subscription")
        #expect(after.text.contains(#""revoked_access":1"#), "and revokes the token at Calendly: \(after.text)")
        #expect(await serve.terminate() == 0)
        // The development keys were generated and kept, never printed.
        let keys = try String(contentsOfFile: serve.dataDirectory + "/dev-keys.json", encoding: .utf8)
        let printed = serve.banner.joined(separator: "\n")
        #expect(!keys.isEmpty && !printed.contains("jwtSecret") && !printed.contains("tokenEncryptionKey"))
    }

    @Test func badConfigurationStopsServeWithOneLinePerProblem() async throws {
        let serve = try ServeProcess(environment: ["TOKEN_ENCRYPTION_KEY": "not-base64!", "CALENDLY_CLIENT_ID": "abc", "LOG_LEVEL": "loud"])
        await #expect(throws: ServeProcess.Failure.self) { try await serve.start(timeout: .seconds(30)) }
        serve.process.waitUntilExit()
        #expect(serve.process.terminationStatus == 2)
        let errors = serve.stderrText()
        #expect(errors.contains("TOKEN_ENCRYPTION_KEY must be base64"))
        #expect(errors.contains("CALENDLY_CLIENT_SECRET is required"))
        #expect(errors.contains("LOG_LEVEL must be one of"))
        #expect(!errors.contains("not-base64!"), "values are never echoed")
    }

    @Test func restartKeepsTheActionAndTheCountsAndPurgeRunsOnDemand() async throws {
        let first = try ServeProcess()
        try await first.start()
        _ = try await first.connectAndSave(first.quickAction)
        let runtime = try #require(first.token("runtime"))
        let offer = try await http.send("POST", first.base + "/v1/conversations/c-1/booking/offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{}}"#)
        #expect(offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        #expect(await first.terminate() == 0)

        let purge = Process()
        purge.executableURL = try ServeProcess.executable()
        purge.arguments = ["purge", "--data-dir", first.dataDirectory]
        let output = Pipe()
        purge.standardOutput = output
        try purge.run()
        purge.waitUntilExit()
        #expect(purge.terminationStatus == 0)
        #expect(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("retention run done"))

        let second = try ServeProcess(dataDirectory: first.dataDirectory)
        try await second.start()
        let secondAdmin = try #require(second.token("admin"))
        let view = try await http.send("GET", second.base + "/v1/agents/sales-bot/calendly", token: secondAdmin)
        #expect(view.status == 200 && view.text.contains("ET-QUICK"), "the saved action survives a restart: \(view.text)")
        #expect(try await second.totals()["offered"] == 1, "counts survive restart and purge")
        #expect(await second.terminate() == 0)
    }

    /// With Calendly credentials set, serve runs no emulator of its own and talks to the configured
    /// Calendly — here a separately started `emulate`, standing in for api.calendly.com.
    @Test func withCredentialsServeTalksToTheConfiguredCalendly() async throws {
        let emulator = try await EmulateProcess()
        defer { emulator.stop() }
        let calendly = emulator.base

        let serve = try ServeProcess(environment: calendlyModeEnvironment(calendly: calendly, signingKey: "a-webhook-signing-key-of-some-length"))
        try await serve.start()
        #expect(!serve.banner.contains { $0.contains("demo mode") })
        let admin = try #require(serve.token("admin"))
        let agent = serve.base + "/v1/agents/real/calendly"
        let authorize = try #require(try await http.send("POST", agent + "/connect", token: admin).object()["authorizeUrl"] as? String)
        #expect(authorize.hasPrefix(calendly + "/oauth/authorize?client_id=emulator-client-id"))
        let callback = try await http.send("GET", authorize)
        #expect(callback.object()["status"] as? String == "connected", "\(callback.text)")
        let types = try await http.send("GET", agent + "/event-types?q=Intro", token: admin)
        #expect(types.text.contains(calendly + "/event_types/ET-INTRO"))
        #expect(await serve.terminate() == 0)
    }


}
