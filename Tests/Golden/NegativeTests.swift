@testable import Core
import Effects
import Foundation
import Testing

/// PRD §11.2 negative scenarios, from the §5 non-goals.
@Suite struct NegativeTests {
    typealias F = Fixtures

    @Test func NEG1_rescheduleOrCancelPointsToCalendly() {
        var w = BookingWorld(Transcript("after a confirmed booking, asking to reschedule or cancel in chat is not done here: the agent points to Calendly's own links"))
        let slot = F.slots(1)[0]
        w.trigger("conv-n1", F.setup(), channel: .whatsapp)
        w.calendly("conv-n1", .availableTimes(F.slots(6)))
        w.tap("conv-n1", "o1s1")
        let invitee = F.invitee("n1", start: slot.start, email: "Jane.Doe@example.com")
        w.calendly("conv-n1", .inviteeCreated(invitee))
        let callsBefore = w.calls.count

        for text in ["Can I reschedule to Friday?", "please cancel my booking", "bisa jadwal ulang?", "batal saja"] {
            w.clock.advance(.minutes(1))
            let reply = w.say("conv-n1", text)
            #expect(F.texts(reply) == ["I can't change bookings here. To reschedule, use \(invitee.rescheduleURL) — to cancel, use \(invitee.cancelURL)"], "\(text)")
        }
        #expect(w.say("conv-n1", "thanks, see you then!").isEmpty)
        w.transcript.section("the booking trigger fires again: no second booking")
        let again = w.trigger("conv-n1", F.setup(), channel: .whatsapp)
        #expect(F.texts(again) == ["You're already booked for Thursday 26 November 2026, 09:00 (Asia/Jakarta, GMT+7)."])
        #expect(w.calls.count == callsBefore, "no Calendly call: nothing is rescheduled, canceled or rebooked")
        #expect(w.conversation("conv-n1").phase == .confirmed(invitee))
        w.transcript.verify()
    }

    @Test func NEG2_humanAgentCannotBook() {
        var t = Transcript("no agent-initiated booking surface: only the AI Agent runtime may run bookings; a human agent gets no Calendly permission at all")
        for role in Role.allCases {
            for permission in Permission.allCases {
                let allowed = Access.allows(F.principal(role), permission)
                t.call("Access.allows(\(role.rawValue), \(permission.rawValue))", outputs: ["\(allowed)"], allowed ? "allowed" : "denied")
            }
        }
        #expect(!Access.allows(F.principal(.agent), .runBooking))
        #expect(!Access.allows(F.principal(.agent), .configure))
        #expect(!Access.allows(F.principal(.agent), .viewAnalytics))
        #expect(!Access.allows(F.principal(.admin), .runBooking))
        #expect(!Access.allows(F.principal(.supervisor), .runBooking))
        #expect(Access.allows(F.principal(.runtime), .runBooking))
        #expect(!Access.allows(F.principal(.runtime, flags: []), .runBooking), "flag off: even the runtime may not book")
        let row = ActionDrawer.calendlyRow(for: F.principal(.agent))
        t.call("ActionDrawer.calendlyRow(agent)", outputs: [row.map(GoldenJSON.encode) ?? "<no row>"], row == nil ? "not rendered" : "rendered")
        #expect(row == nil)
        t.verify()
    }

    @Test func NEG3_roundRobinAndCollectiveNotSelectable() {
        var t = Transcript("round-robin, collective, multi-pool and group event types never appear in the dropdown and cannot be saved even if requested directly")
        let clock = VirtualClock()
        var config = ActionConfig(agent: F.agent)
        let account = F.configAccount(F.connected())
        let open = t.config(&config, .opened(account, at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(open)!, .eventTypes(F.mixedAccount), at: clock.now))
        for query in ["round robin", "panel", "pool", "webinar"] {
            let page = config.page(matching: query)
            t.call("page(matching: \"\(query)\")", outputs: page.items.map(\.name), "shown=\(page.items.count)")
            #expect(page.items.isEmpty, "\(query)")
        }
        for team in [F.roundRobin, F.collective, F.multiPool, F.group] {
            t.section("a crafted save of \(team.name)")
            let save = t.config(&config, .saveRequested(ActionDraft(eventType: team.uri, emailField: "contact.email"), account, at: clock.now))
            let refused = t.config(&config, .calendlyReplied(F.requestID(save)!, .eventType(team), at: clock.now))
            #expect(F.rejections(refused).first?.field == "eventType")
            #expect(config.saved == nil)
        }
        t.verify()
    }

    @Test func NEG4_paidTypesNotOffered() {
        var w = BookingWorld(Transcript("payment-required event types are not listed, cannot be saved and are never offered; the agent never collects payment"))
        let clock = VirtualClock()
        var config = ActionConfig(agent: F.agent)
        let account = F.configAccount(F.connected())
        let open = w.transcript.config(&config, .opened(account, at: clock.now))
        w.transcript.config(&config, .calendlyReplied(F.requestID(open)!, .eventTypes(F.mixedAccount), at: clock.now))
        #expect(config.page(matching: "strategy").items.isEmpty)
        #expect(!config.page().items.contains { $0.isPaid })

        w.transcript.section("a crafted save of the paid type")
        let save = w.transcript.config(&config, .saveRequested(ActionDraft(eventType: F.paid.uri, emailField: "contact.email"), account, at: clock.now))
        let refused = w.transcript.config(&config, .calendlyReplied(F.requestID(save)!, .eventType(F.paid), at: clock.now))
        #expect(F.rejections(refused).first?.message == Copy.eventTypeIneligible)
        #expect(config.saved == nil)

        w.transcript.section("a saved action whose event-type snapshot is paid is never offered (BookingSetup.resolve guard)")
        var legacy = F.saved()
        legacy.saved = SavedAction(draft: ActionDraft(eventType: F.paid.uri, emailField: "contact.email"), eventType: F.paid, savedAt: clock.now)
        let readiness = w.transcript.resolve("saved type is paid", connection: F.connected(), config: legacy)
        #expect(readiness == .notOffered(.eventTypeIneligible))
        let trigger = w.send("conv-paid", .triggerMet(BookingConversation.Trigger(setup: readiness, channel: .whatsapp, timeZone: F.customerZone, attribution: F.attribution), at: w.now))
        #expect(F.messages(trigger).isEmpty && F.calls(trigger).isEmpty)

        w.transcript.section("the type was made paid in Calendly after saving (the saved snapshot cannot know): Calendly refuses the booking → apology + static link, never a payment step")
        w.trigger("conv-became-paid", F.setup(), channel: .whatsapp)
        w.calendly("conv-became-paid", .availableTimes(F.slots(3)))
        w.tap("conv-became-paid", "o1s1")
        let failed = w.calendly("conv-became-paid", .failed(.rejected(message: "This event type requires payment")))
        #expect(F.texts(failed) == [Copy.apology(link: F.fallbackLink)])
        #expect(!w.messages.contains { if case .confirmationCard = $0.content { true } else { false } })
        w.transcript.verify()
    }
}
