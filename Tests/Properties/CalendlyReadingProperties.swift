import Core
import Effects
import PropertyBased
import Testing

/// Issue 11: what the product makes of Calendly's listings and of the fields Calendly leaves out is
/// decided in Core, once, for the live performer and the simulator alike. Each rule keeps to the side
/// where a surprise costs a question or a request, never a double booking or a refused one.
@Suite struct CalendlyReadingProperties {
    static let statuses: [String?] = [nil, "active", "canceled", "ACTIVE", "", " active", "pending", "available", "unavailable"]
    static let instants: [Int64] = [Int64.min, -1, 0, 1, 1_764_000_000_000, 1_764_000_060_000, Int64.max]
    static let booked = CalendlyURI("https://api.calendly.com/event_types/BOOKED")
    static let types: [CalendlyURI?] = [nil, booked, CalendlyURI("https://api.calendly.com/event_types/OTHER"), CalendlyURI(""),
                                        CalendlyURI("https://api.calendly.com/event_types/booked")]

    @Test func aLookupReadsActiveEventsFirstAndDropsNone() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...(Self.statuses.count - 1)).array(of: 0...30)) { picks in
            let events = picks.enumerated().map { (index: $0, status: Self.statuses[$1]) }
            let ordered = InviteeLookup.readingOrder(events, status: \.status)
            #expect(ordered.map(\.index).sorted() == events.map(\.index), "every event is read: \(picks)")
            let firstInactive = ordered.firstIndex { !InviteeLookup.isActive(status: $0.status) } ?? ordered.count
            #expect(ordered[firstInactive...].allSatisfy { !InviteeLookup.isActive(status: $0.status) }, "active first: \(picks)")
            #expect(ordered[..<firstInactive].map(\.index) == ordered[..<firstInactive].map(\.index).sorted(), "listed order kept: \(picks)")
            #expect(ordered[firstInactive...].map(\.index) == ordered[firstInactive...].map(\.index).sorted(), "listed order kept: \(picks)")
        }
    }

    /// Only a stated "canceled" is canceled: a missing or unknown status must not hide our own booking.
    @Test func aMissingOrUnknownStatusIsActiveAndOnlyCanceledIsCanceled() {
        for status in Self.statuses + ["canceled", "Canceled", "cancelled", " canceled"] {
            #expect(InviteeLookup.isActive(status: status) == (status != "canceled"), "\(String(describing: status))")
            #expect(CalendlyStatus.isCanceled(status) == !InviteeLookup.isActive(status: status))
        }
    }

    @Test func aCandidateStartsExactlyAndIsOfTheBookedTypeOrOfNone() async {
        let instant = Gen.oneOf(Gen.int(in: 0...(Self.instants.count - 1)).map { Self.instants[$0] }, Gen.int64(in: Int64.min...Int64.max))
        await propertyCheck(count: 500, input: instant, instant, Gen.int(in: 0...(Self.types.count - 1))) { eventStart, start, typeIndex in
            let listed = Self.types[typeIndex]
            let candidate = InviteeLookup.isCandidate(eventStart: Instant(millisecondsSince1970: eventStart), eventType: listed,
                                                      start: Instant(millisecondsSince1970: start), booked: Self.booked)
            if eventStart != start { #expect(!candidate, "another start is never ours: \(eventStart) vs \(start)") }
            if let listed, listed != Self.booked { #expect(!candidate, "another type is never ours: \(listed)") }
            if eventStart == start, listed == nil || listed == Self.booked { #expect(candidate, "\(start) \(String(describing: listed))") }
        }
    }

    @Test func anInviteeIsTheOneLookedUpWhateverTheCaseOfItsAddress() async {
        let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789._+-")
        await propertyCheck(count: 300, input: Gen.int(in: 0...(letters.count - 1)).array(of: 1...40), Gen.bool.array(of: 41...41),
                            Gen.int(in: 0...(letters.count - 1))) { local, upper, changed in
            let address = String(local.map { letters[$0] }) + "@Example.com"
            let typed = String(address.enumerated().map { upper[$0.offset % upper.count] ? Character($0.element.uppercased()) : $0.element })
            #expect(InviteeLookup.isSameInvitee(listedEmail: typed, lookedUp: address), "\(typed) / \(address)")
            let other = String(letters[changed]) + address
            #expect(!InviteeLookup.isSameInvitee(listedEmail: other, lookedUp: address), "\(other) / \(address)")
        }
        #expect(InviteeLookup.isSameInvitee(listedEmail: "", lookedUp: ""))
        #expect(!InviteeLookup.isSameInvitee(listedEmail: "a@example.com", lookedUp: ""))
    }

    /// A time listed without a status is offered (a taken one is answered "slot taken" and re-offered);
    /// any stated status but "available" is not.
    @Test func onlyAvailableOrUnstatedTimesAreOffered() {
        for status in Self.statuses + ["Available", "available ", String(repeating: "available", count: 10_000)] {
            #expect(SlotAvailability.isOffered(status: status) == (status == nil || status == "available"), "\(String(describing: status?.prefix(20)))")
        }
    }

    /// A subscription not stated active is re-created rather than trusted to deliver.
    @Test func onlyAStatedActiveSubscriptionDelivers() {
        for state in Self.statuses + ["disabled", "Active", "active "] {
            #expect(WebhookSubscriptionState.isDelivering(state: state) == (state == "active"), "\(String(describing: state))")
        }
    }

    @Test func aReconciliationRunReadsTheEventsOfItsTypesAndEveryEventWithoutAScope() async {
        let scope = Gen.int(in: 1...(Self.types.count - 1)).array(of: 0...4)
        await propertyCheck(count: 300, input: Gen.bool, scope, Gen.int(in: 0...(Self.types.count - 1))) { scoped, picks, typeIndex in
            let eventTypes: [CalendlyURI]? = scoped ? picks.compactMap { Self.types[$0] } : nil
            let eventType = Self.types[typeIndex]
            let included = ReconciliationScope.includes(eventType: eventType, among: eventTypes)
            switch (eventTypes, eventType) {
            case (nil, _): #expect(included, "no scope reads every event")
            case (let eventTypes?, nil): #expect(!included, "an untyped event answers no reference: \(eventTypes)")
            case (let eventTypes?, let eventType?): #expect(included == eventTypes.contains(eventType), "\(eventType) in \(eventTypes)")
            }
        }
    }

    static func field<T>(_ pick: Int, _ value: T) -> LenientField<T> {
        switch pick {
        case 0: return .absent
        case 1: return .invalid
        default: return .value(value)
        }
    }

    /// Whatever Calendly leaves out or sends unreadable, a question is shown and required unless
    /// Calendly said otherwise: asking one question too many is cheap, a missed required one fails every booking.
    @Test func anUnknownRequiredIsRequiredBecauseSkippingARequiredQuestionFailsEveryBooking() async {
        let pick = Gen.int(in: 0...2)
        let position = Gen.oneOf(Gen.always(Int.min), Gen.always(Int.max), Gen.int(in: -5...50))
        await propertyCheck(count: 500, input: zip(pick.array(of: 5...5), Gen.bool.array(of: 3...3)), position,
                            Gen.oneOf(Gen.always(0), Gen.always(Int.max), Gen.int(in: 0...100))) { flags, stated, index in
            let (picks, bools) = flags
            let reported = ReportedQuestion(name: "Q", type: Self.field(picks[0], "text"), position: Self.field(picks[1], stated),
                                            enabled: Self.field(picks[2], bools[0]), required: Self.field(picks[3], bools[1]),
                                            answerChoices: picks[4] == 2 ? ["a", "b"] : nil, includeOther: Self.field(picks[4], bools[2]))
            let question = EventTypeDefaults.question(reported, index: index)
            #expect(question.required == (reported.required.value ?? true), "required: \(picks) \(bools)")
            #expect(question.enabled == (reported.enabled.value ?? true), "enabled: \(picks) \(bools)")
            #expect(question.includeOther == (reported.includeOther.value == true), "includeOther: \(picks) \(bools)")
            #expect(question.position == (picks[1] == 2 ? stated : index), "position: \(picks) \(stated) \(index)")
            #expect(question.type == (picks[0] == 2 ? "text" : "string"), "type: \(picks)")
            #expect(question.answerChoices == (picks[4] == 2 ? ["a", "b"] : []))
            #expect(question.name == "Q")
        }
    }

    @Test func aDurationIsAtLeastAMinuteAndWhatCalendlySaidWhenItIsOne() async {
        let stated = Gen.oneOf(Gen.always(Int.min), Gen.always(Int.max), Gen.always(0), Gen.always(-1), Gen.int(in: -1_000...1_000))
        await propertyCheck(count: 300, input: Gen.bool, stated) { present, minutes in
            let decided = EventTypeDefaults.durationMinutes(present ? minutes : nil)
            #expect(decided >= 1, "\(present) \(minutes)")
            #expect(decided == (present && minutes > 0 ? minutes : EventTypeDefaults.durationMinutes), "\(present) \(minutes)")
        }
    }

    /// A listing's missing times: the cancellation's own time wins over the row's update; a lookup's
    /// cancellation without any time is as late as the meeting (never before our booking request); a
    /// reconciled notice's is never before its creation, whose own stand-in is the meeting's start.
    @Test func missingListingTimesStandInOnTheSideThatNeverBooksTwiceOrCountsBackwards() async {
        let time = Gen.oneOf(Gen.int(in: 0...(Self.instants.count - 1)).map { Self.instants[$0] }, Gen.int64(in: Int64.min...Int64.max))
            .map { Instant(millisecondsSince1970: $0) }
        await propertyCheck(count: 300, input: time.optional, time.optional, time.optional, time) { cancellation, updated, created, start in
            let stated = ListedInviteeTimes.stated(cancellation: cancellation, updatedAt: updated)
            #expect(stated == cancellation ?? updated)
            #expect(ListedInviteeTimes.canceledAtForLookup(stated: stated, start: start) == stated ?? start)
            let createdAt = ListedInviteeTimes.createdAt(stated: created, start: start)
            #expect(createdAt == created ?? start)
            let canceledAt = ListedInviteeTimes.canceledAtForNotice(stated: stated, createdAt: createdAt)
            #expect(canceledAt == stated ?? createdAt)
            if stated == nil { #expect(canceledAt >= createdAt, "no time stated: canceled when created, not before") }
        }
    }
}
