import Core
import Effects
import Foundation
import Synchronization

/// Delivers the durable outbox to the chat platform (`MESSAGE_CALLBACK_URL`): each message is POSTed,
/// signed, in `seq` order per conversation, at least once. A 2xx answer marks it delivered; anything else
/// (another status, no answer, a timeout) defers it by `CallbackRetry` and the conversation's later messages
/// wait behind it, while other conversations go on — each conversation has at most one POST in flight and
/// none waits for another's. The delivery state lives in the store, so a restart resumes where it stopped.
/// Wakes on `wake()` (a message was just written) and on its own once a second (retries falling due).
public final class MessageCallback<Store: TransactionalStore>: Sendable {
    public struct Configuration: Sendable {
        public var url: String
        /// The HMAC key of `X-CalendlyAction-Signature` (never logged, never sent).
        public var secret: [UInt8]
        public var timeout: Duration
        public var pollEvery: Duration
        public init(url: String, secret: [UInt8], timeout: Duration = .seconds(10), pollEvery: Duration = .seconds(1)) {
            self.url = url; self.secret = secret; self.timeout = timeout; self.pollEvery = pollEvery
        }
    }

    /// What became of one attempt (the host counts and logs it; the message text is never in it).
    public enum Outcome: Sendable, Equatable {
        case delivered(conversation: ConversationID, seq: Int64, attempts: Int)
        case deferred(conversation: ConversationID, seq: Int64, attempts: Int, failure: String, next: Instant)
        case abandoned(conversation: ConversationID, seq: Int64, attempts: Int, failure: String)
    }

    public static var signatureHeader: String { "X-CalendlyAction-Signature" }

    let configuration: Configuration
    let store: Store
    let client: CurlHTTPClient
    let signature: WebhookSignature
    /// The request body for a message: `{accountId, conversationId, seq, message}` (the host's wire format).
    let body: @Sendable (OutboxMessage) -> [UInt8]
    let now: @Sendable () -> Instant
    /// A fresh random draw per retry (the jitter); tests hand in a seeded source.
    let jitter: @Sendable () -> UInt64
    let observe: @Sendable (Outcome) -> Void
    let failed: @Sendable (any Error) -> Void
    private let inFlight = Mutex<Set<ConversationID>>([])
    private let wakeUps: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation

    public init(configuration: Configuration, store: Store, client: CurlHTTPClient, hmac: @escaping WebhookSignature.HMAC,
                body: @escaping @Sendable (OutboxMessage) -> [UInt8], now: @escaping @Sendable () -> Instant,
                jitter: @escaping @Sendable () -> UInt64 = { UInt64.random(in: 0...UInt64.max) },
                observe: @escaping @Sendable (Outcome) -> Void = { _ in }, failed: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.configuration = configuration; self.store = store; self.client = client
        signature = WebhookSignature(key: configuration.secret, hmac: hmac)
        self.body = body; self.now = now; self.jitter = jitter; self.observe = observe; self.failed = failed
        // One pending wake-up is enough: a pump reads everything due at that moment.
        (wakeUps, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A message was written to the outbox (or a delivery finished): look for work now.
    public func wake() { waker.yield() }

    /// Runs until the task is cancelled: pumps on every wake-up and once per `pollEvery` — while `active`
    /// says so (with several hosts, while this one holds the jobs lease: a host that loses it while alive
    /// stops starting POSTs at once, and starts again if it takes the lease back).
    public func run(while active: @escaping @Sendable () -> Bool = { true }) async {
        let ticker = Task { [self] in
            while !Task.isCancelled {
                wake()
                try? await Task.sleep(for: configuration.pollEvery)
            }
        }
        defer { ticker.cancel() }
        await withTaskCancellationHandler {
            for await _ in wakeUps {
                if Task.isCancelled { break }
                if active() { pump() }
            }
        } onCancel: { [waker] in
            waker.finish()
        }
    }

    /// Starts a POST for each conversation whose next message is due and which has none in flight.
    public func pump() {
        let due: [OutboxMessage]
        do { due = try store.transaction { tx in try tx.callbacksDue(at: now(), limit: 200) } } catch { failed(error); return }
        for message in due {
            let claimed = inFlight.withLock { $0.insert(message.conversation).inserted }
            guard claimed else { continue }
            Task { [self] in
                await attempt(message)
                inFlight.withLock { _ = $0.remove(message.conversation) }
                wake()
            }
        }
    }

    /// One POST of one message and its bookkeeping; returns what became of it.
    @discardableResult
    public func attempt(_ message: OutboxMessage) async -> Outcome {
        guard !CallbackRetry.expired(queuedAt: message.at, now: now()) else {
            let outcome = Outcome.abandoned(conversation: message.conversation, seq: message.seq, attempts: message.attempts, failure: "expired")
            record(outcome) { tx in try tx.callbackDelivered(message.conversation, seq: message.seq, at: now()) }
            return outcome
        }
        let bytes = body(message)
        var request = HTTPRequest("POST", configuration.url, body: bytes, timeout: configuration.timeout, maxBodyBytes: 64 * 1024)
        request.setHeader("Content-Type", "application/json")
        request.setHeader(Self.signatureHeader, signature.header(for: bytes, at: now()))
        let failure: String
        switch await client.send(request) {
        case .success(let response) where (200..<300).contains(response.status):
            let outcome = Outcome.delivered(conversation: message.conversation, seq: message.seq, attempts: message.attempts.saturatingIncrement)
            record(outcome) { tx in try tx.callbackDelivered(message.conversation, seq: message.seq, at: now()) }
            return outcome
        case .success(let response): failure = "status \(response.status)"
        case .failure(let error): failure = error.description
        }
        let attempts = message.attempts.saturatingIncrement
        let at = now()
        switch CallbackRetry.next(queuedAt: message.at, failures: attempts, now: at, jitter: jitter()) {
        case .retry(let next):
            let outcome = Outcome.deferred(conversation: message.conversation, seq: message.seq, attempts: attempts, failure: failure, next: next)
            record(outcome) { tx in try tx.callbackDeferred(message.conversation, seq: message.seq, attempts: attempts, nextAttemptAt: next) }
            return outcome
        case .giveUp:
            // Given up after 24 h: marked done so the conversation's later messages are not held behind it
            // forever (it stays readable at `GET …/messages` until retention).
            let outcome = Outcome.abandoned(conversation: message.conversation, seq: message.seq, attempts: attempts, failure: failure)
            record(outcome) { tx in try tx.callbackDelivered(message.conversation, seq: message.seq, at: at) }
            return outcome
        }
    }

    private func record(_ outcome: Outcome, _ write: (inout Store.Transaction) throws -> Void) {
        do { try store.transaction(write) } catch { failed(error) }
        observe(outcome)
    }
}

extension Int {
    /// `self + 1`, staying at `Int.max` (an attempts counter read back from a row must not trap).
    var saturatingIncrement: Int { self == .max ? .max : self + 1 }
}
