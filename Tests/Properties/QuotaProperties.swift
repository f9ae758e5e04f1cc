import Core
import Effects
import Interpreters
import PropertyBased
import Synchronization
import Testing

/// Booking-quota awareness (issue 6 item 5): whatever the timing of booking attempts and 429s, no
/// booking call goes out past a cap in any rolling window, a held attempt may go at the time it was
/// told, and the 80 % alert comes at most once a day.
@Suite struct QuotaProperties {
    static let start = Instant(iso8601: "2026-11-25T00:00:00Z")!

    /// (tier, gaps between attempts in ms — bursts and lulls —, which attempts Calendly answers with a 429).
    static let schedules = zip(Gen.int(in: 0...2), Gen.int(in: 0...3).array(of: 1...400), Gen.int(in: 0...99).array(of: 400...400))

    static func gap(_ code: Int, _ index: Int) -> Span {
        switch code {
        case 0: return .milliseconds(Int64(index % 7) * 10)          // a burst
        case 1: return .seconds(Int64(1 + index % 13))              // steady
        case 2: return .minutes(Int64(1 + index % 17))              // slow
        default: return .hours(Int64(1 + index % 5))                // lulls
        }
    }

    @Test func noBookingCallEverGoesOutPastACap() async {
        await propertyCheck(count: 100, input: Self.schedules) { tierCode, gaps, rateLimits in
            let tier = BookingQuota.Tier.allCases[tierCode]
            var quota = BookingQuota(tier: tier)
            var now = Self.start
            var sent: [Instant] = []
            var alerts: [(Instant, BookingQuota.Usage)] = []
            for (index, code) in gaps.enumerated() {
                now = now + Self.gap(code, index)
                switch quota.admit(at: now) {
                case .send(let alert):
                    sent.append(now)
                    if let alert { alerts.append((now, alert)) }
                    if rateLimits[index] < 3 { quota.rateLimited(at: now, retryAfter: rateLimits[index] == 0 ? nil : .seconds(Int64(rateLimits[index]) * 20)) }
                case .hold(let until):
                    #expect(until > now, "held until the past")
                    // Told when: trying again then (with nothing else sent meanwhile) is allowed.
                    var probe = quota
                    if case .hold = probe.admit(at: until) { Issue.record("still held at the time it was told (\(tier))") }
                }
            }
            for window in tier.windows {
                // Every window ending at a send (the only places the count grows), by a sliding start.
                var first = 0
                for (index, at) in sent.enumerated() {
                    while sent[first] <= at - window.span { first += 1 }
                    let inWindow = index - first + 1
                    if inWindow > window.limit { Issue.record("\(inWindow) sends in \(window.span) ending \(at) (\(tier))") }
                }
            }
            for pair in zip(alerts, alerts.dropFirst()) { #expect(pair.1.0 - pair.0.0 >= .days(1), "alerted twice within a day") }
            for (_, usage) in alerts { #expect(usage.used * 100 > usage.cap * BookingQuota.alertPercent) }
            if tier.dailyCap == nil { #expect(alerts.isEmpty) }
        }
    }
    // The guard's behaviour in front of Calendly is the step engine's now: BookingQuotaEngineTests.
}
