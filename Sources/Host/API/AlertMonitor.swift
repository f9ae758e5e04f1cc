import Core
import Effects
import Logging
import Synchronization

/// Runs `AlertWatch` over the host's telemetry. A rule that starts firing is logged once at critical
/// level and counted in `calendly_alerts_fired_total`, which is what an Alertmanager rule pages on.
public final class AlertMonitor: Sendable {
    private let watch = Mutex(AlertWatch())
    let metrics: Metrics
    let logger: Logger

    public init(metrics: Metrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
    }

    /// Returns the alerts that started firing with this event.
    @discardableResult
    public func observe(_ event: TelemetryEvent) -> [AlertRules.Alert] {
        let started = watch.withLock { $0.observe(event) }
        for alert in started {
            metrics.increment("calendly_alerts_fired_total", labels: ["rule": alert.rule.rawValue], help: "PRD §13 alert rules that started firing")
            logger.critical("calendly alert", metadata: [
                "rule": "\(alert.rule.rawValue)", "agent": "\(alert.agent?.rawValue ?? "-")", "observed": "\(alert.observed)", "threshold": "\(alert.threshold)",
            ])
        }
        return started
    }
}
