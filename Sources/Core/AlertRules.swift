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

    public static func evaluate(_ events: [TelemetryEvent], now: Instant) -> [Alert] {
        let lastHour = now - .hours(1), lastQuarter = now - .minutes(15)
        var offered = 0, failed = 0, fetchFailures = 0, deadLetters = 0
        var connectFailures: [AgentID: Int] = [:]
        var quotaHigh: [CalendlyURI: Int] = [:]
        for event in events where event.at <= now {
            switch event {
            case .bookingOffered(_, _, _, _, let at) where at > lastHour: offered += 1
            case .bookingFailed(_, _, _, let at) where at > lastHour: failed += 1
            case .eventTypesFetchFailed(_, _, let cacheUsed, let at) where at > lastHour && !cacheUsed: fetchFailures += 1
            case .connectFailed(let agent, _, let at) where at > lastQuarter: connectFailures[agent] = (connectFailures[agent] ?? 0) + 1
            case .bookingQuotaHigh(let owner, let used, _, let at) where at > now - .days(1): quotaHigh[owner] = max(quotaHigh[owner] ?? 0, used)
            // Only signed deliveries produce this event (issue 10); a notice about a booking we never made is normal.
            case .webhookRejected(let reason, let at) where at > lastHour && reason != BookingReference.unknownEventReason: deadLetters += 1
            case .connected, .connectFailed, .eventTypesFetchFailed, .bookingOffered, .bookingCreated, .slotConflict, .bookingFailed,
                 .webhookRejected, .bookingCanceled, .bookingRescheduled, .fallbackBooked, .bookingQuotaHigh, .webhookSubscriptionRecreated, .actionNeedsReview:
                continue
            }
        }
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
