import Effects

/// The PRD §13 alert rules over the last hour of telemetry, as a state: a rule (per agent, where it is
/// per account) that starts firing is reported once, and may be reported again only after it cleared.
public struct AlertWatch: Sendable {
    public static let window = Span.hours(1)
    var recent: [TelemetryEvent] = []
    var firing: Set<String> = []

    public init() {}

    /// Takes one event; returns the alerts that started firing with it.
    public mutating func observe(_ event: TelemetryEvent) -> [AlertRules.Alert] {
        let now = event.at
        recent.append(event)
        recent.removeAll { $0.at <= now - Self.window }
        let alerts = AlertRules.evaluate(recent, now: now)
        let byKey = Dictionary(alerts.map { (Self.key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let started = byKey.filter { !firing.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        firing = Set(byKey.keys)
        return started
    }

    static func key(_ alert: AlertRules.Alert) -> String { alert.rule.rawValue + "|" + (alert.agent?.rawValue ?? "") }
}
