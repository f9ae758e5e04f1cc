import Effects

/// Daily booking counters per agent (S04). Fed by the telemetry stream, never by booking references,
/// so purging references after 24 months leaves the counts untouched (S04 AC-3).
public struct Analytics: Codable, Sendable, Hashable {
    public struct Counts: Codable, Sendable, Hashable {
        public var offered = 0
        public var created = 0
        public var failed = 0
        public var canceled = 0
        public var conflicts = 0
        /// Reschedules in Calendly of bookings made here (one per canceled+created pair; not in `canceled`).
        public var rescheduled = 0
        /// Bookings the customer made through the attributed static link after a fallback.
        public var fallbackBooked = 0
        public init() {}

        public static func + (lhs: Counts, rhs: Counts) -> Counts {
            var sum = Counts()
            sum.offered = lhs.offered + rhs.offered
            sum.created = lhs.created + rhs.created
            sum.failed = lhs.failed + rhs.failed
            sum.canceled = lhs.canceled + rhs.canceled
            sum.conflicts = lhs.conflicts + rhs.conflicts
            sum.rescheduled = lhs.rescheduled + rhs.rescheduled
            sum.fallbackBooked = lhs.fallbackBooked + rhs.fallbackBooked
            return sum
        }

        public var isEmpty: Bool { self == Counts() }
    }

    public struct Day: Codable, Sendable, Hashable, Comparable {
        public var agent: AgentID
        public var date: CivilDate
        public init(agent: AgentID, date: CivilDate) { self.agent = agent; self.date = date }
        public static func < (lhs: Day, rhs: Day) -> Bool { (lhs.agent, lhs.date) < (rhs.agent, rhs.date) }
    }

    public enum Input: Codable, Sendable, Hashable {
        case observed(TelemetryEvent)
    }

    public var days: [Day: Counts]

    public init(days: [Day: Counts] = [:]) { self.days = days }

    public static func reduce(_ state: inout Analytics, _ input: Input) -> [Effect] {
        switch input {
        case .observed(let event):
            guard let day = Analytics.day(of: event) else { return [] }
            var counts = state.days[day] ?? Counts()
            if Analytics.count(event, into: &counts) { state.days[day] = counts }
            return []
        }
    }

    /// The agent-day an event is counted on (UTC days), or nil for events without an agent.
    public static func day(of event: TelemetryEvent) -> Day? {
        event.agent.map { Day(agent: $0, date: event.at.utcDate) }
    }

    /// Adds `event` to a day's counters; false when the event is not a booking outcome. Stores that keep
    /// one row per agent-day (SQLite) call this directly.
    public static func count(_ event: TelemetryEvent, into counts: inout Counts) -> Bool {
        switch event {
        case .bookingOffered: counts.offered += 1
        case .bookingCreated: counts.created += 1
        case .bookingFailed: counts.failed += 1
        case .bookingCanceled: counts.canceled += 1
        case .slotConflict: counts.conflicts += 1
        case .bookingRescheduled: counts.rescheduled += 1
        case .fallbackBooked: counts.fallbackBooked += 1
        case .connected, .connectFailed, .eventTypesFetchFailed, .webhookRejected, .bookingQuotaHigh, .webhookSubscriptionRecreated, .actionNeedsReview: return false
        }
        return true
    }

    public struct Report: Codable, Sendable, Hashable {
        public var agent: AgentID
        public var from: CivilDate
        public var to: CivilDate
        public var totals: Counts
        /// One entry per day with activity, oldest first.
        public var daily: [DailyCounts]
        /// "No bookings yet for this range." when nothing happened.
        public var emptyMessage: String?
    }

    public struct DailyCounts: Codable, Sendable, Hashable {
        public var date: CivilDate
        public var counts: Counts
    }

    public enum ReportError: Error, Equatable, Sendable {
        case invertedRange
        case rangeTooLong(maxDays: Int)
    }

    public static let maxReportDays = 400

    /// Counts for an inclusive UTC date range (S04 AC-1).
    public func report(agent: AgentID, from: CivilDate, to: CivilDate) -> Result<Report, ReportError> {
        guard from <= to else { return .failure(.invertedRange) }
        guard to.daysSince1970 - from.daysSince1970 < Int64(Analytics.maxReportDays) else { return .failure(.rangeTooLong(maxDays: Analytics.maxReportDays)) }
        let daily = days.filter { $0.key.agent == agent && $0.key.date >= from && $0.key.date <= to }
            .sorted { $0.key < $1.key }
            .map { DailyCounts(date: $0.key.date, counts: $0.value) }
        let totals = daily.reduce(Counts()) { $0 + $1.counts }
        let nothing = totals.created == 0 && totals.failed == 0 && totals.canceled == 0 && totals.rescheduled == 0 && totals.fallbackBooked == 0
        return .success(Report(agent: agent, from: from, to: to, totals: totals, daily: daily, emptyMessage: nothing ? Copy.noBookingsInRange : nil))
    }
}
