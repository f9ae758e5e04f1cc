import Core
import Effects
import PropertyBased
import Testing

/// The store's sweep reads only references recorded before `purgeCandidatesRecordedBefore(now)` (moved
/// from `DurableState` into Core, issue 11 "every decision in a reducer"): no reference the reducer would
/// purge may be left out, whatever day (29 February included) it was recorded on.
@Suite struct ReferencePurgeCandidateProperties {
    static func reference(recordedAt: Instant) -> BookingReference? {
        var reference: BookingReference?
        let intent = BookingIntent(key: "k", agent: "a", conversation: "c", eventType: "https://api.calendly.com/event_types/E",
                                   start: recordedAt + .days(1), email: "c@example.com", recordedAt: recordedAt)
        _ = BookingReference.reduce(&reference, .intentRecorded(intent))
        return reference
    }

    @Test func everyReferenceThePurgeExpiresIsACandidate() async {
        // Recorded any millisecond from 2000 to 2100; swept from its last unexpired moment to a year later.
        await propertyCheck(count: 1000, input: Gen.int64(in: 946_684_800_000...4_102_444_800_000), Gen.int64(in: -1...31_536_000_000)) { recorded, after in
            guard let reference = Self.reference(recordedAt: Instant(millisecondsSince1970: recorded)) else { Issue.record("no reference"); return }
            let now = reference.expiresAt + .milliseconds(after)
            var swept: BookingReference? = reference
            _ = BookingReference.reduce(&swept, .retentionSweep(now: now))
            if swept == nil {
                #expect(reference.recordedAt < BookingReference.purgeCandidatesRecordedBefore(now), "recorded \(recorded), swept at \(now.iso8601)")
            }
        }
    }

    @Test func aLeapDayRecordingIsACandidateWhenItExpires() {
        let leap = Instant(iso8601: "2024-02-29T12:00:00Z")!
        let reference = Self.reference(recordedAt: leap)!
        // 24 months on, 29 February clamps to the 28th: exactly 730 days, the shortest a reference is kept.
        #expect(reference.expiresAt == leap + .days(730), "\(reference.expiresAt.iso8601)")
        #expect(leap < BookingReference.purgeCandidatesRecordedBefore(reference.expiresAt))
    }
}
