@testable import Core
import Effects
import Foundation
import Testing

/// CALENDLY-PH2-S03 — End customer self-books a slot inside the conversation.
@Suite struct S03BookingTests {
    typealias F = Fixtures

    static let email = "Jane.Doe@example.com"

    /// Trigger + availability reply: the conversation ends with slots shown.
    static func offer(_ w: inout BookingWorld, _ id: ConversationID, setup: BookingSetup = F.setup(), channel: Channel,
                      zone: String = F.customerZone, slots: [Slot] = F.slots(6)) {
        w.trigger(id, setup, channel: channel, zone: zone)
        w.clock.advance(.milliseconds(900))
        w.calendly(id, .availableTimes(slots))
    }

    static func createRequest(_ effects: [Effect]) -> (key: BookingKey, request: InviteeRequest)? {
        for call in F.calls(effects) { if case .createInvitee(_, let key, let request) = call { return (key, request) } }
        return nil
    }

    @Test func S03_AC1_slotsInCustomerZoneAsInteractiveList() throws {
        var w = BookingWorld(Transcript("the trigger fetches availability (3 s budget) and shows slots in the customer's time zone: a WhatsApp list (≤10 rows, title ≤24, description ≤72, button ≤20) or web-chat buttons"))
        let setup = F.setup()

        w.transcript.section("WhatsApp, Asia/Jakarta: 12 slots (unsorted, one duplicate, one already past) → 10 rows")
        let trigger = w.trigger("conv-wa", setup, channel: .whatsapp)
        #expect(F.texts(trigger) == ["Checking available times…"])
        let from = w.now + .minutes(1)
        #expect(F.calls(trigger) == [.availableTimes(F.token, eventType: F.intro.uri, from: from, to: from + .days(7))])
        #expect(CalendlyCall.availableTimes(F.token, eventType: F.intro.uri, from: from, to: from).budget == .seconds(3))
        w.clock.advance(.milliseconds(1200))
        let returned = Array(F.slots(12).reversed()) + [F.slots(1)[0], Slot(start: w.now - .minutes(5))]
        let shown = w.calendly("conv-wa", .availableTimes(returned))
        guard case .interactiveList(let body, let button, let rows) = try #require(F.messages(shown).first) else {
            Issue.record("WhatsApp offer is not an interactive list"); return
        }
        #expect(body == "Here are the next available times for Intro call (Asia/Jakarta, GMT+7):")
        #expect(button == "Choose a time" && button.count <= 20)
        #expect(rows.count == 10)
        #expect(rows.allSatisfy { $0.title.count <= 24 && $0.description.count <= 72 })
        #expect(rows.first == ListRow(id: "o1s1", title: "Thu 26 Nov, 09:00", description: "30 min · Asia/Jakarta, GMT+7"))
        #expect(rows.last?.title == "Thu 26 Nov, 13:30")
        #expect(F.events(shown) == [.bookingOffered(agent: F.agent, conversation: "conv-wa", eventType: F.intro.uri, channel: .whatsapp, at: w.now)])

