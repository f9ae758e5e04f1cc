import Core
import Effects
import Foundation
import Synchronization
import Testing
@testable import Host
@testable import Interpreters

/// The outbox's callback deliverer (issue 11) against a loopback receiver over the real curl client: signed
/// POSTs in `seq` order per conversation, a failure deferred by the retry schedule without holding other
/// conversations back, given up after 24 h so later messages go on, and its state kept in the store.
@Suite(.serialized) struct MessageCallbackTests {
    static let t0 = Instant(iso8601: "2026-11-25T02:00:00Z")!
    static let secret = Array("a-callback-secret-for-tests".utf8)
    static let a = ConversationID("acme:a"), b = ConversationID("globex:b")

    /// What the receiver saw, and how it answers per conversation id (500 when failing; no answer when hanging).
    final class ReceiverLog: Sendable {
        let seen = Mutex<[(conversation: String, seq: Int64, status: Int, body: [UInt8], signature: String?)]>([])
        let failing = Mutex<Set<String>>([])
        let hanging = Mutex<Set<String>>([])

        func handle(_ request: LoopbackHTTPServer.Request, _ connection: LoopbackHTTPServer.Connection) -> Bool {
            let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            let conversation = object["conversationId"] as? String ?? ""
            if hanging.withLock({ $0.contains(conversation) }) { connection.waitForClose(); return false }
            let status = failing.withLock { $0.contains(conversation) } ? 500 : 204
            seen.withLock { $0.append((conversation, (object["seq"] as? NSNumber)?.int64Value ?? -1, status, request.body,
                                       request.headers["x-calendlyaction-signature"])) }
            connection.write(LoopbackHTTPServer.reply(status))
            return true
        }
    }

    struct Receiver: Sendable {
        let log = ReceiverLog()
        let server: LoopbackHTTPServer
        init() throws {
            let log = self.log
            server = try LoopbackHTTPServer { request, connection in log.handle(request, connection) }
        }
        func accepted(_ conversation: String) -> [Int64] { log.seen.withLock { $0.filter { $0.conversation == conversation && $0.status < 300 }.map(\.seq) } }
        func tried(_ conversation: String) -> [Int64] { log.seen.withLock { $0.filter { $0.conversation == conversation }.map(\.seq) } }
    }

    static func deliverer(_ store: MemoryRuntimeStore, _ receiver: Receiver, clock: TestClock, timeout: Duration = .seconds(5)) -> MessageCallback<MemoryRuntimeStore> {
        let draws = Draws()
        return MessageCallback(configuration: .init(url: receiver.server.base + "/hook", secret: secret, timeout: timeout, pollEvery: .milliseconds(100)),
                               store: store, client: .shared, hmac: CryptoHMAC.sha256, body: MessageCallbackBody.encode, now: { clock.now },
                               jitter: { draws.next() })
    }

    static func append(_ store: MemoryRuntimeStore, _ conversation: ConversationID, _ texts: [String], at: Instant) throws {
        try store.transaction { tx in for text in texts { _ = try tx.appendOutbox(ChannelMessage(conversation: conversation, content: .text(text)), at: at) } }
    }

    /// One round as the deliverer's loop runs it, awaited: every conversation's next due message, once.
    static func round(_ callback: MessageCallback<MemoryRuntimeStore>, _ store: MemoryRuntimeStore, at: Instant) async throws -> [MessageCallback<MemoryRuntimeStore>.Outcome] {
        let due = try store.transaction { tx in try tx.callbacksDue(at: at, limit: 100) }
        var outcomes: [MessageCallback<MemoryRuntimeStore>.Outcome] = []
        for message in due { outcomes.append(await callback.attempt(message)) }
        return outcomes
    }

