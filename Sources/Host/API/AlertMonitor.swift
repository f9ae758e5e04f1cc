import Core
import Effects
import Logging
import Synchronization

/// Runs the PRD §13 alert rules (`AlertRules`, pure) over the last hour of telemetry. A rule that
/// starts firing is logged once at critical level and counted in `calendly_alerts_fired_total`, which
/// is what an Alertmanager rule pages on; it may fire again only after it has cleared.
public final class AlertMonitor: Sendable {
    struct State {
        var recent: [TelemetryEvent] = []
        var firing: Set<String> = []
    }

    static let window = Span.hours(1)
    private let state = Mutex(State())
    let metrics: Metrics
    let logger: Logger

    public init(metrics: Metrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
    }

    /// Returns the alerts that started firing with this event.
    @discardableResult
    public func observe(_ event: TelemetryEvent) -> [AlertRules.Alert] {
        let started: [AlertRules.Alert] = state.withLock { state in
            let now = event.at
            state.recent.append(event)
            state.recent.removeAll { $0.at <= now - Self.window }
            let alerts = AlertRules.evaluate(state.recent, now: now)
            let keys = Dictionary(alerts.map { (Self.key($0), $0) }, uniquingKeysWith: { first, _ in first })
            let fresh = keys.filter { !state.firing.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
            state.firing = Set(keys.keys)
            return fresh
        }
        for alert in started {
            metrics.increment("calendly_alerts_fired_total", labels: ["rule": alert.rule.rawValue], help: "PRD §13 alert rules that started firing")
            logger.critical("calendly alert", metadata: [
                "rule": "\(alert.rule.rawValue)", "agent": "\(alert.agent?.rawValue ?? "-")", "observed": "\(alert.observed)", "threshold": "\(alert.threshold)",
            ])
        }
        return started
    }

    static func key(_ alert: AlertRules.Alert) -> String { alert.rule.rawValue + "|" + (alert.agent?.rawValue ?? "") }
}
