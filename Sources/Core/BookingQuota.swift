import Effects

/// Calendly's cap on `POST /invitees` per Calendly user (rate-limits doc, 2026-04; calendly-api.md):
/// trial 5 a day; paid non-enterprise 10 a minute, 50 an hour, 100 a day; enterprise 500 a minute.
/// Tracked in rolling windows so the service stops *before* the cap and hands out the attributed
/// static link instead of letting the customer hit a 429 (issue 6 item 5). A 429 still feeds it.
public struct BookingQuota: Codable, Sendable, Hashable {
    public enum Tier: String, Codable, Sendable, Hashable, CaseIterable {
        case trial
        /// Paid, non-enterprise: the default when configuration says nothing.
        case standard
        case enterprise

        public var windows: [Window] {
            switch self {
            case .trial: return [Window(span: .days(1), limit: 5)]
            case .standard: return [Window(span: .minutes(1), limit: 10), Window(span: .hours(1), limit: 50), Window(span: .days(1), limit: 100)]
            case .enterprise: return [Window(span: .minutes(1), limit: 500)]
            }
        }

        /// The daily cap the admin alert is about (nil when the tier has none).
        public var dailyCap: Int? { windows.first { $0.span == .days(1) }?.limit }
    }

    public struct Window: Codable, Sendable, Hashable {
        public var span: Span
        public var limit: Int
    }

    /// Use passed this share of the daily cap: the admin is alerted (once per rolling day).
    public static let alertPercent = 80
    /// How long to hold off after a 429 that names no reset time.
    public static let defaultBackoff = Span.minutes(1)

    public enum Decision: Equatable, Sendable {
        /// Send it; `alert` is set when this send takes daily use past the alert threshold.
        case send(alert: Usage?)
        /// Do not send: the cap (or a 429's back-off) would be hit; sending is possible again at `until`.
        case hold(until: Instant)
    }

    public struct Usage: Equatable, Sendable {
        public var used: Int
        public var cap: Int
    }

    public var tier: Tier
    /// When each admitted booking call was sent, oldest first; only the longest window's worth is kept.
    public private(set) var sent: [Instant]
    /// A 429 said no more until then.
    public private(set) var blockedUntil: Instant?
    public private(set) var alertedAt: Instant?

    public init(tier: Tier) { self.tier = tier; sent = []; blockedUntil = nil; alertedAt = nil }

    /// Sends in the window ending at `now` (`now - span`, `now`].
    public func used(_ window: Window, at now: Instant) -> Int {
        let from = now - window.span
        return sent.reduce(0) { $0 + ($1 > from && $1 <= now ? 1 : 0) }
    }

    /// Decides about one booking call at `now` and, when it may go out, counts it.
    public mutating func admit(at now: Instant) -> Decision {
        forget(before: now)
        // The latest of: the end of a 429's back-off, and the moment each full window frees a place.
        var until: Instant? = blockedUntil.flatMap { now < $0 ? $0 : nil }
        for window in tier.windows where used(window, at: now) >= window.limit {
            // The window frees a place when its oldest counted send leaves it.
            let oldest = sent.first { $0 > now - window.span } ?? now
            let free = oldest + window.span + .milliseconds(1)
            until = max(until ?? free, free)
        }
        if let until { return .hold(until: until) }
        sent.append(now)
        return .send(alert: alertIfDue(at: now))
    }

    /// Calendly answered 429: nothing more until its reset (or a minute), whatever the count says.
    public mutating func rateLimited(at now: Instant, retryAfter: Span?) {
        let until = now + (retryAfter ?? BookingQuota.defaultBackoff)
        blockedUntil = max(blockedUntil ?? until, until)
    }

    mutating func alertIfDue(at now: Instant) -> Usage? {
        guard let cap = tier.dailyCap else { return nil }
        let used = used(Window(span: .days(1), limit: cap), at: now)
        guard used * 100 > cap * BookingQuota.alertPercent else { return nil }
        if let alertedAt, alertedAt > now - .days(1) { return nil }
        alertedAt = now
        return Usage(used: used, cap: cap)
    }

    mutating func forget(before now: Instant) {
        let longest = tier.windows.map(\.span).max() ?? .days(1)
        let cutoff = now - longest
        if let first = sent.firstIndex(where: { $0 > cutoff }) { sent.removeFirst(first) } else { sent.removeAll() }
    }
}