    @Test func messagesArePostedSignedInOrderAndAFailingConversationWaitsAloneUntilItsRetryIsDue() async throws {
        let receiver = try Receiver()
        defer { receiver.server.stop() }
        let store = MemoryRuntimeStore(), clock = TestClock(Self.t0)
        let callback = Self.deliverer(store, receiver, clock: clock)
        try Self.append(store, Self.a, ["a1", "a2"], at: Self.t0)
        try Self.append(store, Self.b, ["b1", "b2"], at: Self.t0)
        receiver.log.failing.withLock { $0 = ["a"] }

        // a's first message fails and is deferred 0.75–1 s; b goes on regardless, both of its messages in order.
        let first = try await Self.round(callback, store, at: clock.now)
        #expect(first.count == 2)
        for outcome in first {
            if case .deferred(let conversation, let seq, let attempts, let failure, let next) = outcome {
                #expect(conversation == Self.a && seq == 1 && attempts == 1 && failure == "status 500")
                #expect(next > Self.t0 + .milliseconds(749) && next <= Self.t0 + .seconds(1), "\(next)")
            } else {
                #expect(outcome == .delivered(conversation: Self.b, seq: 1, attempts: 1))
            }
        }
        #expect(try await Self.round(callback, store, at: clock.now) == [.delivered(conversation: Self.b, seq: 2, attempts: 1)])
        #expect(try await Self.round(callback, store, at: clock.now).isEmpty, "a's retry is not due yet; b is done")

        // Past the retry the platform is back: a1 on its second attempt, then a2 — never a2 before a1.
        clock.advance(.seconds(1))
        receiver.log.failing.withLock { $0 = [] }
        #expect(try await Self.round(callback, store, at: clock.now) == [.delivered(conversation: Self.a, seq: 1, attempts: 2)])
        #expect(try await Self.round(callback, store, at: clock.now) == [.delivered(conversation: Self.a, seq: 2, attempts: 1)])
        #expect(try await Self.round(callback, store, at: clock.now).isEmpty)
        #expect(receiver.tried("a") == [1, 1, 2] && receiver.accepted("a") == [1, 2] && receiver.accepted("b") == [1, 2])

        // Every POST is signed over its exact body with the secret, and names the account and the caller's id.
        let verifier = WebhookSignature(key: Self.secret, hmac: CryptoHMAC.sha256)
        for post in receiver.log.seen.withLock({ $0 }) {
            #expect(verifier.verify(header: post.signature, body: post.body, now: clock.now) == nil, "\(post.signature ?? "unsigned")")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(post.body)) as? [String: Any])
            #expect(object["accountId"] as? String == (post.conversation == "a" ? "acme" : "globex"))
            #expect((object["message"] as? [String: Any])?["type"] as? String == "text")
            let spec = try Spec()
            let schema = try #require(((spec.root["components"] as? [String: Any])?["schemas"] as? [String: Any])?["MessageCallback"] as? [String: Any])
            #expect(spec.violations(object, schema).isEmpty, "\(spec.violations(object, schema))")
        }
        #expect(WebhookSignature(key: Array("another-secret-entirely".utf8), hmac: CryptoHMAC.sha256)
            .verify(header: receiver.log.seen.withLock { $0[0].signature }, body: receiver.log.seen.withLock { $0[0].body }, now: clock.now) == .mismatch)
    }

    @Test func aMessageStillFailingADayAfterItWasWrittenIsGivenUpAndTheNextOneGoesOn() async throws {
        let receiver = try Receiver()
        defer { receiver.server.stop() }
        let store = MemoryRuntimeStore(), clock = TestClock(Self.t0)
        let callback = Self.deliverer(store, receiver, clock: clock)
        try Self.append(store, Self.a, ["old"], at: Self.t0)
        try Self.append(store, Self.a, ["new"], at: Self.t0 + .hours(24))
        receiver.log.failing.withLock { $0 = ["a"] }
        clock.advance(.hours(24))
        #expect(try await Self.round(callback, store, at: clock.now) == [.abandoned(conversation: Self.a, seq: 1, attempts: 0, failure: "expired")])
        #expect(receiver.tried("a").isEmpty, "a day-old message is not posted at all")
        // One failing a millisecond before its deadline is given up too: its retry would come after it.
        clock.advance(.milliseconds(Span.hours(24).milliseconds - 1))
        #expect(try await Self.round(callback, store, at: clock.now) == [.abandoned(conversation: Self.a, seq: 2, attempts: 1, failure: "status 500")])
        try Self.append(store, Self.a, ["newest"], at: clock.now)
        receiver.log.failing.withLock { $0 = [] }
        #expect(try await Self.round(callback, store, at: clock.now) == [.delivered(conversation: Self.a, seq: 3, attempts: 1)])
        #expect(receiver.tried("a") == [2, 3])
        // Given up on the callback, still readable by a poller.
        #expect(try store.transaction { try $0.outbox(Self.a, after: 0, limit: 10) }.map(\.seq) == [1, 2, 3])
    }

    @Test func anUnreachablePlatformIsDeferredNotDropped() async throws {
        let store = MemoryRuntimeStore(), clock = TestClock(Self.t0)
        let receiver = try Receiver()
        let port = receiver.server.port
        receiver.server.stop()
        let closed = MessageCallback(configuration: .init(url: "http://127.0.0.1:\(port)/hook", secret: Self.secret, timeout: .seconds(2)),
                                     store: store, client: .shared, hmac: CryptoHMAC.sha256, body: MessageCallbackBody.encode, now: { clock.now })
        try Self.append(store, Self.a, ["a1"], at: Self.t0)
        let outcome = try #require(try await Self.round(closed, store, at: clock.now).first)
        guard case .deferred(_, 1, 1, let failure, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure == "not sent")
    }

    /// The loop as `serve` runs it: a conversation whose receiver hangs does not hold another's delivery up
    /// for longer than the POST timeout. (Over plain-HTTP/1.1 the curl client's PIPEWAIT makes a second request
    /// to the same host wait for the hanging one's connection until its timeout — hence the short timeout here.)
    @Test func theRunningLoopDeliversOtherConversationsWhileOneHangs() async throws {
        let receiver = try Receiver()
        defer { receiver.server.stop() }
        receiver.log.hanging.withLock { $0 = ["a"] }
        let store = MemoryRuntimeStore()
        let callback = MessageCallback(configuration: .init(url: receiver.server.base + "/hook", secret: Self.secret, timeout: .seconds(2),
                                                            pollEvery: .milliseconds(200)),
                                       store: store, client: .shared, hmac: CryptoHMAC.sha256, body: MessageCallbackBody.encode,
                                       now: { Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)) })
        let running = Task { await callback.run() }
        defer { running.cancel() }
        let now = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        try Self.append(store, Self.a, ["a1"], at: now)
        try Self.append(store, Self.b, ["b1"], at: now)
        callback.wake()
        #expect(try await eventually { receiver.accepted("b") == [1] }, "b waited behind a's hanging receiver")
        try Self.append(store, Self.b, ["b2"], at: now)
        callback.wake()
        #expect(try await eventually { receiver.accepted("b") == [1, 2] })
        #expect(receiver.accepted("a").isEmpty)
    }
}

