import Effects

/// The PRD §13 alert rules over the last hour of telemetry, as a state: a rule (per agent, where it is
/// per account) that starts firing is reported once, and may be reported again only after it cleared.
///
/// It keeps per-signal tallies that slide with each event's time instead of the events themselves, so an
/// event costs O(1) however busy the hour was (re-evaluating the hour on each event was ~15 % of the CPU
/// under webhook ingest). The decisions are `AlertRules`' own, on the same counts the rules would find in
/// the kept hour: `AlertWatchProperties` checks that against re-evaluating the hour on every event.
public struct AlertWatch: Sendable {
    /// How long the watch remembers: a signal whose rule window is longer (the day of `bookingQuotaHigh`)
    /// counts here for this long only, as it did when the watch kept the events themselves.
    public static let window = Span.hours(1)
    /// One tally per distinct window length, found by a short linear search (there are at most three).
    var tallies: [(window: Span, signals: SlidingTally<AlertRules.Signal>)] = []
    var firing: Set<String> = []

    public init() {}

    /// Takes one event; returns the alerts that started firing with it.
    public mutating func observe(_ event: TelemetryEvent) -> [AlertRules.Alert] {
        let now = event.at
        if let signal = AlertRules.signal(of: event) {
            let window = min(AlertRules.window(of: signal), Self.window)
            if let index = tallies.firstIndex(where: { $0.window == window }) {
                tallies[index].signals.insert(signal, at: now.millisecondsSince1970)
            } else {
                var signals = SlidingTally<AlertRules.Signal>()
                signals.insert(signal, at: now.millisecondsSince1970)
                tallies.append((window, signals))
            }
        }
        var counted = AlertRules.Tallies()
        let forgetBefore = (now - Self.window).millisecondsSince1970
        for index in tallies.indices {
            tallies[index].signals.slide(lower: (now - tallies[index].window).millisecondsSince1970, upper: now.millisecondsSince1970)
            tallies[index].signals.prune(through: forgetBefore)
            for (signal, count) in tallies[index].signals.counts { counted.add(signal, times: count) }
        }
        if counted == AlertRules.Tallies(), firing.isEmpty { return [] }
        let alerts = AlertRules.alerts(from: counted)
        let byKey = Dictionary(alerts.map { (Self.key($0), $0) }, uniquingKeysWith: { first, _ in first })
        let started = byKey.filter { !firing.contains($0.key) }.sorted { $0.key < $1.key }.map(\.value)
        firing = Set(byKey.keys)
        return started
    }

    static func key(_ alert: AlertRules.Alert) -> String { alert.rule.rawValue + "|" + (alert.agent?.rawValue ?? "") }
}