        w.transcript.section("web chat, America/New_York: quick-reply buttons (≤6), labels ≤20, local date differs from UTC")
        w.trigger("conv-web", setup, channel: .webchat, zone: "America/New_York")
        w.clock.advance(.milliseconds(800))
        let web = w.calendly("conv-web", .availableTimes(F.slots(12)))
        guard case .buttons(let webBody, let buttons) = try #require(F.messages(web).first) else {
            Issue.record("web chat offer is not buttons"); return
        }
        #expect(webBody == "Here are the next available times for Intro call (America/New_York, GMT-5):")
        #expect(buttons.count == 6 && buttons.allSatisfy { $0.label.count <= 20 })
        #expect(buttons.first == ChoiceButton(id: "o1s1", label: "Wed 25 Nov, 21:00"))

        w.transcript.section("an unknown zone falls back to UTC rather than blocking the offer")
        w.trigger("conv-utc", setup, channel: .whatsapp, zone: "Mars/Olympus_Mons")
        let utc = w.calendly("conv-utc", .availableTimes(F.slots(2)))
        guard case .interactiveList(_, _, let utcRows) = try #require(F.messages(utc).first) else { Issue.record("not a list"); return }
        #expect(utcRows.first?.title == "Thu 26 Nov, 02:00")
        #expect(w.conversation("conv-utc").timeZone == "UTC")
        w.transcript.verify()
    }

    @Test func S03_AC2_knownEmailBooksWithIdempotencyKeyAndConfirms() throws {
        var w = BookingWorld(Transcript("slots shown and the invitee email known: selecting a slot records the intent then creates the booking with an idempotency key; a confirmation card (event, date/time, details link) follows and calendly_booking_created is emitted"))
        Self.offer(&w, "conv-1", channel: .whatsapp)
        w.clock.advance(.seconds(20))
        let pick = w.tap("conv-1", "o1s2")
        let chosen = F.slots(6)[1]
        // Outbox order: the intent is durable before the call leaves.
        guard case .store(.recordIntent(let intent)) = try #require(pick.first) else { Issue.record("intent not recorded first"); return }
        #expect(intent.key == "conv-1#1" && intent.start == chosen.start && intent.email == Self.email)
        let create = try #require(Self.createRequest(pick))
        #expect(create.key == intent.key)
        #expect(create.request == InviteeRequest(eventType: F.intro.uri, start: chosen.start, email: Self.email, name: "Jane Doe",
                                                 timeZone: "Asia/Jakarta", answers: [QuestionAnswer(question: "Company", answer: "Acme Clinic", position: 0)]))
        #expect(w.references["conv-1#1"]?.status == .pending)

        w.clock.advance(.milliseconds(1500))
        let invitee = F.invitee("1", start: chosen.start, email: Self.email)
        let done = w.calendly("conv-1", .inviteeCreated(invitee))
        #expect(F.messages(done) == [.confirmationCard(ConfirmationCard(
            eventName: "Intro call", when: "Thursday 26 November 2026, 09:30 (Asia/Jakarta, GMT+7)",
            detailsURL: invitee.rescheduleURL, message: "Thanks! See you soon."))])
        #expect(F.events(done) == [.bookingCreated(agent: F.agent, conversation: "conv-1", eventType: F.intro.uri, scheduledTime: chosen.start, at: w.now)])
        #expect(w.conversation("conv-1").phase == .confirmed(invitee))
        #expect(w.references["conv-1#1"]?.status == .created)

        w.transcript.section("Calendly's invitee.created webhook then confirms the reference; the customer hears nothing more")
        w.clock.advance(.seconds(2))
        let body = F.webhookBody("invitee.created", invitee: invitee, eventType: F.intro.uri, createdAt: w.now)
        w.deliver(F.delivery(body, signedAt: w.now))
        #expect(w.references["conv-1#1"]?.status == .confirmed)
        #expect(w.createCalls == ["conv-1#1"])
        #expect(w.telemetry(named: "calendly_booking_created").count == 1)
        #expect(w.messages(to: "conv-1").count == 3, "checking…, the list, the card")
        w.transcript.verify()
    }

    @Test func S03_AC3_unknownEmailAskedAndValidated() throws {
        var w = BookingWorld(Transcript("the invitee email is unknown: the agent asks for it after the slot is chosen and books only once a syntactically valid email is given"))
        Self.offer(&w, "conv-2", setup: F.setup(knownEmail: false), channel: .webchat)
        let pick = w.tap("conv-2", "o1s1")
        #expect(F.texts(pick) == [Copy.askEmail])
        #expect(F.calls(pick).isEmpty && F.stores(pick).isEmpty, "nothing is booked before the email")

        for invalid in ["my email is jane", "jane@@example.com", "jane@example", "2"] {
            w.clock.advance(.seconds(5))
            let reply = w.say("conv-2", invalid)
            #expect(F.texts(reply) == [Copy.invalidEmail], "\(invalid)")
            #expect(F.calls(reply).isEmpty)
            if w.conversation("conv-2").invalidEmails == 2 { break }
        }
        w.transcript.section("the customer changes their mind about the time before giving the email")
        let change = w.tap("conv-2", "o1s3")
        #expect(F.texts(change) == [Copy.askEmail])

        w.clock.advance(.seconds(5))
        let valid = w.say("conv-2", " <jane.doe@Example.COM>. ")
        let create = try #require(Self.createRequest(valid))
        #expect(create.request.email == "jane.doe@example.com")
        #expect(create.request.start == F.slots(6)[2].start)
        w.calendly("conv-2", .inviteeCreated(F.invitee("2", start: create.request.start, email: "jane.doe@example.com")))
        #expect(w.telemetry(named: "calendly_booking_created").count == 1)

        w.transcript.section("three invalid emails: hand over to the static link (no booking attempted)")
        Self.offer(&w, "conv-3", setup: F.setup(knownEmail: false), channel: .text)
        w.say("conv-3", "1")
        for text in ["no", "jane at example dot com", "@example.com"] { w.say("conv-3", text) }
        #expect(w.conversation("conv-3").phase == .staticLink(reason: "invalid_email"))
        #expect(w.messages(to: "conv-3").last == .text(Copy.apology(link: F.fallbackLink)))
        #expect(w.createCalls == ["conv-2#1"])
        w.transcript.verify()
    }

    @Test func S03_AC4_textChannelNumberedListReplyByNumber() throws {
        var w = BookingWorld(Transcript("a channel without interactive messages gets a numbered text list; the customer replies with the number (“2”, “#2”, “option 2”, “2.”) or the time as shown"))
        Self.offer(&w, "conv-text", channel: .text)
        let list = w.messages(to: "conv-text").last
        #expect(list == .text("""
            Here are the next available times for Intro call (Asia/Jakarta, GMT+7):
            1. Thu 26 Nov, 09:00
            2. Thu 26 Nov, 09:30
            3. Thu 26 Nov, 10:00
            4. Thu 26 Nov, 10:30
            5. Thu 26 Nov, 11:00
            6. Thu 26 Nov, 11:30
            Reply with the number of the time you'd like.
            """))
        #expect(w.telemetry(named: "calendly_booking_offered").first == .bookingOffered(
            agent: F.agent, conversation: "conv-text", eventType: F.intro.uri, channel: .text, at: w.now))
        w.transcript.section("an out-of-range number and free text are not understood; the list stays open")
        #expect(F.texts(w.say("conv-text", "7")) == [Copy.didNotUnderstand(count: 6)])
        #expect(F.texts(w.say("conv-text", "something in the afternoon?")) == [Copy.didNotUnderstand(count: 6)])
        w.transcript.section("“2” books the second time")
        let two = w.say("conv-text", "2")
        #expect(try #require(Self.createRequest(two)).request.start == F.slots(6)[1].start)

        let second = F.slots(6)[1].start
        let variants = ["#2", "option 2", "2.", "Option #2", "Thu 26 Nov, 09:30", "9:30", "9.30am", "26 nov 09:30"]
        for (index, reply) in variants.enumerated() {
            let id = ConversationID("conv-text-\(index + 1)")
            w.transcript.section("reply “\(reply)”")
            Self.offer(&w, id, channel: .text)
            let effects = w.say(id, reply)
            #expect(Self.createRequest(effects)?.request.start == second, "“\(reply)” must select 09:30")
        }
        w.transcript.section("an ambiguous time (two slots at 09:30 on different days) is not guessed")
        Self.offer(&w, "conv-text-ambiguous", channel: .text, slots: [Slot(start: F.firstSlot + .minutes(30)), Slot(start: F.firstSlot + .days(1) + .minutes(30))])
        #expect(F.texts(w.say("conv-text-ambiguous", "9:30")) == [Copy.didNotUnderstand(count: 2)])
        #expect(Self.createRequest(w.say("conv-text-ambiguous", "Fri 9:30"))?.request.start == F.firstSlot + .days(1) + .minutes(30))
        w.transcript.verify()
    }

    @Test func S03_ERR1_slotTakenReoffers() throws {
        var w = BookingWorld(Transcript("the chosen slot was taken meanwhile: no booking, “That time was just taken” + a fresh offer without it, calendly_slot_conflict logged; the next pick books under a new key"))
        Self.offer(&w, "conv-4", channel: .whatsapp)
        w.clock.advance(.seconds(30))
        w.tap("conv-4", "o1s2")
        w.clock.advance(.milliseconds(700))
        let conflict = w.calendly("conv-4", .failed(.slotUnavailable))
        #expect(F.stores(conflict) == [.settleIntent("conv-4#1", .notBooked(reason: "slot_unavailable"), at: w.now)])
        #expect(F.events(conflict) == [.slotConflict(agent: F.agent, conversation: "conv-4", eventType: F.intro.uri, at: w.now)])
        #expect(F.texts(conflict) == ["That time was just taken. Here are the times available now."])
        #expect(F.calls(conflict).count == 1, "fresh availability is fetched")
        #expect(w.references["conv-4#1"]?.status == .notBooked)

        w.clock.advance(.milliseconds(800))
        // Calendly's cache may still list the taken time: it is never offered again in this conversation.
        let reoffer = w.calendly("conv-4", .availableTimes(F.slots(7)))
        guard case .interactiveList(_, _, let rows) = try #require(F.messages(reoffer).first) else { Issue.record("no re-offer"); return }
        #expect(rows.map(\.title) == ["Thu 26 Nov, 09:00", "Thu 26 Nov, 10:00", "Thu 26 Nov, 10:30", "Thu 26 Nov, 11:00",
                                      "Thu 26 Nov, 11:30", "Thu 26 Nov, 12:00"])
        #expect(rows.first?.id == "o2s1")
        #expect(F.events(reoffer).isEmpty, "calendly_booking_offered counts conversations, not re-offers")

        w.transcript.section("a row of the stale first offer is not accepted")
        #expect(F.texts(w.tap("conv-4", "o1s1")) == [Copy.didNotUnderstand(count: 6)])
        let pick = w.tap("conv-4", "o2s1")
        let create = try #require(Self.createRequest(pick))
        #expect(create.key == "conv-4#2")
        w.calendly("conv-4", .inviteeCreated(F.invitee("4", start: create.request.start, email: Self.email)))
        #expect(w.createCalls == ["conv-4#1", "conv-4#2"])
        #expect(w.telemetry(named: "calendly_booking_created").count == 1)
        #expect(w.references.values.filter { $0.status == .created }.count == 1)

        w.transcript.section("three conflicts in a row: apology + static link, calendly_booking_failed")
        Self.offer(&w, "conv-5", channel: .whatsapp)
        for round in 1...3 {
            w.tap("conv-5", "o\(round)s1")
            w.calendly("conv-5", .failed(.slotUnavailable))
            if round < 3 { w.calendly("conv-5", .availableTimes(F.slots(10))) }
        }
        #expect(w.conversation("conv-5").phase == .staticLink(reason: "repeated_conflicts"))
        #expect(w.telemetry(named: "calendly_slot_conflict").filter { if case .slotConflict(_, "conv-5", _, _) = $0 { true } else { false } }.count == 3)
        #expect(w.messages(to: "conv-5").last == .text(Copy.apology(link: F.fallbackLink)))
        w.transcript.verify()
    }

    @Test func S03_ERR2_failureGivesApologyAndStaticLink() {
        var w = BookingWorld(Transcript("availability or booking fails or times out: short apology + static Calendly link, calendly_booking_failed with the reason, intent settled as not booked (no half-booking)"))
        let link = F.fallbackLink
        let availabilityFailures: [(ConversationID, CalendlyReply, String)] = [
            ("conv-a503", .failed(.serverError(status: 503)), "server_error_503"),
            ("conv-a-timeout", .outcomeUnknown, "timeout"),
            ("conv-a429", .failed(.rateLimited(retryAfter: .seconds(60))), "rate_limited"),
        ]
        for (id, reply, reason) in availabilityFailures {
            w.transcript.section("availability: \(reason)")
            w.trigger(id, F.setup(), channel: .whatsapp)
            w.clock.advance(.seconds(3))
            let failed = w.calendly(id, reply)
            #expect(F.texts(failed) == ["Sorry, I couldn't complete the booking here. You can book directly on Calendly: \(link)"])
            #expect(F.events(failed) == [.bookingFailed(agent: F.agent, conversation: id, reason: reason, at: w.now)])
            #expect(F.stores(failed) == [.appendFailure(FailureRecord(agent: F.agent, conversation: id, reason: reason, at: w.now)),
                                         .recordFallbackOffer(FallbackOffer(reference: F.attribution, agent: F.agent, conversation: id,
                                                                            eventType: F.intro.uri, offeredAt: w.now))])
            #expect(w.conversation(id).phase == .staticLink(reason: reason))
        }
        let bookingFailures: [(ConversationID, CalendlyReply, String)] = [
            ("conv-b400", .failed(.rejected(message: "invitee.email is invalid")), "rejected"),
            ("conv-b429", .failed(.rateLimited(retryAfter: .seconds(30))), "rate_limited"),
            ("conv-b-unreachable", .failed(.unreachable), "timeout"),
            ("conv-b401", .failed(.unauthorized), "unauthorized"),
        ]
        for (id, reply, reason) in bookingFailures {
            w.transcript.section("booking: \(reason) (Calendly definitively did not book)")
            Self.offer(&w, id, channel: .whatsapp)
            w.tap(id, "o1s1")
            w.clock.advance(.seconds(5))
            let failed = w.calendly(id, reply)
            let key = BookingKey("\(id)#1")
            #expect(F.stores(failed).first == .settleIntent(key, .notBooked(reason: reason), at: w.now))
            #expect(F.texts(failed) == [Copy.apology(link: link)])
            #expect(F.events(failed) == [.bookingFailed(agent: F.agent, conversation: id, reason: reason, at: w.now)])
            #expect(F.calls(failed).isEmpty, "no retry after a definite failure")
            #expect(w.references[key]?.status == .notBooked && w.references[key]?.email == nil)
            // The conversation is clean: later replies do nothing.
            #expect(w.say(id, "1").isEmpty)
        }
        #expect(!w.messages.contains { if case .confirmationCard = $0.content { true } else { false } })
        w.transcript.verify()
    }

    @Test func S03_lostReplyReconciledBeforeRetry() throws {
        var w = BookingWorld(Transcript("a lost booking reply (timeout after send, 5xx, crash) is reconciled by looking the invitee up before anything else; found → confirm; not found → resend the same key at most once"))
        let slot = F.slots(6)[0]

        w.transcript.section("lost reply, lookup finds the booking → confirmed, no resend")
        Self.offer(&w, "conv-l1", channel: .whatsapp)
        w.tap("conv-l1", "o1s1")
        w.clock.advance(.seconds(5))
        let lost = w.calendly("conv-l1", .outcomeUnknown)
        #expect(F.calls(lost) == [.findInvitee(F.token, eventType: F.intro.uri, email: Self.email, start: slot.start)])
        #expect(F.messages(lost).isEmpty && F.events(lost).isEmpty, "the customer is told nothing yet")
        let found = w.calendly("conv-l1", .inviteeFound(F.invitee("l1", start: slot.start, email: Self.email)))
        #expect(F.events(found).map(\.name) == ["calendly_booking_created"])
        #expect(w.createCalls == ["conv-l1#1"])

        w.transcript.section("5xx, lookup finds nothing → the same key is sent again, and books")
        Self.offer(&w, "conv-l2", channel: .whatsapp)
        w.tap("conv-l2", "o1s1")
        w.calendly("conv-l2", .failed(.serverError(status: 502)))
        let resend = w.calendly("conv-l2", .inviteeFound(nil))
        #expect(try #require(Self.createRequest(resend)).key == "conv-l2#1")
        #expect(F.stores(resend).isEmpty, "same intent, no new one")
        w.calendly("conv-l2", .inviteeCreated(F.invitee("l2", start: slot.start, email: Self.email)))
        #expect(w.createCalls.filter { $0 == "conv-l2#1" }.count == 2)
        #expect(w.telemetry(named: "calendly_booking_created").count == 2)

        w.transcript.section("lost twice, found nothing twice → no third send: apology + link")
        Self.offer(&w, "conv-l3", channel: .whatsapp)
        w.tap("conv-l3", "o1s1")
        w.calendly("conv-l3", .outcomeUnknown)
        w.calendly("conv-l3", .inviteeFound(nil))
        w.calendly("conv-l3", .outcomeUnknown)
        let givenUp = w.calendly("conv-l3", .inviteeFound(nil))
        #expect(F.calls(givenUp).isEmpty)
        #expect(F.events(givenUp) == [.bookingFailed(agent: F.agent, conversation: "conv-l3", reason: "booking_not_confirmed", at: w.now)])
        #expect(w.createCalls.filter { $0 == "conv-l3#1" }.count == 2)
        #expect(w.references["conv-l3#1"]?.status == .notBooked)

        w.transcript.section("the lookup itself fails → “one moment” once, back off, look up again")
        Self.offer(&w, "conv-l4", channel: .webchat)
        w.tap("conv-l4", "o1s1")
        w.calendly("conv-l4", .outcomeUnknown)
        let waiting = w.calendly("conv-l4", .failed(.unreachable))
        #expect(F.texts(waiting) == [Copy.stillConfirming])
        #expect(waiting.contains(.schedule("conv-l4/reconcile", after: .seconds(2))))
        w.clock.advance(.seconds(2))
        let again = w.send("conv-l4", .timerFired("conv-l4/reconcile", at: w.now))
        #expect(F.calls(again).count == 1)
        let stillDown = w.calendly("conv-l4", .failed(.serverError(status: 503)))
        #expect(F.texts(stillDown).isEmpty, "told once only")
        #expect(stillDown.contains(.schedule("conv-l4/reconcile", after: .seconds(4))))
        w.clock.advance(.seconds(4))
        w.send("conv-l4", .timerFired("conv-l4/reconcile", at: w.now))
        w.calendly("conv-l4", .inviteeFound(F.invitee("l4", start: slot.start, email: Self.email)))
        #expect(w.conversation("conv-l4").phase.isTerminal)
        #expect(w.createCalls.filter { $0 == "conv-l4#1" }.count == 1)

        w.transcript.section("the process restarts mid-booking → lookup, never a blind resend")
        Self.offer(&w, "conv-l5", channel: .whatsapp)
        w.tap("conv-l5", "o1s1")
        let recovered = w.send("conv-l5", .recovered(at: w.now))
        #expect(F.calls(recovered) == [.findInvitee(F.token, eventType: F.intro.uri, email: Self.email, start: slot.start)])
        w.calendly("conv-l5", .inviteeFound(F.invitee("l5", start: slot.start, email: Self.email)))
        #expect(w.createCalls.filter { $0 == "conv-l5#1" }.count == 1)
        w.transcript.verify()
    }

    @Test func S03_noSlotsOffersLink() {
        var w = BookingWorld(Transcript("no slots in the next 7 days: “No times available soon” + the static link; nothing counted as offered or failed"))
        w.trigger("conv-empty", F.setup(), channel: .whatsapp)
        let none = w.calendly("conv-empty", .availableTimes([]))
        #expect(F.texts(none) == ["No times available soon. You can still pick a time here: \(F.fallbackLink)"])
        #expect(F.events(none).isEmpty)
        #expect(w.conversation("conv-empty").phase == .staticLink(reason: "no_slots"))

        w.transcript.section("only slots that start within the next minute (or already started): same")
        w.trigger("conv-past", F.setup(), channel: .text)
        let past = w.calendly("conv-past", .availableTimes([Slot(start: w.now), Slot(start: w.now + .seconds(30))]))
        #expect(F.texts(past).first?.hasPrefix("No times available soon.") == true)
        #expect(w.telemetry.isEmpty)
        w.transcript.verify()
    }

    @Test func S03_actionOffNeverOffers() {
        var w = BookingWorld(Transcript("flag off, not entitled, disconnected, not configured, disabled, plan insufficient or ineligible type: the agent never offers booking — no message, no Calendly call"))
        var disabled = F.fullDraft
        disabled.enabled = false
        var secretConfig = ActionConfig(agent: F.agent, policy: EligibilityPolicy(allowSecret: true))
        do {
            let account = F.configAccount(F.connected())
            let save = ActionConfig.reduce(&secretConfig, .saveRequested(ActionDraft(eventType: F.secret.uri, emailField: "contact.email"), account, at: w.now))
            _ = ActionConfig.reduce(&secretConfig, .calendlyReplied(F.requestID(save)!, .eventType(F.secret), at: w.now))
            _ = ActionConfig.reduce(&secretConfig, .policyChanged(EligibilityPolicy(allowSecret: false)))
        }
        let cases: [(String, AccountEntitlements, Connection, ActionConfig, NotOfferedReason)] = [
            ("flag ai_agent_calendly_action OFF", AccountEntitlements(hasAIAgent: true, hasNativeIntegrations: true, calendlyFlagOn: false),
             F.connected(), F.saved(), .flagOff),
            ("no Native Integrations add-on", AccountEntitlements(hasAIAgent: true, hasNativeIntegrations: false, calendlyFlagOn: true),
             F.connected(), F.saved(), .notEntitled),
            ("disconnected", .all, Connection(agent: F.agent), F.saved(), .notConnected),
            ("connected but not configured", .all, F.connected(), ActionConfig(agent: F.agent), .notConfigured),
            ("action disabled", .all, F.connected(), F.saved(disabled), .actionDisabled),
            ("plan insufficient", .all, F.connected(scopes: ["users:read"]), F.saved(), .planInsufficient),
            ("saved secret type after secret types were switched off", .all, F.connected(), secretConfig, .eventTypeIneligible),
        ]
        for (index, (label, entitlements, connection, config, reason)) in cases.enumerated() {
            w.transcript.section(label)
            let readiness = w.transcript.resolve(label, entitlements: entitlements, connection: connection, config: config)
            #expect(readiness == .notOffered(reason), "\(label)")
            let id = ConversationID("conv-off-\(index + 1)")
            let effects = w.send(id, .triggerMet(BookingConversation.Trigger(setup: readiness, channel: .whatsapp, timeZone: F.customerZone, attribution: F.attribution), at: w.now))
            #expect(F.messages(effects).isEmpty && F.calls(effects).isEmpty && F.events(effects).isEmpty, "\(label)")
            #expect(w.say(id, "1").isEmpty)
            #expect(w.tap(id, "o1s1").isEmpty)
        }
        #expect(w.messages.isEmpty && w.calls.isEmpty && w.telemetry.isEmpty)
        w.transcript.verify()
    }
}