extension MessageCallbackTests {
    /// With several hosts the loop POSTs only while its host holds the jobs lease: a host that loses it
    /// while alive stops at once (another host's deliverer has taken over), and starts again on taking it back.
    @Test func theLoopPostsOnlyWhileItsHostLeads() async throws {
        let receiver = try Receiver()
        defer { receiver.server.stop() }
        let store = MemoryRuntimeStore()
        let leads = Atomic<Bool>(false)
        let callback = MessageCallback(configuration: .init(url: receiver.server.base + "/hook", secret: Self.secret, timeout: .seconds(2),
                                                            pollEvery: .milliseconds(50)),
                                       store: store, client: .shared, hmac: CryptoHMAC.sha256, body: MessageCallbackBody.encode,
                                       now: { Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)) })
        let running = Task { await callback.run(while: { leads.load(ordering: .acquiring) }) }
        defer { running.cancel() }
        let now = Instant(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))
        try Self.append(store, Self.a, ["a1"], at: now)
        callback.wake()
        try await Task.sleep(for: .milliseconds(400))   // eight ticks without the lease
        #expect(receiver.accepted("a").isEmpty, "a host that does not lead POSTs nothing")
        leads.store(true, ordering: .releasing)
        #expect(try await eventually { receiver.accepted("a") == [1] }, "it delivers once it leads")
    }
}

/// A seeded jitter source (an LCG): the same draws every run.
final class Draws: Sendable {
    private let state = Mutex<UInt64>(42)
    func next() -> UInt64 { state.withLock { $0 = $0 &* 6364136223846793005 &+ 1442695040888963407; return $0 } }
}
