import Core
import Effects
import Interpreters
import PropertyBased
import Testing

@Suite struct WebhookProperties {
    static let signature = WebhookSignature(key: Array("whsec-test".utf8), hmac: CryptoHMAC.sha256)
    static let now = Instant(iso8601: "2026-11-25T03:00:00Z")!

    /// One event in a webhook stream: (reference 0…2, what happens). 0 = created notice, 1 = canceled
    /// notice, 2 = the booking reply settles the intent. Duplicates arise naturally from repeats.
    static let streams = zip(Gen.int(in: 0...2), Gen.int(in: 0...2)).array(of: 0...14)

    static func calendly() -> (SimCalendly, [Invitee], [BookingIntent]) {
        var world = SimCalendly()
        let eventType = EventType(uri: "https://api.calendly.com/event_types/ET", name: "Call", schedulingURL: "https://calendly.com/x/call")
        world.addEventType(eventType)
        var invitees: [Invitee] = []
        var intents: [BookingIntent] = []
        for index in 0..<3 {
            let start = Instant(iso8601: "2026-11-26T02:00:00Z")! + .minutes(30 * Int64(index))
            let email = "guest\(index)@example.com"
            intents.append(BookingIntent(key: BookingKey("conv-\(index)#1"), agent: "agent", conversation: ConversationID("conv-\(index)"),
                                         eventType: eventType.uri, start: start, email: email, recordedAt: now))
            if case .success(let invitee) = world.createInvitee(InviteeRequest(eventType: eventType.uri, start: start, email: email, name: nil, timeZone: "UTC"), key: nil, now: now) {
                invitees.append(invitee)
            }
        }
        for invitee in invitees { world.cancel(invitee.uri, now: now) }
        return (world, invitees, intents)
    }

    /// Applies a stream to a fresh store; returns each reference's status and the canceled count.
    static func apply(_ stream: [(Int, Int)]) -> ([String], Int) {
        var (world, invitees, intents) = calendly()
        let bodies = world.drainOutbox()
        var store = InMemoryStore()
        _ = store.commit(intents.map { .store(.recordIntent($0)) }, at: now)
        for (reference, action) in stream {
            switch action {
            case 0, 1:
                let body = bodies.filter { $0.kind == (action == 0 ? .created : .canceled) }[reference].body
                let delivery = WebhookIntake.Delivery(signatureHeader: signature.header(for: body, at: now), body: body)
                _ = store.commit(WebhookIntake.reduce(&store.intake, .delivered(delivery, at: now), signature: signature), at: now)
            default:
                _ = store.commit([.store(.settleIntent(intents[reference].key, .booked(invitees[reference]), at: now))], at: now)
            }
        }
        let statuses = intents.map { store.references[$0.key]?.status.rawValue ?? "missing" }
        return (statuses, store.analytics.days.values.reduce(0) { $0 + $1.canceled })
    }

    @Test func anyOrderAndAnyRepeatsGiveTheSameReferencesAndCounts() async {
        await propertyCheck(count: 300, input: Self.streams) { stream in
            let (statuses, canceled) = Self.apply(stream)
            // The order-free truth: a reference is canceled iff a cancel arrived, confirmed iff a created
            // notice arrived, created iff only the reply did; each cancellation counts once.
            for reference in 0..<3 {
                let actions = Set(stream.filter { $0.0 == reference }.map(\.1))
                let expected = actions.contains(1) ? "canceled" : actions.contains(0) ? "confirmed" : actions.contains(2) ? "created" : "pending"
                #expect(statuses[reference] == expected, "reference \(reference) after \(stream)")
            }
            #expect(canceled == Set(stream.filter { $0.1 == 1 }.map(\.0)).count)
            // And the same events in reverse order land in the same place.
            #expect(Self.apply(stream.reversed()).0 == statuses)
        }
    }

    @Test func signaturesVerifyOnlyTheExactBodyWithinTolerance() async {
        await propertyCheck(count: 300, input: Gen.uint8().array(of: 1...300), Gen.int64(in: -600...600), Gen.int(in: 0...299)) { body, skew, flip in
            let header = Self.signature.header(for: body, at: Self.now)
            let later = Self.now + .seconds(skew)
            let withinTolerance = abs(skew) <= 180
            #expect((Self.signature.verify(header: header, body: body, now: later) == nil) == withinTolerance)
            var tampered = body
            tampered[flip % body.count] ^= 0x01
            #expect(Self.signature.verify(header: header, body: tampered, now: Self.now) == .mismatch)
            let otherKey = WebhookSignature(key: Array("another".utf8), hmac: CryptoHMAC.sha256)
            #expect(otherKey.verify(header: header, body: body, now: Self.now) == .mismatch)
        }
    }
}
