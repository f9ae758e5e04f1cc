@testable import Core
import Effects
import Foundation
import Testing

/// Issue 12 — the conversation asks what Calendly requires: each required custom question that no
/// mapped contact field answered, by type, and the invitee's part of the location; one at a time,
/// after the slot and the email, re-asked with the reason, then the link.
@Suite struct QuestionTests {
    typealias F = Fixtures

    static let discuss = CustomQuestion(name: "What would you like to discuss?", type: "text", position: 0, required: true)
    static let company = CustomQuestion(name: "Company", position: 1)
    static let hiddenPhone = CustomQuestion(name: "Phone number", type: "phone_number", position: 2, enabled: false, required: true)
    static let discovery = EventType(uri: F.eventTypeURI("ET-DISCOVERY"), name: "Discovery call", durationMinutes: 45,
                                     schedulingURL: "https://calendly.com/acme/discovery", customQuestions: [company, discuss, hiddenPhone])

    static let teamSize = CustomQuestion(name: "Team size", type: "single_select", position: 0, required: true,
                                         answerChoices: ["Just me", "2-10", "11-50", "More than 50"])
    static let interests = CustomQuestion(name: "What interests you?", type: "multi_select", position: 1, required: true,
                                          answerChoices: ["Pricing", "Integrations", "Support", "Security"])
    static let phone = CustomQuestion(name: "Phone number", type: "phone_number", position: 2, required: true)
    static let terms = CustomQuestion(name: "Terms", type: "multi_select", position: 3, required: true, answerChoices: ["I agree to the terms"])

    static let places = [EventLocation(kind: "zoom_conference"), EventLocation(kind: LocationKind.outboundCall.rawValue),
                         EventLocation(kind: LocationKind.askInvitee.rawValue)]

    static func eventType(_ questions: [CustomQuestion], locations: [EventLocation] = []) -> EventType {
        EventType(uri: F.eventTypeURI("ET-Q"), name: "Consultation", durationMinutes: 30, schedulingURL: "https://calendly.com/acme/consultation",
                  customQuestions: questions, locations: locations)
    }

    static func setup(_ eventType: EventType, answers: [QuestionAnswer] = [], knownEmail: String? = nil) -> BookingSetup {
        BookingSetup(agent: F.agent, eventType: eventType, token: F.token, confirmationMessage: "See you soon!", answers: answers,
                     knownEmail: knownEmail, knownName: "Jane Doe")
    }

    /// Trigger, slots, pick the second (tap on WhatsApp, "2" in text), and the email when not known.
    @discardableResult
    static func pick(_ w: inout BookingWorld, _ id: ConversationID, _ setup: BookingSetup, channel: Channel, zone: String = F.customerZone) -> [Effect] {
        w.trigger(id, setup, channel: channel, zone: zone)
        w.clock.advance(.milliseconds(700))
        w.calendly(id, .availableTimes(F.slots(4)))
        w.clock.advance(.seconds(10))
        let picked = channel == .text ? w.say(id, "2") : w.tap(id, "o1s2")
        guard setup.knownEmail == nil else { return picked }
        w.clock.advance(.seconds(10))
        return w.say(id, "ana@example.com")
    }

    static func request(_ effects: [Effect]) -> InviteeRequest? {
        for call in F.calls(effects) { if case .createInvitee(_, _, let request) = call { return request } }
        return nil
    }

    static func asking(_ w: BookingWorld, _ id: ConversationID) -> QuestionStep? {
        if case .askingQuestion(_, _, let step) = w.conversation(id).phase { return step }
        return nil
    }

