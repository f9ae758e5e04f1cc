import Effects

/// The alert rules of PRD §13 as a pure function over the event stream.
public enum AlertRules {
    public enum Rule: String, Codable, Sendable, Hashable {
        /// calendly_booking_failed > 10% of offered in 1 h → page BOT on-call.
        case bookingFailureRate = "booking_failure_rate"
        /// calendly_connect_failed > 5 in 15 min for one account → notify BOT + CSM.
        case connectFailures = "connect_failures"
        /// calendly_eventtypes_fetch_failed with cache_used=false > 20 in 1 h → notify BOT.
        case eventTypeFetchFailures = "eventtype_fetch_failures"
        /// calendly_booking_quota_high in the last 24 h → notify the admin: bookings will soon go to the link.
        case bookingQuotaHigh = "booking_quota_high"
        /// A signed webhook could not be read (dead-lettered) in the last hour → notify BOT: Calendly's payload
        /// changed or ours broke, and bookings made meanwhile are only picked up by reconciliation.
        case webhookDeadLetters = "webhook_dead_letters"
    }

    public struct Alert: Codable, Sendable, Hashable {
        public var rule: Rule
        /// The agent for per-account rules; nil for platform-wide ones.
        public var agent: AgentID?
        public var observed: Int
        public var threshold: String
    }

    /// Below this many offers (or failures) an hour the failure ratio is noise (one failure of one offer is not a page).
    public static let minimumOffersForRate = 10

    /// What one event contributes to the rules; nil for events no rule counts.
    public enum Signal: Hashable, Sendable {
        case offered, failed, eventTypeFetchFailure, deadLetter
        case connectFailure(AgentID)
        case quotaHigh(owner: CalendlyURI, used: Int)
    }

    public static func signal(of event: TelemetryEvent) -> Signal? {
        switch event {
        case .bookingOffered: return .offered
        case .bookingFailed: return .failed
        case .eventTypesFetchFailed(_, _, let cacheUsed, _): return cacheUsed ? nil : .eventTypeFetchFailure
        case .connectFailed(let agent, _, _): return .connectFailure(agent)
        case .bookingQuotaHigh(let owner, let used, _, _): return .quotaHigh(owner: owner, used: used)
        // Only signed deliveries produce this event (issue 10); a notice about a booking we never made is normal.
        case .webhookRejected(let reason, _): return reason == BookingReference.unknownEventReason ? nil : .deadLetter
        case .connected, .bookingCreated, .slotConflict, .bookingCanceled, .bookingRescheduled, .fallbackBooked,
             .webhookSubscriptionRecreated, .actionNeedsReview:
            return nil
        }
    }

    /// How long a signal counts: it counts at `now` when it happened in (now - window, now].
    public static func window(of signal: Signal) -> Span {
        switch signal {
        case .offered, .failed, .eventTypeFetchFailure, .deadLetter: return .hours(1)
        case .connectFailure: return .minutes(15)
        case .quotaHigh: return .days(1)
        }
    }

    /// The signals inside their windows at one moment, which is all the rules decide on.
    public struct Tallies: Sendable, Equatable {
        public var offered = 0, failed = 0, eventTypeFetchFailures = 0, deadLetters = 0
        public var connectFailures: [AgentID: Int] = [:]
        /// The highest usage reported per owner.
        public var quotaHigh: [CalendlyURI: Int] = [:]

        public init() {}

        public mutating func add(_ signal: Signal, times: Int = 1) {
            switch signal {
            case .offered: offered += times
            case .failed: failed += times
            case .eventTypeFetchFailure: eventTypeFetchFailures += times
            case .deadLetter: deadLetters += times
            case .connectFailure(let agent): connectFailures[agent] = (connectFailures[agent] ?? 0) + times
            case .quotaHigh(let owner, let used): quotaHigh[owner] = max(quotaHigh[owner] ?? 0, used)
            }
        }
    }

    public static func evaluate(_ events: [TelemetryEvent], now: Instant) -> [Alert] {
        var tallies = Tallies()
        for event in events where event.at <= now {
            guard let signal = signal(of: event), event.at > now - window(of: signal) else { continue }
            tallies.add(signal)
        }
        return alerts(from: tallies)
    }

    public static func alerts(from tallies: Tallies) -> [Alert] {
        let offered = tallies.offered, failed = tallies.failed, fetchFailures = tallies.eventTypeFetchFailures
        let deadLetters = tallies.deadLetters, connectFailures = tallies.connectFailures, quotaHigh = tallies.quotaHigh
        var alerts: [Alert] = []
        // Availability failures happen before anything is offered, so an availability outage has failures
        // but no offers: volume counts failures too, or the worst outage would never page.
        if max(offered, failed) >= minimumOffersForRate, failed * 10 > offered {
            alerts.append(Alert(rule: .bookingFailureRate, agent: nil, observed: failed, threshold: ">10% of \(offered) offered in 1h"))
        }
        for (agent, count) in connectFailures.sorted(by: { $0.key < $1.key }) where count > 5 {
            alerts.append(Alert(rule: .connectFailures, agent: agent, observed: count, threshold: ">5 in 15min"))
        }
        if fetchFailures > 20 {
            alerts.append(Alert(rule: .eventTypeFetchFailures, agent: nil, observed: fetchFailures, threshold: ">20 without cache in 1h"))
        }
        for (_, used) in quotaHigh.sorted(by: { $0.key < $1.key }) {
            alerts.append(Alert(rule: .bookingQuotaHigh, agent: nil, observed: used, threshold: ">\(BookingQuota.alertPercent)% of the daily booking cap"))
        }
        if deadLetters > 0 {
            alerts.append(Alert(rule: .webhookDeadLetters, agent: nil, observed: deadLetters, threshold: ">0 unreadable signed webhooks in 1h"))
        }
        return alerts
    }
}
