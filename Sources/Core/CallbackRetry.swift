import Effects

/// When a customer message the chat platform's callback did not take (`MESSAGE_CALLBACK_URL` answered
/// other than 2xx, or not at all) is tried again: 1 s, 2 s, 4 s, … doubling per failed attempt up to
/// 5 min, each wait shortened by up to a quarter by a jitter draw (so conversations that failed together
/// do not retry in lock-step), and given up 24 h after the message was written. Pure: the caller hands in
/// the time and the jitter draw, so the schedule is testable and replayable.
public enum CallbackRetry {
    public static let firstDelay = Span.seconds(1)
    public static let maxDelay = Span.minutes(5)
    /// Measured from when the message entered the outbox, not from the first attempt.
    public static let giveUpAfter = Span.hours(24)

    public enum Decision: Hashable, Sendable {
        case retry(at: Instant)
        case giveUp
    }

    /// The un-jittered wait after `failures` failed attempts (1 → 1 s, 2 → 2 s, …, capped at 5 min). Any
    /// count — 0, negative, `Int.max` from a corrupt row — gives a wait in 1 s…5 min, never a trap.
    public static func baseDelay(afterFailures failures: Int) -> Span {
        // 2^9 s already exceeds the cap: the shift stays small whatever `failures` is.
        let doublings = min(max(failures, 1) - 1, 9)
        return min(firstDelay * (Int64(1) << Int64(doublings)), maxDelay)
    }

    /// The wait after `failures` failed attempts with `jitter` (any 64-bit draw) taking off up to a quarter.
    public static func delay(afterFailures failures: Int, jitter: UInt64) -> Span {
        let base = baseDelay(afterFailures: failures)
        let quarter = UInt64(base.milliseconds / 4)
        // `quarter + 1` is at most 75 001: the remainder fits in Int64 and the subtraction stays positive.
        return Span(milliseconds: base.milliseconds - Int64(jitter % (quarter + 1)))
    }

    /// After the `failures`-th failed attempt at `now` on a message written at `queuedAt`: when to try
    /// again, or give up (the deadline passed, or the next try would only come after it).
    public static func next(queuedAt: Instant, failures: Int, now: Instant, jitter: UInt64) -> Decision {
        guard !expired(queuedAt: queuedAt, now: now) else { return .giveUp }
        let at = now + delay(afterFailures: failures, jitter: jitter)
        return expired(queuedAt: queuedAt, now: at) ? .giveUp : .retry(at: at)
    }

    /// A message this old is not sent at all, even on a first attempt (a callback switched on after an outage,
    /// or a backlog): a chat platform would show a day-old message as new. Pollers still read it.
    public static func expired(queuedAt: Instant, now: Instant) -> Bool { now >= queuedAt + giveUpAfter }
}
