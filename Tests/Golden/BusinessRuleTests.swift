@testable import Core
import Effects
import Interpreters
import Testing

/// Issue 11 defects 4–6: each rule is a Core function, and every store, interpreter and route calls it.
/// These tests pin the rules themselves; the stores' differential test (SQLiteStoreTests) and the
/// simulator check that the callers agree.
@Suite struct BusinessRuleTests {
    typealias F = Fixtures
    static let eventType = F.intro.uri
    static let start = F.slots(1)[0].start

    static func notice(_ tag: String, kind: InviteeNotice.Kind = .created, email: String = "Jane.Doe@Example.com",
                       old: CalendlyURI? = nil, new: CalendlyURI? = nil) -> InviteeNotice {
        InviteeNotice(kind, of: F.invitee(tag, start: start, email: email), eventType: eventType, sentAt: start, source: .webhook,
                      rescheduled: new != nil, newInvitee: new, oldInvitee: old)
    }

    static func pending(_ key: BookingKey, email: String) -> BookingReference {
        var reference: BookingReference?
        _ = BookingReference.reduce(&reference, .intentRecorded(BookingIntent(key: key, agent: F.agent, conversation: "conv", eventType: eventType,
                                                                               start: start, email: email, recordedAt: start - .hours(1))))
        return reference!
    }

    // MARK: Reference matching (defect 4)

    @Test func anInviteeURIWinsOverAPendingMatchInTheNoticesOrder() {
        let notice = Self.notice("m1", old: "https://api.calendly.com/scheduled_events/EV-old/invitees/INV-old")
        var asked: [CalendlyURI] = []
        let key = BookingReference.match(notice, byInvitee: { uri in
            asked.append(uri)
            return uri == notice.oldInvitee ? "by-old" : nil
        }, pending: { _ in ["a-pending"] })
        #expect(key == "by-old")
        #expect(asked == [notice.invitee, notice.oldInvitee!], "its own URI first, then the other half of the reschedule")
        let own = BookingReference.match(notice, byInvitee: { _ in "own" }, pending: { _ in ["a-pending"] })
        #expect(own == "own")
    }

    @Test func ofSeveralPendingIntentsTheSmallestKeyWinsAndEmailCaseDoesNotMatter() {
        let notice = Self.notice("m2", email: "JANE.doe@example.COM")
        var looked: BookingReference.MatchKey?
        let key = BookingReference.match(notice, byInvitee: { _ in nil }, pending: { match in
            looked = match
            return ["conv-b#1", "conv-a#2", "conv-c#1"]
        })
        #expect(key == "conv-a#2")
        #expect(looked == Self.pending("x", email: "jane.DOE@example.com").matchKey)
        #expect(looked?.email == "jane.doe@example.com")
        #expect(BookingReference.match(notice, byInvitee: { _ in nil }, pending: { _ in [] }) == nil)
    }

