import Effects

/// Per-account request budgets for the admin and runtime routes (issue 10 item 3): a token bucket per
/// key, refilled continuously, with a bounded table so a flood of distinct keys cannot grow memory.
/// The clock is an input; all arithmetic saturates, so no instant or setting from outside can trap.
public struct RateLimit: Sendable, Equatable {
    /// `capacity` requests at once, refilled at `capacity` per `window`. A capacity of 0 turns the limit off.
    public struct Policy: Sendable, Equatable {
        public var capacity: Int64
        public var window: Span
        public init(capacity: Int64, window: Span) { self.capacity = max(0, capacity); self.window = Span(milliseconds: max(1, window.milliseconds)) }
        public static let off = Policy(capacity: 0, window: .minutes(1))
        public var isOff: Bool { capacity == 0 }
    }

    public enum Verdict: Sendable, Equatable {
        case allowed
        /// Whole seconds until one request is allowed again (≥ 1: what `Retry-After` says).
        case limited(retryAfterSeconds: Int64)
    }

    /// Tokens are counted in thousandths, so a refill rate below one token per millisecond still accrues.
    struct Bucket: Sendable, Equatable {
        var milliTokens: Int64
        var updated: Instant
        var lastUsed: Instant
    }

    public let policy: Policy
    /// Most keys held at once; beyond it full (idle) buckets are dropped first, then the least recently used.
    public let maxKeys: Int
    private(set) var buckets: [String: Bucket] = [:]

    public init(policy: Policy, maxKeys: Int = 10_000) {
        self.policy = policy
        self.maxKeys = max(1, maxKeys)
    }

    public var keyCount: Int { buckets.count }

    var fullMilliTokens: Int64 { policy.capacity.multipliedReportingOverflow(by: 1000).overflow ? .max : policy.capacity * 1000 }

    /// Takes one request from `key`'s budget at `now`.
    public mutating func admit(_ key: String, at now: Instant) -> Verdict {
        guard !policy.isOff else { return .allowed }
        var bucket = buckets[key] ?? {
            makeRoom(at: now)
            return Bucket(milliTokens: fullMilliTokens, updated: now, lastUsed: now)
        }()
        bucket = refilled(bucket, at: now)
        bucket.lastUsed = max(bucket.lastUsed, now)
        defer { buckets[key] = bucket }
        if bucket.milliTokens >= 1000 {
            bucket.milliTokens -= 1000
            return .allowed
        }
        return .limited(retryAfterSeconds: secondsUntilOneToken(bucket))
    }

    /// Milli-tokens accrue at capacity×1000 per window; a clock that goes backwards adds nothing.
    func refilled(_ bucket: Bucket, at now: Instant) -> Bucket {
        var bucket = bucket
        guard now > bucket.updated else { return bucket }
        let elapsed = now.millisecondsSince1970.subtractingReportingOverflow(bucket.updated.millisecondsSince1970)
        let elapsedMs = elapsed.overflow ? Int64.max : elapsed.partialValue
        let gained = Self.mulDiv(elapsedMs, fullMilliTokens, policy.window.milliseconds)
        // Under a thousandth of a token so far: keep the old stamp, or frequent calls would never accrue.
        guard gained > 0 else { return bucket }
        let sum = bucket.milliTokens.addingReportingOverflow(gained)
        bucket.milliTokens = min(fullMilliTokens, sum.overflow ? .max : sum.partialValue)
        bucket.updated = now
        return bucket
    }

    func secondsUntilOneToken(_ bucket: Bucket) -> Int64 {
        let missing = max(0, 1000 - bucket.milliTokens)
        // missing milli-tokens × window / (capacity × 1000), rounded up to whole seconds.
        let milliseconds = Self.mulDiv(missing, policy.window.milliseconds, fullMilliTokens, roundingUp: true)
        let seconds = milliseconds / 1000 + (milliseconds % 1000 == 0 ? 0 : 1)
        return max(1, seconds)
    }

    /// a×b/c without overflow (saturating at Int64.max), rounded down or up; negative inputs count as 0.
    static func mulDiv(_ a: Int64, _ b: Int64, _ c: Int64, roundingUp: Bool = false) -> Int64 {
        guard a > 0, b > 0 else { return 0 }
        guard c > 0 else { return .max }
        let divisor = UInt64(c)
        let product = UInt64(a).multipliedFullWidth(by: UInt64(b))
        guard product.high < divisor else { return .max }   // the quotient would not fit in 64 bits
        let (quotient, remainder) = divisor.dividingFullWidth(product)
        let rounded = roundingUp && remainder > 0 ? quotient.addingReportingOverflow(1) : (partialValue: quotient, overflow: false)
        return rounded.overflow || rounded.partialValue > UInt64(Int64.max) ? .max : Int64(rounded.partialValue)
    }

    /// Frees one slot when the table is full: a bucket already back to full is indistinguishable from
    /// a new one, so those go first; otherwise the one unused the longest.
    mutating func makeRoom(at now: Instant) {
        guard buckets.count >= maxKeys else { return }
        let full = buckets.filter { refilled($0.value, at: now).milliTokens >= fullMilliTokens }.map(\.key)
        if !full.isEmpty {
            for key in full { buckets.removeValue(forKey: key) }
            return
        }
        if let oldest = buckets.min(by: { ($0.value.lastUsed, $0.key) < ($1.value.lastUsed, $1.key) })?.key {
            buckets.removeValue(forKey: oldest)
        }
    }
}
