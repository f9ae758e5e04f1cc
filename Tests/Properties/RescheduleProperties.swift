import Core
import Effects
import Interpreters
import PropertyBased
import Testing

/// Reschedule pairing (issue 6 item 3): whatever order Calendly's webhooks arrive in, however often
/// each is repeated, and however many times the whole stream is replayed (the dedupe ids forgotten),
/// the booking references and the daily counts end up the same — and a reschedule is never a cancellation.
@Suite struct RescheduleProperties {
    static let signature = WebhookSignature(key: Array("whsec-test".utf8), hmac: CryptoHMAC.sha256)
    static let now = Instant(iso8601: "2026-11-25T03:00:00Z")!

    /// Three bookings made in chat (replies settled): 0 and 1 are rescheduled, 2 is canceled. Returns
    /// the intents, the invitees and every webhook body Calendly sent about them.
    static func world() -> ([BookingIntent], [Invitee], [SimCalendly.OutgoingWebhook]) {
        var calendly = SimCalendly()
        let eventType = EventType(uri: "https://api.calendly.com/event_types/ET", name: "Call", schedulingURL: "https://calendly.com/x/call")
        calendly.addEventType(eventType)
        var intents: [BookingIntent] = []
        var invitees: [Invitee] = []
        for index in 0..<3 {
            let start = Instant(iso8601: "2026-11-26T02:00:00Z")! + .minutes(30 * Int64(index))
            let email = "guest\(index)@example.com"
            intents.append(BookingIntent(key: BookingKey("conv-\(index)#1"), agent: "agent", conversation: ConversationID("conv-\(index)"),
                                         eventType: eventType.uri, start: start, email: email, recordedAt: now))
            if case .success(let invitee) = calendly.createInvitee(InviteeRequest(eventType: eventType.uri, start: start, email: email, name: nil, timeZone: "UTC"),
                                                                  key: BookingKey("conv-\(index)#1"), now: now) {
                invitees.append(invitee)
            }
        }
        _ = calendly.reschedule(invitees[0].uri, to: Instant(iso8601: "2026-11-27T04:00:00Z")!, now: now + .minutes(5))
        _ = calendly.reschedule(invitees[1].uri, to: Instant(iso8601: "2026-11-27T05:30:00Z")!, now: now + .minutes(6))
        calendly.cancel(invitees[2].uri, now: now + .minutes(7))
        return (intents, invitees, calendly.drainOutbox())
    }

    static let fixture = world()

    /// Random picks (duplicates) followed by every webhook once, in a random order.
    static let streams = zip(Gen.int(in: 0...7).array(of: 0...12), Gen.int(in: 0...1_000_000).array(of: 8...8), Gen.int(in: 1...3))

    static func order(_ picks: [Int], _ sortKeys: [Int]) -> [Int] {
        picks + (0..<8).sorted { (sortKeys[$0], $0) < (sortKeys[$1], $1) }
    }

    /// Applies the stream `runs` times to a fresh store (forgetting delivery ids between runs).
    static func apply(_ stream: [Int], runs: Int) -> InMemoryStore {
        let (intents, invitees, webhooks) = fixture
        var store = InMemoryStore()
        _ = store.commit(intents.map { .store(.recordIntent($0)) }, at: now)
        _ = store.commit(zip(intents, invitees).map { .store(.settleIntent($0.key, .booked($1), at: now)) }, at: now)
        for _ in 0..<runs {
            for index in stream {
                let body = webhooks[index].body
                let delivery = WebhookIntake.Delivery(signatureHeader: signature.header(for: body, at: now), body: body)
                _ = store.commit(WebhookIntake.reduce(&store.intake, .delivered(delivery, at: now), signature: signature), at: now)
            }
            store.intake = WebhookIntake()
        }
        return store
    }

    @Test func theFixtureIsARealReschedule() {
        let (_, invitees, webhooks) = Self.fixture
        #expect(webhooks.map(\.kind) == [.created, .created, .created, .canceled, .created, .canceled, .created, .canceled])
        let store = Self.apply(Array(0..<8), runs: 1)
        let moved = store.references["conv-0#1"]
        #expect(moved?.reschedules?.count == 1 && moved?.reschedules?.first?.from == invitees[0].uri)
        #expect(moved?.currentStart == Instant(iso8601: "2026-11-27T04:00:00Z")! && moved?.status == .confirmed)
        #expect(store.references["conv-2#1"]?.status == .canceled)
    }

    @Test func anyOrderAnyRepeatsAnyReplaysGiveTheSameReferencesAndCounts() async {
        let canonical = Self.apply(Array(0..<8), runs: 1)
        let counts = canonical.analytics.days.values.reduce(Analytics.Counts(), +)
        #expect(counts.rescheduled == 2 && counts.canceled == 1)
        await propertyCheck(count: 300, input: Self.streams) { picks, sortKeys, runs in
            let stream = Self.order(picks, sortKeys)
            let store = Self.apply(stream, runs: runs)
            #expect(store.references == canonical.references, "stream \(stream) × \(runs)")
            #expect(store.analytics == canonical.analytics, "stream \(stream) × \(runs)")
            #expect(store.telemetryCount["calendly_booking_canceled"] == 1)
            #expect(store.telemetryCount["calendly_booking_rescheduled"] == 2)
        }
    }
}
