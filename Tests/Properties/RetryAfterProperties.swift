import Core
import Effects
import PropertyBased
import Testing

/// Fuzz finding (calendly-wire target; reproducers Fuzz/Corpus/calendly-wire/retry-after-*): a 429 whose
/// `Retry-After` (or `X-RateLimit-Reset`) is a huge number trapped in `Span.seconds` (× 1000) inside
/// the classifier, and next in `now + retryAfter` when the quota blocks — one reply from Calendly, or
/// anything between us and it, took the process down. Fixed on main by saturating Span/Instant
/// arithmetic (FailClosedProperties); these check the whole path from the header text to the quota.
@Suite struct RetryAfterProperties {
    static let now = Instant(iso8601: "2026-11-25T03:00:00Z")!

    static func rateLimitedWait(_ header: String) -> Span? {
        let seconds = CalendlyErrorClassifier.retryAfterSeconds(retryAfter: header, rateLimitReset: header)
        guard case .rateLimited(let wait) = CalendlyErrorClassifier.classify(status: 429, body: [], retryAfterSeconds: seconds) else { return nil }
        return wait
    }

    @Test func extremeRetryAfterBlocksTheQuotaWithoutTrapping() {
        for header in ["9223372036854775807", "9223373685477630", "10000000000000000", " 4611686018427387904 "] {
            let wait = Self.rateLimitedWait(header)
            #expect((wait?.milliseconds ?? -1) >= 0, "\(header)")
            var quota = BookingQuota(tier: .standard)
            quota.rateLimited(at: Self.now, retryAfter: wait)
        }
        #expect(Self.rateLimitedWait("30") == .seconds(30))
        #expect(Self.rateLimitedWait("-5") == nil)
    }

    @Test func anyDecimalRetryAfterGivesANonNegativeWait() async {
        await propertyCheck(count: 500, input: Gen.int64(in: Int64.min...Int64.max)) { value in
            let wait = Self.rateLimitedWait(String(value))
            #expect(wait.map { $0.milliseconds >= 0 } ?? (value < 0))
            var quota = BookingQuota(tier: .standard)
            quota.rateLimited(at: Self.now, retryAfter: wait)
        }
    }
}
