import Foundation
import Testing

/// Issue 11 defect 1: a confirmation produced after the request that caused it (here: the booking's
/// reply was lost, the webhook confirmed it later) must reach the customer through
/// `GET …/booking/messages` — exactly once — on the production assembly (`serve` as a real process).
@Suite(.serialized) struct LateMessageEndToEndTests {
    let http = HTTPClient()

    @Test func lostBookingReplyConfirmedByWebhookIsDeliveredAtMessagesExactlyOnce() async throws {
        let serve = try ServeProcess()
        try await serve.start()
        let runtime = try #require(serve.token("runtime"))
        let action = #"{"eventType":"\#(serve.emulator)/event_types/ET-INTRO","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#
        try await serve.connectAndSave(action)

        let conversation = serve.base + "/v1/conversations/late-1/booking"
        let offer = try await http.send("POST", conversation + "/offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"Europe/Berlin","contact":{"contact.name":"Ana","contact.company":"Acme"}}"#)
        #expect(offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        #expect(try await http.send("POST", conversation + "/reply", token: runtime, json: #"{"text":"1"}"#).object()["state"] as? String == "askingEmail")

        // Calendly books, then the connection drops before its reply; the lookups that follow fail too.
        let lost = try await http.send("POST", serve.emulator + "/_emulator/faults", json: #"{"path":"/invitees","method":"POST","after_commit":true,"close":true}"#)
        #expect(lost.status == 201)
        let lookups = try await http.send("POST", serve.emulator + "/_emulator/faults", json: #"{"path":"/scheduled_events*","method":"GET","status":503,"count":50}"#)
        #expect(lookups.status == 201)

        let waiting = try await http.send("POST", conversation + "/reply", token: runtime, json: #"{"text":"ana@example.com"}"#)
        #expect(waiting.status == 200, "\(waiting.text)")
        #expect(!waiting.text.contains("confirmation_card"), "the booking's reply was lost: nothing is confirmed yet: \(waiting.text)")

        // The signed invitee.created webhook confirms it; the card is waiting at …/messages, once.
        // A poller passes its cursor (`after` = the last `lastSeq`): it sees every message once, in order.
        var delivered: [[String: Any]] = []
        var cursor: Int64 = 0
        let confirmed = try await eventually {
            let polled = try await http.send("GET", conversation + "/messages?after=\(cursor)", token: runtime)
            delivered += polled.object()["messages"] as? [[String: Any]] ?? []
            cursor = (polled.object()["lastSeq"] as? NSNumber)?.int64Value ?? cursor
            return delivered.contains { $0["type"] as? String == "confirmation_card" }
        }
        #expect(confirmed, "the late confirmation never reached …/messages")
        let again = try await http.send("GET", conversation + "/messages?after=\(cursor)", token: runtime)
        #expect(again.status == 200 && again.object()["state"] as? String == "confirmed", "\(again.text)")
        delivered += again.object()["messages"] as? [[String: Any]] ?? []
        #expect(delivered.filter { $0["type"] as? String == "confirmation_card" }.count == 1, "delivered exactly once: \(delivered)")
        #expect(delivered.map { ($0["seq"] as? NSNumber)?.int64Value ?? 0 } == Array(1...Int64(delivered.count)), "in order, none missed: \(delivered)")
        // The outbox is durable and re-readable from any cursor (a poller that lost its place starts again at 0).
        let replay = try await http.send("GET", conversation + "/messages", token: runtime)
        #expect((replay.object()["messages"] as? [[String: Any]] ?? []).count == delivered.count)
        let refused = try await http.send("GET", conversation + "/messages?after=-1", token: runtime)
        #expect(refused.status == 422, "\(refused.text)")

        let world = try await http.send("GET", serve.emulator + "/_emulator/state")
        #expect((world.object()["bookings"] as? [[String: Any]] ?? []).count == 1, "exactly one booking at Calendly")
        #expect(await serve.terminate() == 0)
    }
}
