import Effects
import HTTPTypes
import Hummingbird
import Interpreters

/// Calendly's rate-limit page: "All responses include" `X-RateLimit-Limit` (the ceiling, 500 requests
/// per user per minute on paid plans), `X-RateLimit-Remaining` and `X-RateLimit-Reset` (seconds until
/// the window resets, "typically 60") — calendly-api-research-notes.md §7.2. The emulator counts and
/// reports; it does not refuse at the ceiling (load tests run far past it): refusals are what
/// `/_emulator/quota` and `/_emulator/faults` are for.
struct RateLimitWindow: Sendable {
    static let limit = 500
    static let length = Span.minutes(1)

    var startedAt: Instant?
    var used = 0

    /// Counts one request at `now`; the three header values to send with its reply.
    mutating func count(at now: Instant) -> (limit: Int, remaining: Int, resetSeconds: Int64) {
        if let startedAt, now - startedAt < Self.length {
            used = used < Int.max ? used + 1 : used
        } else {
            startedAt = now
            used = 1
        }
        let elapsed = (now - (startedAt ?? now)).milliseconds
        let seconds = max(1, (Self.length.milliseconds - elapsed + 999) / 1000)
        return (Self.limit, max(0, Self.limit - used), seconds)
    }
}

extension EmulatorModel {
    func countForRateLimit() -> (limit: Int, remaining: Int, resetSeconds: Int64) { rateWindow.count(at: now) }
}

/// Adds the `X-RateLimit-*` headers to every API reply that does not carry its own (a 429 from the
/// booking quota or a fault has its own values). OAuth and the `/_emulator/` hooks are not Calendly's
/// API host and get none.
struct EmulatorRateLimitMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let model: EmulatorModel

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let path = request.uri.path
        guard !path.hasPrefix("/_emulator/"), !path.hasPrefix("/oauth/"), let limitName = HTTPField.Name("X-RateLimit-Limit"),
              let remainingName = HTTPField.Name("X-RateLimit-Remaining"), let resetName = HTTPField.Name("X-RateLimit-Reset"),
              response.headers[limitName] == nil, response.status != .tooManyRequests else { return response }
        let window = await model.countForRateLimit()
        response.headers[limitName] = String(window.limit)
        response.headers[remainingName] = String(window.remaining)
        response.headers[resetName] = String(window.resetSeconds)
        return response
    }
}
