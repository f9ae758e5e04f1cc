import Effects

extension BookingReference {
    /// The store reads only references recorded before this instant when it sweeps (an index scan, not
    /// every row); `retentionSweep` then decides exactly which expire. 24 calendar months are never shorter
    /// than 730 days (from a 29 February, clamped to the 28th, exactly that), so three days' margin
    /// loses none.
    public static func purgeCandidatesRecordedBefore(_ now: Instant) -> Instant {
        now - .days(365 * 2 - 3)
    }
}
