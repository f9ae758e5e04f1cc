import Core
import Effects
import Foundation
import Testing
@testable import Interpreters
#if canImport(Glibc)
import Glibc
#endif

/// Issue 11 defect 8 through real processes: a timer pending when `serve` dies (kill -9) fires after it is
/// started again on the same data directory, without any request — and its effect, the looked-up
/// booking's confirmation, reaches the customer through the durable outbox.
@Suite(.serialized) struct DurableTimerRestartEndToEndTests {
    let http = HTTPClient()

    @Test func aReconcileTimerPendingAtACrashFiresAfterTheRestart() async throws {
        // Calendly is a separate `emulate`, so it (and the booking) outlives serve. Serve checks webhooks with
        // another key than the emulator signs with: only the timer's lookup can confirm this booking.
        let calendly = try await EmulateProcess()
        defer { calendly.stop() }
        let environment = calendlyModeEnvironment(calendly: calendly.base, signingKey: "not-the-emulators-webhook-signing-key")
        let data = NSTemporaryDirectory() + "timer-restart-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: data) }
        let database = data + "/calendly-action.sqlite"

        let first = try ServeProcess(dataDirectory: data, environment: environment)
        try await first.start()
        try await first.connectAndSave(#"{"eventType":"\#(calendly.base)/event_types/ET-QUICK","emailField":"contact.email","questionMappings":[],"trigger":"t","confirmationMessage":"Booked!","enabled":true}"#)
        let runtime = try #require(first.token("runtime"))
        let path = first.base + "/v1/conversations/restart-1/booking/"
        let offer = try await http.send("POST", path + "offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.email":"re@example.com"}}"#)
        #expect(offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        // Calendly books, the reply is lost, and every lookup fails: the conversation waits on its reconcile timer.
        #expect(try await http.send("POST", calendly.base + "/_emulator/faults", json: #"{"path":"/invitees","method":"POST","after_commit":true,"close":true}"#).status == 201)
        #expect(try await http.send("POST", calendly.base + "/_emulator/faults", json: #"{"path":"/scheduled_events*","method":"GET","status":503,"count":1000}"#).status == 201)
        let waiting = try await http.send("POST", path + "reply", token: runtime, json: #"{"text":"1"}"#)
        #expect(waiting.object()["state"] as? String == "reconciling", "\(waiting.text)")

        // The process dies; whatever it had in memory is gone. The timer is a row.
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let pending = try SQLiteStore(path: database).transaction { tx in try tx.dueTimers(at: Instant(millisecondsSince1970: .max), limit: 10) }
        #expect(pending.contains { $0.conversation == ConversationID("acme:restart-1") && $0.timer.rawValue.hasSuffix("/reconcile") }, "\(pending)")
        let booked = try await http.send("GET", calendly.base + "/_emulator/state").object()["bookings"] as? [[String: Any]] ?? []
        #expect(booked.count == 1, "Calendly holds the booking whose reply was lost")

        // Calendly answers again; serve comes back on the same data and nobody sends it anything for this conversation.
        #expect(try await http.send("DELETE", calendly.base + "/_emulator/faults").status < 300)
        let restartedAt = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        let second = try ServeProcess(dataDirectory: data, environment: environment)
        try await second.start()
        defer { Task { [second] in _ = await second.terminate() } }

        // The timer row leaves the table only when it fires (once). Recovery may confirm the booking before
        // the timer is due; the timer then fires on a confirmed conversation, a step that changes nothing
        // and so leaves no journal row (the engine writes none for a no-op step) — the row's going is the proof.
        var stillPending = pending
        for _ in 0..<300 where stillPending.contains(where: { $0.conversation == ConversationID("acme:restart-1") }) {
            try await Task.sleep(for: .milliseconds(100))
            stillPending = try SQLiteStore(path: database).transaction { tx in try tx.dueTimers(at: Instant(millisecondsSince1970: .max), limit: 10) }
        }
        #expect(!stillPending.contains { $0.conversation == ConversationID("acme:restart-1") },
                "the timer pending at the crash never fired after the restart (started \(restartedAt))")
        // Its effect reached the customer: the booking is confirmed, in the outbox once.
        let runtimeAgain = try #require(second.token("runtime"))
        var messages: [[String: Any]] = []
        for _ in 0..<100 where !messages.contains(where: { $0["type"] as? String == "confirmation_card" }) {
            messages = try await http.send("GET", second.base + "/v1/conversations/restart-1/booking/messages", token: runtimeAgain).object()["messages"] as? [[String: Any]] ?? []
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(messages.filter { $0["type"] as? String == "confirmation_card" }.count == 1, "\(messages)")
        let state = try await http.send("GET", second.base + "/v1/conversations/restart-1/booking/messages", token: runtimeAgain).object()["state"] as? String
        #expect(state == "confirmed")
        #expect((try await http.send("GET", calendly.base + "/_emulator/state").object()["bookings"] as? [[String: Any]] ?? []).count == 1,
                "looked up, never booked twice")
    }
}
