import Core
import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters

/// Reconciliation (issue 6 item 2) over real HTTP: `LiveCalendly.listScheduledInvitees` against the
/// emulator, and a full run through `LiveRuntime` + `SQLiteStore` after webhooks never arrived.
@Suite struct LiveReconciliationTests {
    /// Slot starts the emulator offers for ET-INTRO over the next days, in order.
    static func slots(_ harness: LiveHarness, _ token: TokenReference, count: Int) async throws -> [Instant] {
        let from = LiveCalendly.wallClock() + .minutes(5)
        let reply = await harness.calendly.perform(.availableTimes(token, eventType: harness.eventType("ET-INTRO"), from: from, to: from + .days(3)))
        guard case .availableTimes(let slots) = reply, slots.count >= count else { throw LCError.noSlots(reply) }
        return slots.prefix(count).map(\.start).sorted()
    }

    func created(_ reply: CalendlyReply) throws -> Invitee {
        guard case .inviteeCreated(let invitee) = reply else { throw LCError.noSlots(reply) }
        return invitee
    }

    /// Two of ours (one moved out of the window, one canceled), two made on Calendly's page (one through
    /// an attributed link), one of ours after the window: a page size of 2 makes the four events in the
    /// window two pages, and the moved booking is followed to its new time.
    @Test func listsActiveAndCanceledInviteesOfTheWindowAcrossPages() async throws {
        try await LiveHarness.run(pageSize: 2) { harness in
            let token = await harness.connect()
            let s = try await Self.slots(harness, token, count: 8)
            let moved = try created(await harness.calendly.perform(.createInvitee(token, key: "conv-a#1", harness.booking("ann@example.com", at: s[0]))))
            let canceled = try created(await harness.calendly.perform(.createInvitee(token, key: "conv-b#1", harness.booking("bob@example.com", at: s[1]))))
            let tracking = BookingTracking(utmSource: FallbackLink.source, utmContent: "conv-ref-0001")
            guard case .success(let linked) = await harness.model.takeSlot(eventType: harness.eventType("ET-INTRO"), start: s[2],
                                                                         email: "cara@example.com", tracking: tracking),
                  case .success(let stranger) = await harness.model.takeSlot(eventType: harness.eventType("ET-INTRO"), start: s[3]) else {
                Issue.record("the emulator refused a page booking"); return
            }
            let later = try created(await harness.calendly.perform(.createInvitee(token, key: "conv-e#1", harness.booking("eve@example.com", at: s[5]))))
            guard case .success(let movedTo) = await harness.model.rescheduleBooking(moved.uri, to: s[7]) else { Issue.record("no reschedule"); return }
            #expect(await harness.model.cancelBooking(canceled.uri))

            let reply = await harness.calendly.perform(.listScheduledInvitees(token, user: harness.host, from: s[0], to: s[4]))
            guard case .scheduledInvitees(let notices) = reply else { Issue.record("no listing: \(reply)"); return }
            let byKind = Dictionary(grouping: notices) { "\($0.kind.rawValue) \($0.invitee)" }
            #expect(byKind.values.allSatisfy { $0.count == 1 }, "each webhook once: \(notices.map(\.delivery))")
            func notice(_ kind: InviteeNotice.Kind, _ invitee: Invitee) -> InviteeNotice? { byKind["\(kind.rawValue) \(invitee.uri)"]?.first }

            #expect(Set(notices.map(\.invitee)) == [moved.uri, movedTo.uri, canceled.uri, linked.uri, stranger.uri], "only the window (and where it led)")
            #expect(notice(.created, later) == nil)
            #expect(notices.allSatisfy { $0.eventType == harness.eventType("ET-INTRO") })
            // Narrowed to other event types, the same window reads no invitees at all (each costs a request).
            let before = await harness.model.requestsServed
            let narrowed = await harness.calendly.perform(.listScheduledInvitees(token, user: harness.host, from: s[0], to: s[4],
                                                                                eventTypes: [harness.eventType("ET-QUICK")]))
            #expect(narrowed == .scheduledInvitees([]))
            #expect(await harness.model.requestsServed - before == 2, "the two listing pages, no invitee reads")

            let movedAway = try #require(notice(.canceled, moved))
            #expect(movedAway.rescheduled && movedAway.newInvitee == movedTo.uri && movedAway.start == s[0])
            let movedHere = try #require(notice(.created, movedTo))
            #expect(movedHere.oldInvitee == moved.uri && movedHere.start == s[7] && movedHere.event == movedTo.eventURI)
            #expect(notice(.created, moved)?.start == s[0] && notice(.created, moved)?.email == "ann@example.com")

            let cancellation = try #require(notice(.canceled, canceled))
            #expect(!cancellation.rescheduled && cancellation.newInvitee == nil && cancellation.start == s[1])
            let booking = try #require(notice(.created, canceled))
            #expect(cancellation.sentAt >= booking.sentAt)

            #expect(notice(.created, linked)?.tracking == tracking && notice(.canceled, linked) == nil)
            #expect(notice(.created, stranger)?.tracking?.utmSource == nil && notice(.created, stranger)?.email == "someone.else@example.com")
            #expect(notices.count == 7)
        }
    }

