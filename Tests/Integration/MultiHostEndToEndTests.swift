import Foundation
import Synchronization
import Testing
@testable import PostgresStore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13 end to end: two real `serve` processes on one PostgreSQL database and one `emulate`, behind a
/// test "load balancer" (the public URL Calendly and the browser see) that sends each webhook to both
/// hosts at once. A conversation's messages alternate between the hosts; two conversations on different
/// hosts race for one slot; every webhook is counted once; analytics read alike on both; and a host killed
/// (`kill -9`) while it waits on Calendly has its conversation resumed by the other — one booking.
@Suite(.serialized) struct MultiHostEndToEndTests {
    let http = HTTPClient()

    static let action = #"{"eventType":"CALENDLY/event_types/ET-INTRO","emailField":"contact.email","nameField":"contact.name","questionMappings":[{"question":"Company","field":"contact.company"}],"trigger":"customer asks to meet","confirmationMessage":"See you soon!","enabled":true}"#

    @Test func twoHostsOnOneDatabaseShareConversationsWebhooksJobsAndACrash() async throws {
        guard let database = try MultiHostDatabase.create() else { return }
        let started = ContinuousClock.now
        defer { database.drop() }
        let calendly = try await EmulateProcess()
        defer { calendly.stop() }
        let balancer = try FanOutBalancer()
        defer { balancer.stop() }
        var environment = calendlyModeEnvironment(calendly: calendly.base)
        environment["DATABASE_URL"] = database.url
        environment["PUBLIC_BASE_URL"] = balancer.base

        let a = try ServeProcess(environment: environment)
        try await a.start()
        defer { Task { [a] in _ = await a.terminate() } }
        let b = try ServeProcess(environment: environment)
        try await b.start()
        defer { Task { [b] in _ = await b.terminate() } }
        #expect(a.banner.contains { $0.contains("database: postgres://") }, "\(a.banner)")
        balancer.state.hosts.withLock { $0 = [a.base, b.base] }

        // Connected and configured on A (the OAuth redirect comes back through the balancer); B sees it at once.
        try await a.connectAndSave(Self.action.replacingOccurrences(of: "CALENDLY", with: calendly.base))
        let admin = try #require(b.token("admin")), runtime = try #require(b.token("runtime"))
        let onB = try await http.send("GET", b.base + "/v1/agents/sales-bot/calendly", token: admin)
        #expect(onB.status == 200 && onB.text.contains("ET-INTRO"), "\(onB.text)")

        // 1. One conversation, its messages alternating between the hosts.
        let path = "/v1/conversations/alt-1/booking/"
        let offer = try await http.send("POST", a.base + path + "offer", token: runtime,
                                        json: #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.name":"Ana","contact.company":"Acme"}}"#)
        #expect(offer.object()["state"] as? String == "slotsShown", "\(offer.text)")
        let picked = try await http.send("POST", b.base + path + "reply", token: runtime, json: #"{"text":"1"}"#)
        #expect(picked.object()["state"] as? String == "askingEmail", "B continues what A started: \(picked.text)")
        let booked = try await http.send("POST", a.base + path + "reply", token: runtime, json: #"{"text":"ana@example.com"}"#)
        #expect(booked.object()["state"] as? String == "confirmed" && booked.text.contains("See you soon!"), "\(booked.text)")

        // 2. Two conversations on different hosts race for one slot: one booking, one re-offer.
        let contact = { (name: String) in #"{"agentId":"sales-bot","channel":"text","timeZone":"UTC","contact":{"contact.name":"\#(name)","contact.email":"\#(name.lowercased())@example.com","contact.company":"Acme"}}"# }
        let offerA = try await http.send("POST", a.base + "/v1/conversations/race-a/booking/offer", token: runtime, json: contact("Ann"))
        let offerB = try await http.send("POST", b.base + "/v1/conversations/race-b/booking/offer", token: runtime, json: contact("Bob"))
        #expect(Self.firstSlot(offerA) != nil && Self.firstSlot(offerA) == Self.firstSlot(offerB), "both were offered the same first time: \(offerA.text) \(offerB.text)")
        async let raceA = http.send("POST", a.base + "/v1/conversations/race-a/booking/reply", token: runtime, json: #"{"text":"1"}"#)
        async let raceB = http.send("POST", b.base + "/v1/conversations/race-b/booking/reply", token: runtime, json: #"{"text":"1"}"#)
        let states = [try await raceA, try await raceB].map { $0.object()["state"] as? String ?? "?" }
        #expect(states.sorted() == ["confirmed", "slotsShown"], "one books the slot, the other is offered new times: \(states)")
        let bookings = try await Self.bookings(calendly)
        #expect(bookings.count == 2, "alt-1 and the race's winner: \(bookings)")

        // 3. Every webhook (three invitee.created so far, then a cancel) reached both hosts at once and was counted once.
        let first = try #require(bookings.first?["invitee"] as? String)
        #expect(try await http.send("POST", calendly.base + "/_emulator/bookings/cancel", json: #"{"invitee":"\#(first)"}"#).status == 204)
        let expectedTotals = try await eventually {
            let totals = try await a.totals()
            return totals["canceled"] == 1 && totals["created"] == 2
        }
        let seenTotals = try await a.totals()
        #expect(expectedTotals, "\(seenTotals)")
        let fanned = try await Self.settledWebhooks(balancer, atLeast: 3)
        #expect(fanned.count >= 3, "the balancer saw the webhooks: \(fanned)")
        for delivery in fanned {
            #expect(delivery.filter { $0.contains("duplicate") }.count == 1, "one host applied it, the other found it a duplicate: \(delivery)")
        }

        print("multi-host: webhooks settled \(ContinuousClock.now - started) into the test")
        // 4. Analytics read the same on both hosts.
        let totalsA = try await a.totals(), totalsB = try await b.totals()
        #expect(totalsA == totalsB && totalsA["created"] == 2 && totalsA["canceled"] == 1, "A \(totalsA) B \(totalsB)")

        // 5. A dies (kill -9) while it waits on Calendly: the booking is made, its reply held back. B takes the
        //    jobs over once A's lease expires, resumes the conversation (a lookup, never a second booking).
        //    Calendly's webhooks go nowhere from here: only B's resume can confirm this booking.
        balancer.state.dropWebhooks.store(true, ordering: .releasing)
        let lateOffer = try await http.send("POST", a.base + "/v1/conversations/crash-1/booking/offer", token: runtime, json: contact("Cy"))
        #expect(lateOffer.object()["state"] as? String == "slotsShown", "\(lateOffer.text)")
        #expect(try await http.send("POST", calendly.base + "/_emulator/faults",
                                    json: #"{"path":"/invitees","method":"POST","after_commit":true,"delay_ms":60000}"#).status == 201)
        let hanging = Task { [http] in try? await http.send("POST", a.base + "/v1/conversations/crash-1/booking/reply", token: runtime, json: #"{"text":"1"}"#) }
        let committed = try await eventually { try await Self.bookings(calendly).contains { $0["email"] as? String == "cy@example.com" } }
        #expect(committed, "Calendly made the booking; A waits for its reply")
        kill(a.process.processIdentifier, SIGKILL)
        a.process.waitUntilExit()
        hanging.cancel()
        let killedAt = ContinuousClock.now

        var state: String?
        var messages: [[String: Any]] = []
        for _ in 0..<600 where state != "confirmed" {
            let polled = try await http.send("GET", b.base + "/v1/conversations/crash-1/booking/messages", token: runtime).object()
            state = polled["state"] as? String
            messages = polled["messages"] as? [[String: Any]] ?? []
            if state != "confirmed" { try await Task.sleep(for: .milliseconds(100)) }
        }
        let took = ContinuousClock.now - killedAt
        print("multi-host: B resumed A's conversation \(took) after the kill (test so far \(ContinuousClock.now - started))")
        #expect(state == "confirmed", "B never resumed A's conversation: \(state ?? "nil") \(b.stderrText())")
        #expect(took < .seconds(40), "taken over within the lease (15 s) and a renewal (5 s), plus the lookup: \(took)")
        #expect(messages.filter { $0["type"] as? String == "confirmation_card" }.count == 1, "the customer is told once: \(messages)")
        let cy = try await Self.bookings(calendly).filter { $0["email"] as? String == "cy@example.com" }
        #expect(cy.count == 1, "exactly one booking for the conversation A was driving: \(cy)")
        #expect(await b.terminate() == 0)
        // The emulator still holds A's booking reply back; a graceful stop would wait that out.
        kill(calendly.process.processIdentifier, SIGKILL)
        calendly.process.waitUntilExit()
    }

    static func firstSlot(_ reply: HTTPClient.Reply) -> String? {
        let texts = (reply.object()["messages"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String ?? $0["body"] as? String }
        return texts.joined(separator: "\n").split(separator: "\n").first { $0.hasPrefix("1") }.map(String.init)
    }

    static func bookings(_ calendly: EmulateProcess) async throws -> [[String: Any]] {
        try await HTTPClient().send("GET", calendly.base + "/_emulator/state").object()["bookings"] as? [[String: Any]] ?? []
    }

    /// The fanned-out webhook deliveries, once both hosts have answered each (bodies of both answers).
    static func settledWebhooks(_ balancer: FanOutBalancer, atLeast count: Int) async throws -> [[String]] {
        for _ in 0..<100 {
            let seen = balancer.state.webhookAnswers.withLock { $0 }
            if seen.count >= count, seen.allSatisfy({ $0.count == 2 }) { return seen }
            try await Task.sleep(for: .milliseconds(100))
        }
        return balancer.state.webhookAnswers.withLock { $0 }
    }
}

/// A database of its own per run (the hosts use its `public` schema, as in production), dropped afterwards.
struct MultiHostDatabase {
    let admin: PostgresStore
    let name: String
    let url: String

    static func create(_ test: String = #function) throws -> MultiHostDatabase? {
        guard let base = try PostgresTestDatabase.url(test) else { return nil }
        let admin = try PostgresStore(url: base, schema: "multihost_admin", poolSize: 1)
        let name = "multihost_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try admin.outsideTransaction("CREATE DATABASE \(name)")
        var url = base
        url.database = name
        let password = url.password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        return MultiHostDatabase(admin: admin, name: name,
                                 url: "postgres://\(url.user)\(password)@\(url.host):\(url.port)/\(name)?sslmode=\(url.sslMode.rawValue)")
    }

    func drop() {
        try? admin.outsideTransaction("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}

extension PostgresStore {
    /// A statement PostgreSQL refuses inside a transaction block (CREATE/DROP DATABASE).
    func outsideTransaction(_ sql: String) throws {
        let session = try pool.checkout()
        defer { pool.checkin(session, usable: true) }
        try session.run(sql, operation: "admin")
    }
}

/// The public URL of both hosts: requests go to the first host, except Calendly's webhooks, which go to
/// every host at once — the same bytes and signature — the way a retried delivery may land on two
/// replicas. What each host answered to each webhook is kept. `dropWebhooks`: answered 200, sent nowhere.
final class FanOutBalancer: Sendable {
    final class State: Sendable {
        let hosts = Mutex<[String]>([])
        let webhookAnswers = Mutex<[[String]]>([])
        let dropWebhooks = Atomic<Bool>(false)
    }

    let server: LoopbackHTTPServer
    let state: State
    var base: String { server.base }

    init() throws {
        let state = State()
        self.state = state
        server = try LoopbackHTTPServer { request, connection in
            let targets = state.hosts.withLock { $0 }
            guard let primary = targets.first else { connection.write(LoopbackHTTPServer.reply(503)); return false }
            if request.path.hasPrefix("/v1/webhooks/calendly") {
                if state.dropWebhooks.load(ordering: .acquiring) {
                    connection.write(LoopbackHTTPServer.reply(200, headers: [("Content-Type", "application/json")], body: Array("{}".utf8)))
                    return false
                }
                let index = state.webhookAnswers.withLock { all in all.append([]); return all.count - 1 }
                let replies = Mutex<[(Int, [UInt8])]>([])
                DispatchQueue.concurrentPerform(iterations: targets.count) { at in
                    let reply = FanOutBalancer.forward(request, to: targets[at])
                    replies.withLock { $0.append(reply) }
                    state.webhookAnswers.withLock { $0[index].append("\(reply.0) \(String(decoding: reply.1, as: UTF8.self))") }
                }
                let first = replies.withLock { $0.first } ?? (502, [])
                connection.write(LoopbackHTTPServer.reply(first.0, headers: [("Content-Type", "application/json")], body: first.1))
            } else {
                let reply = FanOutBalancer.forward(request, to: primary)
                connection.write(LoopbackHTTPServer.reply(reply.0, headers: [("Content-Type", "application/json")], body: reply.1))
            }
            return false
        }
    }

    func stop() { server.stop() }

    static func forward(_ request: LoopbackHTTPServer.Request, to host: String) -> (Int, [UInt8]) {
        guard let url = URL(string: host + request.path) else { return (502, []) }
        var forwarded = URLRequest(url: url)
        forwarded.httpMethod = request.method
        forwarded.timeoutInterval = 30
        for (name, value) in request.headers where !["host", "content-length", "connection"].contains(name) {
            forwarded.setValue(value, forHTTPHeaderField: name)
        }
        if !request.body.isEmpty { forwarded.httpBody = Data(request.body) }
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<(Int, [UInt8])>((502, []))
        URLSession.shared.dataTask(with: forwarded) { data, response, _ in
            result.withLock { $0 = ((response as? HTTPURLResponse)?.statusCode ?? 502, Array(data ?? Data())) }
            done.signal()
        }.resume()
        done.wait()
        return result.withLock { $0 }
    }
}