    @Test func Q1_textQuestionAskedAfterTheEmail() throws {
        var w = BookingWorld(Transcript("a required text question no field answers is asked after the email, as plain text on every channel; an empty or over-long answer is re-asked with the reason; the answer and the mapped optional Company go to questions_and_answers in Calendly's order; the hidden question is never asked or sent"))
        let setup = Self.setup(Self.discovery, answers: [QuestionAnswer(question: "Company", answer: "Acme Clinic")])

        w.transcript.section("plain text: intro, the question; empty and 1,001 characters re-asked; the answer books")
        let asked = Self.pick(&w, "conv-text", setup, channel: .text)
        #expect(F.texts(asked) == ["A few details for the booking:", "What would you like to discuss?"])
        #expect(F.calls(asked).isEmpty, "nothing is booked before the required answer")
        let empty = w.say("conv-text", "   ")
        #expect(F.texts(empty) == ["I didn't get an answer there. Please reply with your answer."])
        let long = w.say("conv-text", String(repeating: "a", count: AnswerReader.textLimit + 1))
        #expect(F.texts(long) == ["That answer is too long for Calendly. Please keep it under 1000 characters."])
        let booked = w.say("conv-text", "  Pricing for 40 seats\nand onboarding  ")
        let request = try #require(Self.request(booked))
        #expect(request.answers == [QuestionAnswer(question: "What would you like to discuss?", answer: "Pricing for 40 seats\nand onboarding", position: 0),
                                    QuestionAnswer(question: "Company", answer: "Acme Clinic", position: 1)])
        #expect(request.location == nil)

        w.transcript.section("WhatsApp, email known: the question follows the tap directly")
        let whatsapp = Self.pick(&w, "conv-wa", Self.setup(Self.discovery, knownEmail: "jane@example.com"), channel: .whatsapp)
        #expect(F.messages(whatsapp) == [.text("A few details for the booking:"), .text("What would you like to discuss?")])
        let answered = w.say("conv-wa", "A demo")
        #expect(try #require(Self.request(answered)).answers == [QuestionAnswer(question: "What would you like to discuss?", answer: "A demo", position: 0)],
                "no Company value, so none is sent; the optional question is not asked")
        w.calendly("conv-wa", .inviteeCreated(F.invitee("wa", start: F.slots(4)[1].start, email: "jane@example.com")))
        #expect(w.conversation("conv-wa").phase.name == "confirmed")

        w.transcript.section("a required question the mapped field answers is not asked")
        let mapped = Self.setup(Self.discovery, answers: [QuestionAnswer(question: "What would you like to discuss?", answer: "Renewal")],
                                knownEmail: "jane@example.com")
        let direct = Self.pick(&w, "conv-mapped", mapped, channel: .text)
        #expect(F.texts(direct).isEmpty)
        #expect(try #require(Self.request(direct)).answers.map(\.answer) == ["Renewal"])
        w.transcript.verify()
    }

    @Test func Q2_singleSelectAsAListOrNumbered() throws {
        var w = BookingWorld(Transcript("a required single select: an interactive list on WhatsApp (rows q<ask>a<choice>), buttons on web chat, numbered in text; a number out of range is re-asked with the range; the choice's words are understood; include_other takes the customer's own words"))
        let type = Self.eventType([Self.teamSize])

        w.transcript.section("WhatsApp: a list; the row tapped is the answer")
        let list = Self.pick(&w, "conv-wa", Self.setup(type, knownEmail: "jane@example.com"), channel: .whatsapp)
        guard case .interactiveList(let body, let button, let rows) = try #require(F.messages(list).last) else { Issue.record("not a list"); return }
        #expect(body == "Team size" && button == "Choose an answer")
        #expect(rows.map(\.id) == ["q1a1", "q1a2", "q1a3", "q1a4"] && rows.map(\.title) == Self.teamSize.answerChoices)
        #expect(F.calls(w.tap("conv-wa", "o1s9")).isEmpty, "a stale or foreign row id is no answer")
        let tapped = w.tap("conv-wa", "q1a2")
        #expect(try #require(Self.request(tapped)).answers == [QuestionAnswer(question: "Team size", answer: "2-10", position: 0)])

        w.transcript.section("web chat: buttons")
        let buttons = Self.pick(&w, "conv-web", Self.setup(type, knownEmail: "jane@example.com"), channel: .webchat)
        guard case .buttons(_, let choices) = try #require(F.messages(buttons).last) else { Issue.record("not buttons"); return }
        #expect(choices.map(\.label) == Self.teamSize.answerChoices)

        w.transcript.section("plain text: numbered; 7 is out of range; the words of a choice count")
        let numbered = Self.pick(&w, "conv-text", Self.setup(type), channel: .text)
        #expect(F.texts(numbered).last == "Team size\n1. Just me\n2. 2-10\n3. 11-50\n4. More than 50\nReply with the number of your answer.")
        #expect(F.texts(w.say("conv-text", "7")) == ["Sorry, I didn't catch that. Reply with a number from 1 to 4."])
        let words = w.say("conv-text", "more than 50")
        #expect(try #require(Self.request(words)).answers.map(\.answer) == ["More than 50"])

        w.transcript.section("include_other: own words are an answer, and the list gives way to text so they can be typed")
        var other = Self.teamSize
        other.includeOther = true
        let own = Self.pick(&w, "conv-other", Self.setup(Self.eventType([other]), knownEmail: "jane@example.com"), channel: .whatsapp)
        #expect(F.texts(own).last?.hasSuffix("Reply with the number of your answer, or write your own.") == true)
        #expect(try #require(Self.request(w.say("conv-other", "About 200 people"))).answers.map(\.answer) == ["About 200 people"])
        w.transcript.verify()
    }

    @Test func Q3_multiSelectTakesSeveralPicks() throws {
        var w = BookingWorld(Transcript("a required multiple select is numbered on every channel (a list picks one); \"1, 3\", \"2 and 4\" or the choices' words pick several, sent one per line in the choices' order; an unknown pick is re-asked"))
        let type = Self.eventType([Self.interests])

        w.transcript.section("WhatsApp: numbered text; \"3, 1\"")
        let asked = Self.pick(&w, "conv-wa", Self.setup(type, knownEmail: "jane@example.com"), channel: .whatsapp)
        #expect(F.texts(asked).last == "What interests you?\n1. Pricing\n2. Integrations\n3. Support\n4. Security\nReply with the numbers of every answer that applies, e.g. 1, 3.")
        #expect(try #require(Self.request(w.say("conv-wa", "3, 1"))).answers.map(\.answer) == ["Pricing\nSupport"])

        w.transcript.section("plain text: \"1, 9\" re-asked; \"security and integrations\" taken")
        Self.pick(&w, "conv-text", Self.setup(type), channel: .text)
        #expect(F.texts(w.say("conv-text", "1, 9")) == ["Sorry, I didn't catch that. Reply with a number from 1 to 4."])
        #expect(try #require(Self.request(w.say("conv-text", "security and integrations"))).answers.map(\.answer) == ["Integrations\nSecurity"])
        w.transcript.verify()
    }

    @Test func Q4_phoneNumberMadeE164() throws {
        var w = BookingWorld(Transcript("a required phone number is made E.164: a national number is read in the country of the customer's time zone (Jakarta: +62, trunk 0 dropped); without a country hint the customer is asked for the code; too short, letters and too long are re-asked with the reason"))
        let type = Self.eventType([Self.phone])

        w.transcript.section("plain text, Asia/Jakarta: 0812-3456-789 → +628123456789")
        let asked = Self.pick(&w, "conv-id", Self.setup(type), channel: .text)
        #expect(F.texts(asked).last == "Phone number\nPlease include the country code, e.g. +44 20 7946 0958.")
        #expect(F.texts(w.say("conv-id", "12")) == ["That number looks too short. Please send the full number with its country code."])
        #expect(F.texts(w.say("conv-id", "call me maybe")) == ["That doesn't look like a phone number. Please send it like +44 20 7946 0958."])
        #expect(try #require(Self.request(w.say("conv-id", "0812-3456-789"))).answers.map(\.answer) == ["+628123456789"])

        w.transcript.section("WhatsApp, UTC: digits alone need the country code; 00 and + both carry it")
        Self.pick(&w, "conv-utc", Self.setup(type, knownEmail: "jane@example.com"), channel: .whatsapp, zone: "UTC")
        #expect(F.texts(w.say("conv-utc", "812 3456 789")) == ["Please send the number with its country code, e.g. +44 20 7946 0958."])
        #expect(F.texts(w.say("conv-utc", "+1 234 567 890 123 456")) == ["That number looks too long. Please send one phone number with its country code."])
        #expect(try #require(Self.request(w.say("conv-utc", "0044 (20) 7946.0958"))).answers.map(\.answer) == ["+442079460958"])
        w.transcript.verify()
    }

    @Test func Q5_checkboxConfirmation() throws {
        var w = BookingWorld(Transcript("a required select with a single choice reads as a checkbox: one row on WhatsApp, \"Reply yes to confirm\" in text; anything but a yes is re-asked; the choice itself is the answer"))
        let type = Self.eventType([Self.terms])

        w.transcript.section("WhatsApp: one row, tapped")
        let list = Self.pick(&w, "conv-wa", Self.setup(type, knownEmail: "jane@example.com"), channel: .whatsapp)
        guard case .interactiveList(_, _, let rows) = try #require(F.messages(list).last) else { Issue.record("not a list"); return }
        #expect(rows.map(\.id) == ["q1a1"])
        #expect(try #require(Self.request(w.tap("conv-wa", "q1a1"))).answers.map(\.answer) == ["I agree to the terms"])

        w.transcript.section("plain text: \"no\" re-asked, \"Yes!\" confirms")
        let text = Self.pick(&w, "conv-text", Self.setup(type), channel: .text)
        #expect(F.texts(text).last == "Terms\nI agree to the terms\nReply yes to confirm.")
        #expect(F.texts(w.say("conv-text", "no")) == ["This is needed to book here. Reply yes to confirm."])
        #expect(try #require(Self.request(w.say("conv-text", "Yes!"))).answers.map(\.answer) == ["I agree to the terms"])
        w.transcript.verify()
    }

    @Test func Q6_locationsThatNeedTheInvitee() throws {
        var w = BookingWorld(Transcript("several locations are offered as a choice (a list on WhatsApp, numbered in text) before the questions; an outbound call asks the customer's number, \"invitee specifies location\" asks the place; a single Zoom location asks nothing and sends no location"))
        let type = Self.eventType([Self.discuss], locations: Self.places)

        w.transcript.section("WhatsApp: the choice, then the number to call, then the question")
        let choice = Self.pick(&w, "conv-wa", Self.setup(type, knownEmail: "jane@example.com"), channel: .whatsapp)
        guard case .interactiveList(let body, _, let rows) = try #require(F.messages(choice).last) else { Issue.record("not a list"); return }
        #expect(body == "Where should the meeting take place?")
        #expect(rows.map(\.title) == ["Zoom", "Phone call (we call you)", "A place you choose"])
        let number = w.tap("conv-wa", "q1a2")
        #expect(F.texts(number) == ["What number should we call you on?\nPlease include the country code, e.g. +44 20 7946 0958."])
        let question = w.say("conv-wa", "0812 3456 789")
        #expect(F.texts(question) == ["What would you like to discuss?"])
        let request = try #require(Self.request(w.say("conv-wa", "Pricing")))
        #expect(request.location == InviteeLocation(kind: "outbound_call", location: "+628123456789"))

        w.transcript.section("plain text: 3 → the place; Zoom (1) would need nothing more")
        Self.pick(&w, "conv-text", Self.setup(type), channel: .text)
        #expect(F.texts(w.say("conv-text", "3")) == ["Where would you like to meet?"])
        w.say("conv-text", "Café Luna, Jl. Sudirman 1")
        let placed = try #require(Self.request(w.say("conv-text", "Hiring")))
        #expect(placed.location == InviteeLocation(kind: "ask_invitee", location: "Café Luna, Jl. Sudirman 1"))

        w.transcript.section("a single Zoom location: nothing asked, no location sent")
        let zoom = Self.pick(&w, "conv-zoom", Self.setup(Self.eventType([], locations: [EventLocation(kind: "zoom_conference")]),
                                                         knownEmail: "jane@example.com"), channel: .text)
        #expect(try #require(Self.request(zoom)).location == nil)
        w.transcript.verify()
    }

    @Test func Q7_unclearAnswersEndInTheLink() throws {
        var w = BookingWorld(Transcript("three answers that do not fit one question end in the apology and the static link; nothing is booked, nothing alarms (a customer's difficulty, not Calendly's failure)"))
        Self.pick(&w, "conv-1", Self.setup(Self.eventType([Self.phone])), channel: .text)
        w.say("conv-1", "soon")
        w.say("conv-1", "123")
        let last = w.say("conv-1", "ask my assistant")
        #expect(F.texts(last) == ["Sorry, I couldn't complete the booking here. You can book directly on Calendly: https://calendly.com/acme/consultation?utm_source=calendly-action&utm_content=5c0ffee05c0ffee05c0ffee0"])
        #expect(w.conversation("conv-1").phase == .staticLink(reason: "question_not_answered"))
        #expect(w.createCalls.isEmpty && w.telemetry(named: "calendly_booking_failed").isEmpty)
        w.transcript.verify()
    }

    @Test func Q8_aConflictNeverAsksTwice() throws {
        var w = BookingWorld(Transcript("the answers are kept across a slot conflict: after the re-offer, the new pick books at once with the same answers"))
        let type = Self.eventType([Self.teamSize, Self.phone])
        Self.pick(&w, "conv-1", Self.setup(type), channel: .text)
        w.say("conv-1", "1")
        let first = try #require(Self.request(w.say("conv-1", "+62 812 3456 789")))
        w.calendly("conv-1", .failed(.slotUnavailable))
        w.calendly("conv-1", .availableTimes(Array(F.slots(4).dropFirst(2))))
        let again = w.say("conv-1", "1")
        let second = try #require(Self.request(again))
        #expect(second.answers == first.answers && second.start != first.start)
        #expect(F.texts(again).isEmpty, "no question repeated")
        w.transcript.verify()
    }

    @Test func Q9_refusedAnswersMarkTheActionForReview() throws {
        var w = BookingWorld(Transcript("Calendly refuses the booking for its answers (a required question added after the save): the customer gets the apology + link, calendly_booking_failed(answers_rejected) and calendly_action_needs_review are emitted, and the config marks the saved action until it is saved again"))
        let picked = Self.pick(&w, "conv-1", F.setup(), channel: .whatsapp)
        #expect(Self.request(picked) != nil)
        let refused = w.calendly("conv-1", .failed(.rejected(message: "The supplied parameters are invalid. — questions_and_answers: Required question \"Budget\" must be answered")))
        #expect(F.texts(refused).first?.hasPrefix("Sorry, I couldn't complete the booking here.") == true)
        #expect(F.events(refused).map(\.name) == ["calendly_booking_failed", "calendly_action_needs_review"])
        #expect(refused.contains(.notify(.actionNeedsReview(F.agent, reason: "answers_rejected", at: w.now))))

        w.transcript.section("any other refusal is only a failed booking")
        Self.pick(&w, "conv-2", F.setup(), channel: .whatsapp)
        let other = w.calendly("conv-2", .failed(.rejected(message: "invitee.email: is invalid")))
        #expect(F.events(other).map(\.name) == ["calendly_booking_failed"])

        w.transcript.section("the config: marked once, cleared by saving again")
        var config = F.saved()
        let account = F.configAccount(F.connected())
        w.transcript.config(&config, .bookingRefused(reason: "answers_rejected", at: w.now))
        #expect(config.saved?.needsReview == ReviewNote(reason: "answers_rejected", at: w.now))
        let later = w.now + .minutes(5)
        w.transcript.config(&config, .bookingRefused(reason: "answers_rejected", at: later))
        #expect(config.saved?.needsReview?.at == w.now, "the first refusal dates the review")
        let save = w.transcript.config(&config, .saveRequested(F.fullDraft, account, at: later))
        w.transcript.config(&config, .calendlyReplied(F.requestID(save)!, .eventType(F.intro), at: later))
        #expect(config.saved?.needsReview == nil)
        w.transcript.verify()
    }

    @Test func Q10_saveIsHonestAndFollowsCalendly() throws {
        var t = Transcript("save refuses a mapping to a question the event type does not show (naming it); the saved action lists the required questions the chat will ask; reading the list again (cache expiry) updates the saved event type, and a mapped question that went away marks it for review")
        var clock = VirtualClock()
        var config = ActionConfig(agent: F.agent)
        let account = F.configAccount(F.connected())
        let open = t.config(&config, .opened(account, at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(open)!, .eventTypes([Self.discovery]), at: clock.now))

        t.section("a mapping to the hidden question is refused, naming it")
        let stray = ActionDraft(eventType: Self.discovery.uri, emailField: "contact.email",
                                questionMappings: [QuestionMapping(question: "Phone number", field: "contact.phone")])
        let save1 = t.config(&config, .saveRequested(stray, account, at: clock.now))
        let refused = t.config(&config, .calendlyReplied(F.requestID(save1)!, .eventType(Self.discovery), at: clock.now))
        #expect(F.rejections(refused) == [Rejection(code: "validation", field: "questionMappings", message: "“Phone number” is not a question of this event type.")])

        t.section("saved with Company mapped: the discussion question is asked always")
        let draft = ActionDraft(eventType: Self.discovery.uri, emailField: "contact.email",
                                questionMappings: [QuestionMapping(question: "Company", field: "contact.company")])
        let save2 = t.config(&config, .saveRequested(draft, account, at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(save2)!, .eventType(Self.discovery), at: clock.now))
        #expect(config.saved?.askedInChat == [AskedQuestion(question: "What would you like to discuss?", type: "text", when: .always)])

        t.section("16 minutes on, the list is read again: Company became required and a phone question was added")
        clock.advance(.minutes(16))
        var changed = Self.discovery
        changed.customQuestions = [CustomQuestion(name: "Company", position: 1, required: true), Self.discuss,
                                   CustomQuestion(name: "Phone", type: "phone_number", position: 2, required: true)]
        let reopen = t.config(&config, .opened(account, at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(reopen)!, .eventTypes([changed]), at: clock.now))
        #expect(config.saved?.eventType == changed)
        #expect(config.saved?.askedInChat.map(\.when) == [.always, .whenFieldEmpty, .always])
        #expect(config.saved?.needsReview == nil, "new questions are asked in chat: nothing to review")

        t.section("Company removed in Calendly: the mapping points nowhere, review needed")
        clock.advance(.minutes(16))
        var removed = changed
        removed.customQuestions.removeFirst()
        let third = t.config(&config, .opened(account, at: clock.now))
        let marked = t.config(&config, .calendlyReplied(F.requestID(third)!, .eventTypes([removed]), at: clock.now))
        #expect(F.events(marked).map(\.name) == ["calendly_action_needs_review"])
        #expect(config.saved?.needsReview?.reason == "mapped_question_removed")
        t.verify()
    }

    @Test func Q11_aStaleEventTypeIsReadAgainBeforeAnOffer() throws {
        var t = Transcript("before an offer, a saved event type read more than 15 minutes ago is read again (one getEventType), so a required question added in Calendly is asked; a fresh one is not read; a deleted one marks the action for review")
        var clock = VirtualClock()
        var config = F.saved()
        let account = F.configAccount(F.connected())

        t.section("within 15 minutes of the save: nothing is read")
        clock.advance(.minutes(14))
        #expect(t.config(&config, .runtimeCheck(account, at: clock.now)).isEmpty)

        t.section("16 minutes on: read again; the new required question is now part of the saved type")
        clock.advance(.minutes(2))
        let check = t.config(&config, .runtimeCheck(account, at: clock.now))
        #expect(F.calls(check) == [.getEventType(F.token, F.intro.uri)])
        var changed = F.intro
        changed.customQuestions.append(CustomQuestion(name: "Budget", type: "single_select", position: 3, required: true, answerChoices: ["Low", "High"]))
        t.config(&config, .calendlyReplied(F.requestID(check)!, .eventType(changed), at: clock.now))
        #expect(config.saved?.eventType == changed && config.saved?.eventTypeReadAt == clock.now)
        #expect(config.saved?.askedInChat.map(\.question) == ["Company", "Budget"])
        #expect(t.config(&config, .runtimeCheck(account, at: clock.now + .minutes(1))).isEmpty, "fresh again")

        t.section("a failed read keeps the saved type and waits another 15 minutes")
        clock.advance(.minutes(16))
        let failing = t.config(&config, .runtimeCheck(account, at: clock.now))
        t.config(&config, .calendlyReplied(F.requestID(failing)!, .failed(.serverError(status: 503)), at: clock.now))
        #expect(config.saved?.eventType == changed && config.saved?.needsReview == nil)
        #expect(t.config(&config, .runtimeCheck(account, at: clock.now + .minutes(5))).isEmpty)

        t.section("deleted in Calendly: the action needs review")
        clock.advance(.minutes(16))
        let gone = t.config(&config, .runtimeCheck(account, at: clock.now))
        let marked = t.config(&config, .calendlyReplied(F.requestID(gone)!, .failed(.notFound), at: clock.now))
        #expect(F.events(marked).map(\.name) == ["calendly_action_needs_review"])
        #expect(config.saved?.needsReview?.reason == "event_type_gone")
        t.verify()
    }
}