    /// An empty window is an empty answer; a 429 on an invitees request fails the whole listing (no partial
    /// answer), and so does a listing Calendly refuses.
    @Test func anEmptyWindowListsNothingAndAFailedPageFailsTheListing() async throws {
        try await LiveHarness.run(pageSize: 2) { harness in
            let token = await harness.connect()
            let s = try await Self.slots(harness, token, count: 3)
            _ = try created(await harness.calendly.perform(.createInvitee(token, key: "conv-a#1", harness.booking("ann@example.com", at: s[2]))))
            #expect(await harness.calendly.perform(.listScheduledInvitees(token, user: harness.host, from: s[0], to: s[1])) == .scheduledInvitees([]))
            await harness.fault(EmulatorFault(path: "/scheduled_events/*", method: "GET", status: 429, retryAfter: 600))
            #expect(await harness.calendly.perform(.listScheduledInvitees(token, user: harness.host, from: s[0], to: s[2] + .minutes(1)))
                == .failed(.rateLimited(retryAfter: .seconds(600))))
            guard case .scheduledInvitees(let notices) = await harness.calendly.perform(.listScheduledInvitees(token, user: harness.host, from: s[0],
                                                                                                             to: s[2] + .minutes(1))) else {
                Issue.record("the next listing failed too"); return
            }
            #expect(notices.map(\.start) == [s[2]])
            let foreign = CalendlyURI(harness.baseURL + "/users/SOMEONE-ELSE")
            guard case .failed = await harness.calendly.perform(.listScheduledInvitees(token, user: foreign, from: s[0], to: s[2] + .minutes(1))) else {
                Issue.record("another user's events were listed"); return
            }
        }
    }

    /// Offer → first row → email → booked (the reply says so); returns the invitee.
    static func book(_ harness: LiveFlowHarness, _ conversation: ConversationID, _ email: String) async throws -> Invitee {
        _ = try await harness.offer(conversation)
        let offer = try harness.shownOffer(conversation)
        _ = try await harness.runtime.conversation(conversation, .customerChoseRow(offer.rowID(0), at: LiveCalendly.wallClock()))
        _ = try await harness.runtime.conversation(conversation, .customerReplied(email, at: LiveCalendly.wallClock()))
        guard case .confirmed(let invitee)? = try harness.phase(conversation) else { throw FlowError.unexpectedPhase(try harness.phase(conversation)?.name ?? "none") }
        return invitee
    }

    /// The whole path: three bookings made in chat while Calendly cannot deliver webhooks (no
    /// subscription), the middle one canceled at Calendly; the full reconciliation confirms two, cancels
    /// the third and counts the cancellation once — and a second run over the same window changes nothing.
    @Test func reconcileThroughTheRuntimeCancelsAndCountsOnce() async throws {
        try await LiveFlowHarness.run { harness in
            let account = try await harness.connectThroughOAuth()
            try await harness.saveAction(account)
            let conversations: [ConversationID] = ["acme:recon-1", "acme:recon-2", "acme:recon-3"]
            var invitees: [Invitee] = []
            for (index, conversation) in conversations.enumerated() {
                invitees.append(try await Self.book(harness, conversation, "casey.recon\(index)@example.com"))
            }
            #expect(invitees.map(\.start) == invitees.map(\.start).sorted() && Set(invitees.map(\.start)).count == 3)
            let keys = conversations.map { BookingKey("\($0)#1") }
            func references() throws -> [BookingReference?] { try harness.store.transaction { tx in keys.map { tx.reference($0) } } }
            #expect(try references().map { $0?.status } == [.created, .created, .created], "no webhook confirmed them")

            #expect(await harness.model.cancelBooking(invitees[1].uri))
            #expect(harness.webhooks.all.isEmpty, "nothing was delivered")
            #expect(try references()[1]?.status == .created)

            // The periodic run asks only for stale references — none are 10 minutes old — yet an agent
            // without a subscription gets a full run: nothing else would tell it of the cancellation.
            try await harness.runtime.reconcileAll(scope: .stale)
            #expect(try references()[1]?.status == .canceled, "a .stale run without a subscription is a full one")
            let window = try #require(try await harness.runtime.reconcile(agent: LiveFlowHarness.agent, scope: .all))
            #expect(window.from == invitees[0].start && window.to == invitees[2].start + .minutes(1))
            let after = try references()
            #expect(after.map { $0?.status } == [.confirmed, .canceled, .confirmed])
            #expect(after[1]?.invitee == invitees[1].uri && after[1]?.canceledAt != nil)
            let counts = try Self.totals(harness)
            #expect(counts.created == 3 && counts.canceled == 1)

            // Again: the two confirmed bookings still ahead span the same window, the canceled one in it.
            #expect(try await harness.runtime.reconcile(agent: LiveFlowHarness.agent, scope: .all) == window)
            try await harness.runtime.reconcileAll(scope: .all)
            #expect(try references() == after)
            #expect(try Self.totals(harness) == counts)
        }
    }

    static func totals(_ harness: LiveFlowHarness) throws -> Analytics.Counts {
        let today = LiveCalendly.wallClock().utcDate
        let analytics = try harness.store.transaction { try $0.analytics(agent: LiveFlowHarness.agent, from: today, to: today) }
        return analytics.days.values.reduce(Analytics.Counts(), +)
    }
}
