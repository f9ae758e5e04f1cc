import Core
import Effects
import PropertyBased
import Testing

/// The per-account token bucket (issue 10 item 3): exact budgets, refill, bounded memory, and no trap
/// for any clock or setting from outside.
@Suite struct RateLimitProperties {
    static let start = Instant(millisecondsSince1970: 1_790_000_000_000)

    @Test func aFullBucketAllowsExactlyItsCapacityThenSaysWhenToRetry() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...500)) { capacity in
            var limit = RateLimit(policy: .init(capacity: Int64(capacity), window: .minutes(1)))
            for _ in 0..<capacity { #expect(limit.admit("acme", at: Self.start) == .allowed) }
            guard case .limited(let seconds) = limit.admit("acme", at: Self.start) else {
                Issue.record("request \(capacity + 1) at one instant was allowed")
                return
            }
            // One token comes back after window/capacity: Retry-After rounds that up to whole seconds.
            let expected = (60_000 + Int64(capacity) - 1) / Int64(capacity)
            #expect(seconds == max(1, (expected + 999) / 1000))
            // After waiting that long, one more request is allowed; other accounts were never charged.
            #expect(limit.admit("acme", at: Self.start + .seconds(seconds)) == .allowed)
            #expect(limit.admit("other", at: Self.start) == .allowed)
        }
    }

    @Test func aLongPauseRefillsOnlyUpToCapacity() {
        var limit = RateLimit(policy: .init(capacity: 3, window: .minutes(1)))
        for _ in 0..<3 { _ = limit.admit("acme", at: Self.start) }
        let later = Self.start + .days(400)
        for _ in 0..<3 { #expect(limit.admit("acme", at: later) == .allowed) }
        #expect(limit.admit("acme", at: later) != .allowed)
    }

    @Test func offAllowsEverything() {
        var limit = RateLimit(policy: .off)
        for _ in 0..<1000 { #expect(limit.admit("acme", at: Self.start) == .allowed) }
        #expect(limit.keyCount == 0)
    }

    @Test func manyDistinctAccountsNeverGrowTheTablePastItsBound() async {
        await propertyCheck(count: 50, input: Gen.int(in: 1...64)) { maxKeys in
            var limit = RateLimit(policy: .init(capacity: 2, window: .minutes(1)), maxKeys: maxKeys)
            for index in 0..<(maxKeys * 5) {
                _ = limit.admit("account-\(index)", at: Self.start + .milliseconds(Int64(index)))
                #expect(limit.keyCount <= maxKeys)
            }
        }
    }

    /// Extreme instants (either end of Int64, clocks going backwards) and extreme settings never trap.
    @Test func extremeClocksAndSettingsNeverTrap() async {
        let instants = Gen.oneOf(Gen.int64(in: Int64.min...Int64.max), Gen.always(Int64.max), Gen.always(Int64.min), Gen.always(0))
        let capacities = Gen.oneOf(Gen.int64(in: 0...Int64.max), Gen.always(Int64.max), Gen.always(1))
        let windows = Gen.oneOf(Gen.int64(in: Int64.min...Int64.max), Gen.always(Int64.max), Gen.always(1))
        await propertyCheck(count: 500, input: capacities, windows, instants.array(of: 1...8)) { capacity, window, times in
            var limit = RateLimit(policy: .init(capacity: capacity, window: Span(milliseconds: window)), maxKeys: 2)
            for (index, time) in times.enumerated() {
                let verdict = limit.admit(["a", "b", "c", ""][index % 4], at: Instant(millisecondsSince1970: time))
                if case .limited(let seconds) = verdict { #expect(seconds >= 1) }
            }
        }
    }
}
