import Core
import Effects
import Foundation
import Synchronization
import Testing
@testable import Host
@testable import Interpreters

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

    /// The same lost-reply booking with `MESSAGE_CALLBACK_URL` set: the chat platform (a loopback receiver that
    /// answers 500 to the first two POSTs) gets every outbox message signed, the first on its third attempt,
    /// each accepted exactly once and in `seq` order — the same messages a poller reads at `…/messages`.
    @Test func lostBookingReplyIsPostedToTheCallbackSignedOnceInOrderAfterTwoFailures() async throws {
        let secret = "a-callback-secret-for-tests"
        let log = CallbackPosts()
        let receiver = try LoopbackHTTPServer { request, connection in
            let status = log.posts.withLock { posts in
                let status = posts.count < 2 ? 500 : 200
                posts.append((status, request.body, request.headers["x-calendlyaction-signature"], request.path))
                return status
            }
            connection.write(LoopbackHTTPServer.reply(status))
            return true
        }
        defer { receiver.stop() }
        let serve = try ServeProcess(environment: ["MESSAGE_CALLBACK_URL": receiver.base + "/chat/callback?tenant=t1", "MESSAGE_CALLBACK_SECRET": secret])
        try await serve.start()
        defer { Task { [serve] in _ = await serve.terminate() } }
        let runtime = try #require(serve.token("runtime"))
        try await serve.connectAndSave(#"{"eventType":"\#(serve.emulator)/event_types/ET-INTRO","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#)
        let conversation = serve.base + "/v1/conversations/late-2/booking"
        let offer = try await http.send("POST", conversation + "/offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"Europe/Berlin","contact":{"contact.name":"Ana","contact.company":"Acme"}}"#)
        #expect(offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        _ = try await http.send("POST", conversation + "/reply", token: runtime, json: #"{"text":"1"}"#)
        _ = try await http.send("POST", serve.emulator + "/_emulator/faults", json: #"{"path":"/invitees","method":"POST","after_commit":true,"close":true}"#)
        _ = try await http.send("POST", serve.emulator + "/_emulator/faults", json: #"{"path":"/scheduled_events*","method":"GET","status":503,"count":50}"#)
        let waiting = try await http.send("POST", conversation + "/reply", token: runtime, json: #"{"text":"ana@example.com"}"#)
        #expect(!waiting.text.contains("confirmation_card"), "the booking's reply was lost: nothing is confirmed yet: \(waiting.text)")

        func accepted() -> [[String: Any]] {
            log.posts.withLock { $0.filter { $0.status == 200 } }.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body))) as? [String: Any] }
        }
        func hasCard() -> Bool { accepted().contains { ($0["message"] as? [String: Any])?["type"] as? String == "confirmation_card" } }
        // Two failures back off 1 s + 2 s (less jitter) before the third attempt; the loop polls each second.
        var waited = 0
        while !hasCard(), waited < 300 { try await Task.sleep(for: .milliseconds(100)); waited += 1 }
        #expect(hasCard(), "the confirmation never reached the callback: \(log.posts.withLock { $0.map(\.status) }) \(serve.stderrText())")
        // The poller's view, for comparison (reading does not change what the callback gets).
        let polled = try await http.send("GET", conversation + "/messages?after=0", token: runtime).object()["messages"] as? [[String: Any]] ?? []
        try await Task.sleep(for: .seconds(2))   // nothing more may come: each message is accepted once

        let all = log.posts.withLock { $0 }
        let bodies = all.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body))) as? [String: Any] }
        let seqs = bodies.map { ($0["seq"] as? NSNumber)?.int64Value ?? -1 }
        #expect(all.count == polled.count + 2 && seqs.prefix(3) == [1, 1, 1], "seq 1 failed twice and got through on the third POST: \(seqs)")
        let acceptedSeqs = accepted().map { ($0["seq"] as? NSNumber)?.int64Value ?? -1 }
        #expect(acceptedSeqs == Array(1...Int64(max(1, polled.count))), "each accepted once, in order: \(acceptedSeqs)")
        #expect(accepted().filter { ($0["message"] as? [String: Any])?["type"] as? String == "confirmation_card" }.count == 1)
        #expect(accepted().map { ($0["message"] as? [String: Any])?["type"] as? String } == polled.map { $0["type"] as? String }, "the poller reads the same messages")
        let verifier = WebhookSignature(key: Array(secret.utf8), hmac: CryptoHMAC.sha256)
        let spec = try Spec()
        let schema = try #require(((spec.root["components"] as? [String: Any])?["schemas"] as? [String: Any])?["MessageCallback"] as? [String: Any])
        for (post, body) in zip(all, bodies) {
            #expect(post.path == "/chat/callback?tenant=t1")
            #expect(verifier.verify(header: post.signature, body: post.body, now: Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))) == nil)
            #expect(body["accountId"] as? String == "acme" && body["conversationId"] as? String == "late-2", "\(body)")
            #expect(spec.violations(body, schema).isEmpty, "\(spec.violations(body, schema))")
        }
        #expect(!serve.stderrText().contains(secret), "the callback secret is never logged")
    }
}

/// What the test's chat platform received (status it answered, raw body, signature header, path).
final class CallbackPosts: Sendable {
    let posts = Mutex<[(status: Int, body: [UInt8], signature: String?, path: String)]>([])
}
