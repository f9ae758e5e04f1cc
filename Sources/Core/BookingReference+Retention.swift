import Effects

extension BookingReference {
    /// The store reads only references recorded before this instant when it sweeps (an index scan, not
    /// every row); `retentionSweep` then decides exactly which expire. 24 calendar months are never shorter
    /// than 729 days (a 29 February clamps to the 28th), so three days' margin below two years of 365
    /// days loses none.
    public static func purgeCandidatesRecordedBefore(_ now: Instant) -> Instant {
        now - .days(365 * 2 - 3)
    }
}
