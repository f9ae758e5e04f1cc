import Core
import Effects
import Logging
import Synchronization

/// What the service keeps about a request that failed authentication (issue 10): a counter in memory
/// and at most one log line per `logInterval` — never a row. The counter's labels are the route and a
/// reason from a fixed set, so its size is bounded whatever strangers send; the log line says how many
/// were folded into it, so a flood is visible without a line per request.
final class UnauthenticatedRequests: Sendable {
    static let logInterval = Span.minutes(1)

    private struct Window { var lastLogged: Instant?; var suppressed = 0 }
    private let window = Mutex(Window())
    let route: String
    let metrics: Metrics
    let logger: Logger

    init(route: String, metrics: Metrics, logger: Logger) {
        self.route = route; self.metrics = metrics; self.logger = logger
    }

    /// `reason` must come from a fixed vocabulary (e.g. `WebhookSignature.Failure`), never from the request.
    func record(reason: String, at now: Instant) {
        metrics.increment("calendly_unauthenticated_requests_total", labels: ["route": route, "reason": reason],
                          help: "Requests refused before authentication (nothing is stored for them)")
        let folded: Int? = window.withLock { window in
            if let last = window.lastLogged, now - last < Self.logInterval {
                window.suppressed = window.suppressed.saturatingIncrement()
                return nil
            }
            defer { window.lastLogged = now; window.suppressed = 0 }
            return window.suppressed
        }
        guard let folded else { return }
        logger.warning("unauthenticated request refused", metadata: ["route": "\(route)", "reason": "\(reason)", "suppressed_since_last": "\(folded)"])
    }
}

extension Int {
    /// `self + 1`, stopping at `Int.max` (a counter fed by strangers must not trap).
    func saturatingIncrement() -> Int { self == .max ? self : self + 1 }
}