    /// Found by the simulator (seed 1, c2609): reconciliation gave up, the customer booked the same slot through
    /// the attributed static link, and that booking's webhook matched the still-pending chat intent by (event type,
    /// start, email) — the conversation was confirmed with a booking the service never made, and the link booking
    /// went uncounted. Our own `POST /invitees` carries no tracking, so our attribution marks a link booking.
    @Test func aBookingThroughOurLinkNeverAnswersAPendingChatIntent() {
        var viaLink = Self.notice("l1")
        viaLink.tracking = BookingTracking(utmSource: FallbackLink.source, utmContent: "5c0ffee05c0ffee05c0ffee0")
        #expect(BookingReference.match(viaLink, byInvitee: { _ in nil }, pending: { _ in ["conv#1"] }) == nil)
        #expect(BookingReference.match(viaLink, byInvitee: { $0 == viaLink.invitee ? "conv#link" : nil }, pending: { _ in ["conv#1"] }) == "conv#link",
                "its own later notices still find the link booking's reference by invitee URI")
        var someoneElses = Self.notice("l2")
        someoneElses.tracking = BookingTracking(utmSource: "newsletter", utmContent: "5c0ffee05c0ffee05c0ffee0")
        #expect(BookingReference.match(someoneElses, byInvitee: { _ in nil }, pending: { _ in ["conv#1"] }) == "conv#1",
                "another source's tracking is not ours: the pending match stands")
    }

    @Test func aReferenceIsFoundByEmailOnlyWhileItsOutcomeIsOpen() {
        var reference: BookingReference? = Self.pending("conv#1", email: "Jane@Example.com")
        #expect(reference?.matchKey != nil)
        _ = BookingReference.reduce(&reference, .intentSettled(.booked(F.invitee("s", start: Self.start, email: "jane@example.com")), at: Self.start))
        #expect(reference?.matchKey == nil, "settled: only its invitee URI finds it now")
    }

    @Test func anUnmatchedWebhookIsUnknownButAnUnmatchedReconciledNoticeIsDropped() {
        let notice = Self.notice("m3")
        let webhook = BookingReference.route(notice, reconciled: false, at: Self.start, matched: nil) { _ in nil }
        #expect(webhook?.key == nil)
        #expect(webhook?.input == .notice(notice, at: Self.start), "the reducer on no state says unknown_event")
        #expect(BookingReference.route(notice, reconciled: true, at: Self.start, matched: nil) { _ in nil } == nil)
        let matched = BookingReference.route(notice, reconciled: true, at: Self.start, matched: "k") { _ in nil }
        #expect(matched?.key == "k")
        #expect(AggregateMessage.reconciledNotice(notice).isReconciled && !AggregateMessage.inviteeNotice(notice).isReconciled)
    }

    @Test func bothStoresDecideThroughTheCoreRule() {
        var store = InMemoryStore()
        store.putReference(Self.pending("conv-b#1", email: "jane.doe@example.com"))
        store.putReference(Self.pending("conv-a#1", email: "JANE.DOE@example.com"))
        #expect(store.referenceKey(matching: Self.notice("m4")) == "conv-a#1")
    }

    // MARK: Notice construction (defect 5)

    @Test func aWebhookBodyAndTheConstructorGiveTheSameNotice() throws {
        let invitee = F.invitee("n1", start: Self.start, email: "jane@example.com")
        let body = F.webhookBody("invitee.created", invitee: invitee, eventType: Self.eventType, createdAt: Self.start)
        guard case .success(.invitee(let parsed)) = WebhookPayload.parse(body) else { Issue.record("not parsed"); return }
        #expect(parsed == InviteeNotice(.created, of: invitee, eventType: Self.eventType, sentAt: Self.start, source: .webhook))
        #expect(parsed.delivery == InviteeNotice.deliveryID(.created, invitee: invitee.uri, source: .webhook))
    }

    @Test func reconciledNoticesPutTheRescheduleFieldsWhereCalendlyDoes() {
        let invitee = F.invitee("n2", start: Self.start, email: "jane@example.com")
        let canceledAt = Self.start - .minutes(5)
        let notices = InviteeNotice.reconciled(invitee, eventType: Self.eventType, createdAt: Self.start - .hours(1), canceledAt: canceledAt,
                                               rescheduled: true, newInvitee: "https://x/new", oldInvitee: "https://x/old",
                                               tracking: BookingTracking(utmSource: nil, utmContent: nil))
        #expect(notices.map(\.kind) == [.created, .canceled])
        #expect(notices[0].oldInvitee == "https://x/old" && notices[0].newInvitee == nil && !notices[0].rescheduled)
        #expect(notices[1].newInvitee == "https://x/new" && notices[1].oldInvitee == nil && notices[1].rescheduled && notices[1].sentAt == canceledAt)
        #expect(notices.allSatisfy { $0.tracking == nil }, "tracking without a UTM value is none")
        #expect(notices.map(\.delivery) == [InviteeNotice.deliveryID(.created, invitee: invitee.uri, source: .reconciliation),
                                            InviteeNotice.deliveryID(.canceled, invitee: invitee.uri, source: .reconciliation)])
        #expect(notices[0].delivery != InviteeNotice.deliveryID(.created, invitee: invitee.uri, source: .webhook))
        let active = InviteeNotice.reconciled(invitee, eventType: Self.eventType, createdAt: Self.start, canceledAt: nil,
                                              rescheduled: false, newInvitee: nil, oldInvitee: nil, tracking: nil)
        #expect(active.map(\.kind) == [.created])
    }

    // MARK: Invitee selection (defect 5)

    static func found(_ tag: String, canceledAt: Instant?) -> Invitee {
        var invitee = F.invitee(tag, start: start, email: "jane@example.com")
        invitee.canceledAt = canceledAt
        return invitee
    }

    @Test func anActiveInviteeWinsElseTheOneCanceledLast() {
        let early = Self.found("c1", canceledAt: Self.start - .hours(2))
        let late = Self.found("c2", canceledAt: Self.start - .hours(1))
        let sameTime = Self.found("c3", canceledAt: Self.start - .hours(1))
        let active = Self.found("a1", canceledAt: nil)
        let other = Self.found("a2", canceledAt: nil)
        #expect(InviteeSelection.select([]) == nil)
        #expect(InviteeSelection.select([early, active, late, other]) == active)
        #expect(InviteeSelection.select([late, early]) == late)
        #expect(InviteeSelection.select([early, late, sameTime]) == sameTime, "a tie goes to the one listed last")
    }

    @Test func theSimulatorAnswersLookupsByTheCoreRule() {
        var calendly = CanceledBeforeConfirmationTests.calendly()
        let request = InviteeRequest(eventType: Self.eventType, start: Self.start, email: "jane@example.com", name: nil, timeZone: "UTC")
        guard case .success(let first) = calendly.createInvitee(request, key: "k1", now: Self.start - .hours(3)) else { Issue.record("not booked"); return }
        #expect(calendly.findInvitee(eventType: Self.eventType, email: "JANE@example.com", start: Self.start) == first)
        _ = calendly.cancel(first.uri, now: Self.start - .hours(2))
        let found = calendly.findInvitee(eventType: Self.eventType, email: "jane@example.com", start: Self.start)
        #expect(found?.uri == first.uri && found?.canceledAt == Self.start - .hours(2))
    }

    // MARK: Bounded reconciliation (defect 7): extremes read back from storage

    @Test func aStoredLookupCountAtTheExtremesNeitherTrapsNorWaitsForever() {
        var conversation = BookingConversation(id: "conv-x")
        conversation.setup = F.setup()
        let attempt = BookingConversation.Attempt(key: "conv-x#1", slot: F.slots(1)[0], email: "a@example.com", request: "conv-x/1", sends: 1,
                                                  requestedAt: nil)
        conversation.phase = .reconciling(attempt, lookup: "conv-x/1")
        conversation.lookups = .max
        _ = BookingConversation.reduce(&conversation, .calendlyReplied("conv-x/1", .failed(.unreachable), at: Self.start))
        #expect(conversation.phase == .staticLink(reason: BookingConversation.bookingUnconfirmed))
        #expect(BookingConversation.reconcileDelay(failedLookups: .min) == .seconds(1))
        #expect(BookingConversation.reconcileDelay(failedLookups: .max) == BookingConversation.reconcileBackoffCap)
        #expect(!BookingConversation.reconciliationExhausted(failedLookups: 0, requestedAt: Instant(millisecondsSince1970: .max), now: Self.start))
        #expect(BookingConversation.reconciliationExhausted(failedLookups: 0, requestedAt: Instant(millisecondsSince1970: .min), now: Self.start))
    }
}
