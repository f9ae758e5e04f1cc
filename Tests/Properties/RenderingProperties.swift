import Core
import Effects
import Foundation
import PropertyBased
import Testing

@Suite struct RenderingProperties {
    /// DST transitions of 2026 (and one without DST as a control), ± a day and a half around each.
    static let transitions: [(zone: String, instant: Instant)] = [
        ("America/New_York", Instant(iso8601: "2026-03-08T07:00:00Z")!), ("America/New_York", Instant(iso8601: "2026-11-01T06:00:00Z")!),
        ("Europe/London", Instant(iso8601: "2026-03-29T01:00:00Z")!), ("Europe/London", Instant(iso8601: "2026-10-25T01:00:00Z")!),
        ("Australia/Lord_Howe", Instant(iso8601: "2026-04-04T15:00:00Z")!), ("Australia/Lord_Howe", Instant(iso8601: "2026-10-03T15:30:00Z")!),
        ("Asia/Jakarta", Instant(iso8601: "2026-03-08T07:00:00Z")!),
    ]

    static func near(_ index: Int, _ seconds: Int64) -> (String, Instant) {
        (transitions[index].zone, transitions[index].instant + .seconds(seconds / 60 * 60))
    }

    static let nearTransition = zip(Gen.int(in: 0...6), Gen.int64(in: -129_600...129_600)).map { (index: Int, seconds: Int64) -> (String, Instant) in
        near(index, seconds)
    }

    @Test func slotTimesAcrossDSTShowTheInstantsCalendlyReturned() async {
        await propertyCheck(count: 300, input: Self.nearTransition) { zone, instant in
            let time = LocalTime(zoneIdentifier: zone)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: zone)!
            let date = Date(timeIntervalSince1970: Double(instant.secondsSince1970))
            let oracle = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
            let ours = time.components(of: instant)
            #expect(ours.date.year == oracle.year && ours.date.month == oracle.month && ours.date.day == oracle.day)
            #expect(ours.hour == oracle.hour && ours.minute == oracle.minute)
            #expect(ours.weekday + 1 == oracle.weekday)
            // Local wall time minus the shown offset gives back the exact UTC instant.
            let wall = Instant(utcDate: ours.date, hour: ours.hour, minute: ours.minute)
            #expect(wall - .seconds(Int64(ours.offsetSeconds)) == instant)
            #expect(time.shortLabel(instant).hasSuffix("\(ours.hour.padded(2)):\(ours.minute.padded(2))"))
        }
    }

    @Test func offeredRowsAreDistinctEvenInARepeatedHour() async {
        await propertyCheck(count: 200, input: Self.nearTransition, Gen.int(in: 1...10)) { zoneAndStart, count in
            let (zone, start) = zoneAndStart
            let offer = SlotOffer(number: 1, slots: (0..<count).map { Slot(start: start + .minutes(30 * Int64($0))) })
            guard case .interactiveList(_, let button, let rows) = OfferRenderer.render(offer, channel: .whatsapp, eventName: "A very long event type name that goes on",
                                                                                       durationMinutes: 30, time: LocalTime(zoneIdentifier: zone)) else {
                Issue.record("WhatsApp offers must be interactive lists"); return
            }
            #expect(rows.count == count && rows.count <= 10 && button.count <= 20)
            #expect(rows.allSatisfy { $0.title.count <= 24 && $0.description.count <= 72 })
            // Wall-clock titles may repeat when clocks fall back; title + description (with the offset) never do.
            #expect(Set(rows.map { $0.title + $0.description }).count == rows.count)
            for (index, row) in rows.enumerated() { #expect(offer.index(ofRowID: row.id) == index) }
        }
    }

    @Test func textRepliesSelectTheSlotTheyName() async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...6), Gen.int(in: 0...5), Gen.element(of: ["Asia/Jakarta", "America/New_York", "Australia/Lord_Howe"])) { count, pick, zone in
            let index = pick % count
            let start = Instant(iso8601: "2026-11-26T01:00:00Z")!
            let offer = SlotOffer(number: 2, slots: (0..<count).map { Slot(start: start + .minutes(90 * Int64($0))) })
            let time = LocalTime(zoneIdentifier: zone!)
            for reply in ["\(index + 1)", "#\(index + 1)", "option \(index + 1)", "\(index + 1).", " Option \(index + 1) ", time.shortLabel(offer.slots[index].start)] {
                #expect(ReplyParser.meaning(of: reply, offer: offer, time: time) == .slot(index: index), "reply \(reply)")
            }
            #expect(ReplyParser.meaning(of: "\(count + 1)", offer: offer, time: time) == .unclear)
            #expect(ReplyParser.meaning(of: "0", offer: offer, time: time) == .unclear)
        }
    }

    @Test func iso8601RoundTrips() async {
        await propertyCheck(count: 500, input: Gen.int64(in: -2_000_000_000_000...4_000_000_000_000)) { millis in
            let instant = Instant(millisecondsSince1970: millis)
            #expect(Instant(iso8601: instant.iso8601) == instant)
            #expect(CivilDate(daysSince1970: instant.utcDate.daysSince1970) == instant.utcDate)
        }
    }
}

@Suite struct CatalogProperties {
    static func make(_ flags: Int, _ pooling: Int, _ number: Int) -> EventType {
        let poolings: [PoolingType?] = [nil, .roundRobin, .collective, .multiPool]
        let words = ["alpha", "Beta", "gamma"]
        return EventType(uri: CalendlyURI("https://api.calendly.com/event_types/ET\(number)"), name: "Meeting \(number) \(words[number % 3])",
                         active: flags & 1 == 0, kind: flags & 2 == 0 ? .solo : .group, poolingType: poolings[pooling], secret: flags & 4 != 0,
                         bookingMethod: flags & 8 == 0 ? .instant : .poll, isPaid: flags & 16 != 0, schedulingURL: "https://calendly.com/x/\(number)")
    }

    static let eventTypes = zip(Gen.int(in: 0...63), Gen.int(in: 0...3), Gen.int(in: 0...999))
        .map { (flags: Int, pooling: Int, number: Int) -> EventType in make(flags, pooling, number) }
        .array(of: 0...80)

    @Test func onlyEligibleTypesAreListedAndSearchReachesEveryOne() async {
        await propertyCheck(count: 200, input: Self.eventTypes, Gen.bool) { fetched, allowSecret in
            let policy = EligibilityPolicy(allowSecret: allowSecret)
            let catalog = EventTypeCatalog(from: fetched, policy: policy)
            let expected = fetched.filter { (type: EventType) -> Bool in
                let shape = type.active && type.kind == .solo && type.poolingType == nil
                return shape && type.bookingMethod == .instant && !type.isPaid && (allowSecret || !type.secret)
            }
            #expect(catalog.eventTypes.count == expected.count)
            #expect(catalog.eventTypes.allSatisfy(policy.isEligible))
            let first = catalog.page()
            #expect(first.items.count == min(25, expected.count) && first.totalMatches == expected.count)
            for eventType in catalog.eventTypes {
                // AC-4: any type beyond the first 25 is found by searching its name (case-insensitively).
                let page = catalog.page(matching: eventType.name.uppercased())
                #expect(page.items.contains(eventType) || page.totalMatches > 25)
                #expect(page.items.allSatisfy { $0.name.lowercased().contains(eventType.name.lowercased()) })
            }
        }
    }
}
