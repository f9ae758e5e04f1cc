import Hummingbird
import Synchronization

/// Server-side time: wraps the host's router so the bench can read how long the server itself spent
/// answering (from the parsed request to the built response — no client, no loopback, no HTTP parsing),
/// the figure the turn-overhead goal is about (issue 16: ≤ 1 ms above Calendly's own time at p99).
struct TimedRouter: HTTPResponderBuilder {
    let router: Router<BasicRequestContext>
    let spent: ServerTime

    func buildResponder() -> TimedResponder<RouterResponder<BasicRequestContext>> {
        TimedResponder(inner: router.buildResponder(), spent: spent)
    }
}

struct TimedResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context == BasicRequestContext {
    typealias Context = BasicRequestContext
    let inner: Inner
    let spent: ServerTime

    @Sendable func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let clock = ContinuousClock()
        let started = clock.now
        defer { spent.add(clock.now - started) }
        return try await inner.respond(to: request, context: context)
    }
}

/// Time the server spent answering since the last `take()` (the turn bench sends one request at a time),
/// and how many requests that was: the emulator's webhook deliveries reach the same router, so a turn's
/// window can hold more than its own request (the worst turn's detail says how many).
final class ServerTime: Sendable {
    private let total = Mutex((spent: Duration.zero, requests: 0))
    func add(_ duration: Duration) { total.withLock { $0.spent += duration; $0.requests += 1 } }
    func take() -> Duration { takeWithCount().spent }
    func takeWithCount() -> (spent: Duration, requests: Int) {
        total.withLock { value in defer { value = (.zero, 0) }; return value }
    }
}
