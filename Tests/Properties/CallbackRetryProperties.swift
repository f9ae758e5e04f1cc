import Core
import Effects
import PropertyBased
import Testing

/// The callback retry schedule (issue 11): 1 s, 2 s, 4 s … capped at 5 min, up to a quarter of jitter off,
/// given up 24 h after the message was written — for any count, draw and time, including corrupt rows'
/// extremes, without trapping.
@Suite struct CallbackRetryProperties {
    static let t0 = Instant(iso8601: "2026-11-25T03:00:00Z")!

    @Test func theWaitStaysWithinAQuarterBelowTheDoublingScheduleAndUnderTheCap() async {
        await propertyCheck(count: 1000, input: Gen.int(in: Int.min...Int.max), Gen.uint64(in: 0...UInt64.max)) { failures, jitter in
            let base = CallbackRetry.baseDelay(afterFailures: failures)
            let wait = CallbackRetry.delay(afterFailures: failures, jitter: jitter)
            #expect(base >= CallbackRetry.firstDelay && base <= CallbackRetry.maxDelay, "base \(base.milliseconds) ms for \(failures)")
            #expect(wait <= base, "\(wait.milliseconds) > \(base.milliseconds)")
            #expect(wait.milliseconds * 4 >= base.milliseconds * 3, "more than a quarter off: \(wait.milliseconds) of \(base.milliseconds)")
        }
    }

    @Test func theScheduleDoublesFromOneSecondUntilFiveMinutes() {
        let bases = (1...12).map { CallbackRetry.baseDelay(afterFailures: $0).milliseconds / 1000 }
        #expect(bases == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300])
        for extreme in [Int.min, -1, 0] { #expect(CallbackRetry.baseDelay(afterFailures: extreme) == .seconds(1)) }
        #expect(CallbackRetry.baseDelay(afterFailures: .max) == .minutes(5))
        #expect(CallbackRetry.delay(afterFailures: 1, jitter: 0) == .seconds(1))
        #expect(CallbackRetry.delay(afterFailures: 10, jitter: 75_000) == .milliseconds(225_000))
    }

    @Test func aRetryIsAlwaysLaterThanNowAndBeforeTheDeadlineElseItIsGivenUp() async {
        await propertyCheck(count: 1000, input: Gen.int64(in: Int64.min...Int64.max), Gen.int64(in: Int64.min...Int64.max),
                            Gen.int(in: 0...Int.max), Gen.uint64(in: 0...UInt64.max)) { queued, now, failures, jitter in
            let queuedAt = Instant(millisecondsSince1970: queued), at = Instant(millisecondsSince1970: now)
            let deadline = queuedAt + CallbackRetry.giveUpAfter
            switch CallbackRetry.next(queuedAt: queuedAt, failures: failures, now: at, jitter: jitter) {
            case .retry(let next):
                #expect(next > at && next < deadline, "retry at \(next.millisecondsSince1970) for now \(now), queued \(queued)")
            case .giveUp:
                #expect(at >= deadline || at + CallbackRetry.delay(afterFailures: failures, jitter: jitter) >= deadline)
            }
        }
    }

    /// A receiver that never answers 2xx: the message is tried in order of increasing times, given up within
    /// 24 h, after a bounded number of attempts (about 300 — 1 s … 5 min, then every 5 min).
    @Test func aMessageThatNeverGetsThroughIsGivenUpWithinADay() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = seed
            func draw() -> UInt64 { random = random &* 6364136223846793005 &+ 1442695040888963407; return random >> 11 }
            var now = Self.t0, failures = 0
            while case .retry(let next) = CallbackRetry.next(queuedAt: Self.t0, failures: failures + 1, now: now, jitter: draw()) {
                #expect(next > now)
                now = next
                failures += 1
                if failures > 1000 { break }
            }
            #expect(now < Self.t0 + CallbackRetry.giveUpAfter)
            #expect((280...400).contains(failures), "\(failures) attempts before giving up")
        }
    }
}
