import Core
import Effects
import Foundation
import Testing
@testable import Host
@testable import Interpreters

/// Issue 12 on the wire: custom questions and locations read in Calendly's shapes (OpenAPI
/// `EventTypeCustomQuestion`, `locations[].kind`), and `POST /invitees` carrying `questions_and_answers`
/// in Calendly's order and the `location` the customer gave.
@Suite struct QuestionWireTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    @Test func questionTypesChoicesAndLocationsDecodeInCalendlysShape() throws {
        // The questions of Calendly's OpenAPI example, plus a null `answer_choices` and a choice that is not a string.
        let json = #"""
        {"resource":{"uri":"https://api.calendly.com/event_types/ET1","name":"Consultation","active":true,"scheduling_url":"https://calendly.com/acme/c",
        "duration":30,"kind":"solo","pooling_type":null,"secret":false,"booking_method":"instant","is_paid":false,
        "custom_questions":[
          {"name":"Company Name","type":"string","position":0,"enabled":true,"required":true,"answer_choices":[],"include_other":false},
          {"name":"What would you like to discuss?","type":"text","position":1,"enabled":true,"required":true,"answer_choices":null,"include_other":false},
          {"name":"Number of employees","answer_choices":["1","2-10",11,"20+"],"enabled":true,"include_other":true,"position":2,"required":false,"type":"single_select"},
          {"name":"Multi-Select Question","answer_choices":["Answer 1","Answer 2"],"enabled":true,"include_other":"yes","position":3,"required":true,"type":"multi_select"},
          {"name":"Phone Number","type":"phone_number","position":4,"enabled":true,"required":true,"answer_choices":[],"include_other":false},
          {"name":"Rating","type":"star_rating","position":5,"enabled":true,"required":true}
        ],
        "locations":[{"kind":"outbound_call"},{"kind":"ask_invitee"},{"kind":"physical","location":"Room 4"},{"location":"no kind"},{"kind":"zoom_conference"}]}}
        """#
        let model = try Self.decode(CalendlyWire.Resource<CalendlyWire.EventType>.self, json).resource.model
        #expect(model.customQuestions.map(\.kind) == [.string, .text, .singleSelect, .multiSelect, .phoneNumber, .other])
        #expect(model.customQuestions[2].answerChoices == ["1", "2-10", "20+"], "a non-string choice is dropped, not fatal")
        #expect(model.customQuestions[2].includeOther && !model.customQuestions[3].includeOther)
        #expect(model.customQuestions[1].answerChoices.isEmpty)
        #expect(model.locations == [EventLocation(kind: "outbound_call"), EventLocation(kind: "ask_invitee"),
                                    EventLocation(kind: "physical", location: "Room 4"), EventLocation(kind: "zoom_conference")])
        #expect(model.locations.map(\.needsInviteeInput) == [true, true, false, false])
    }

    /// State stored before issue 12 (no choices, locations, positions, details) still decodes from the store.
    @Test func stateStoredBeforeQuestionsStillDecodes() throws {
        let eventType = EventType(uri: "https://api.calendly.com/event_types/ET1", name: "Intro", schedulingURL: "https://calendly.com/a/intro",
                                  customQuestions: [CustomQuestion(name: "Company", position: 0, required: true)])
        var conversation = BookingConversation(id: "conv-old")
        conversation.setup = BookingSetup(agent: "agent-1", eventType: eventType, token: "t", confirmationMessage: "",
                                          answers: [QuestionAnswer(question: "Company", answer: "Acme")])
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                return object.filter { !["answerChoices", "includeOther", "locations", "position", "details", "asks"].contains($0.key) || $0.key == "position" && object["enabled"] != nil }
                    .mapValues(strip)
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        let old = try JSONSerialization.data(withJSONObject: strip(try JSONSerialization.jsonObject(with: JSONEncoder().encode(conversation))))
        let text = String(decoding: old, as: UTF8.self)
        #expect(!text.contains("answerChoices") && !text.contains("locations") && !text.contains("details"))
        let decoded = try JSONDecoder().decode(BookingConversation.self, from: old)
        #expect(decoded.setup?.eventType == eventType && decoded.details == nil && decoded.asks == nil)
        #expect(decoded.setup?.eventType.customQuestions.first?.answerChoices == [])
    }

    @Test func inviteeBodyCarriesAnswersAtTheirPositionsAndTheLocation() throws {
        let request = InviteeRequest(eventType: "https://api.calendly.com/event_types/ET1", start: Instant(iso8601: "2026-12-01T09:00:00Z")!,
                                     email: "ana@example.com", name: "Ana", timeZone: "Europe/Berlin",
                                     answers: [QuestionAnswer(question: "Topic", answer: "Pricing\nSupport", position: 2),
                                               QuestionAnswer(question: "Legacy", answer: "x")],
                                     location: InviteeLocation(kind: "outbound_call", location: "+628123456789"))
        let body = try JSONSerialization.jsonObject(with: JSONEncoder().encode(CalendlyWire.InviteeBody(request))) as? [String: Any]
        let answers = body?["questions_and_answers"] as? [[String: Any]]
        #expect(answers?.map { $0["position"] as? Int } == [2, 1], "the question's own position; answers stored without one are numbered")
        #expect(answers?.first?["answer"] as? String == "Pricing\nSupport")
        #expect(body?["location"] as? [String: String] == ["kind": "outbound_call", "location": "+628123456789"])
        let bare = try JSONSerialization.jsonObject(with: JSONEncoder().encode(CalendlyWire.InviteeBody(
            InviteeRequest(eventType: "https://api.calendly.com/event_types/ET1", start: Instant(iso8601: "2026-12-01T09:00:00Z")!,
                           email: "ana@example.com", name: nil, timeZone: "UTC")))) as? [String: Any]
        #expect(bare?["location"] == nil && bare?["questions_and_answers"] == nil)
    }

    /// Over the emulator: Discovery call's required question is read as Calendly describes it, a booking
    /// that answers it is made (the answer stored in Calendly's order), and Calendly's 400 for a missing
    /// answer is recognised as a refusal of the answers (the action's "needs review").
    @Test func discoveryCallBooksWithItsRequiredAnswerOverTheEmulator() async throws {
        try await LiveHarness.run { harness in
            let token = await harness.connect()
            guard case .eventType(let discovery) = await harness.calendly.perform(.getEventType(token, harness.eventType("ET-DISCOVERY"))) else {
                Issue.record("no event type"); return
            }
            #expect(discovery.shownQuestions == [CustomQuestion(name: "What would you like to discuss?", type: "text", position: 0, required: true)])
            let start = try await harness.freeSlot(token, eventType: "ET-DISCOVERY")
            let missing = await harness.calendly.perform(.createInvitee(token, key: "k0", InviteeRequest(
                eventType: discovery.uri, start: start, email: "casey@example.com", name: "Casey", timeZone: "UTC")))
            guard case .failed(.rejected(let message)) = missing else { Issue.record("not rejected: \(missing)"); return }
            #expect(QuestionRefusal.isAboutAnswers(message), "\(message)")

            var conversation = BookingConversation(id: "conv-live")
            let setup = BookingSetup(agent: "agent-1", eventType: discovery, token: token, confirmationMessage: "", knownEmail: "casey@example.com")
            let now = LiveCalendly.wallClock()
            _ = BookingConversation.reduce(&conversation, .triggerMet(.init(setup: .ready(setup), channel: .text, timeZone: "UTC"), at: now))
            guard case .checkingAvailability(let request) = conversation.phase else { Issue.record("no availability asked"); return }
            let slots = await harness.calendly.perform(.availableTimes(token, eventType: discovery.uri, from: now + .minutes(5), to: now + .days(3)))
            _ = BookingConversation.reduce(&conversation, .calendlyReplied(request, slots, at: now))
            let asked = BookingConversation.reduce(&conversation, .customerReplied("1", at: now))
            #expect(asked.contains(.send(ChannelMessage(conversation: "conv-live", content: .text("What would you like to discuss?")))))
            let booking = BookingConversation.reduce(&conversation, .customerReplied("Pricing for 40 seats", at: now))
            guard let (bookingRequest, call) = booking.compactMap({ effect -> (RequestID, CalendlyCall)? in
                if case .calendly(let id, let call) = effect { return (id, call) } else { return nil }
            }).first else { Issue.record("no booking call"); return }
            let created = await harness.calendly.perform(call)
            guard case .inviteeCreated(let invitee) = created else { Issue.record("not booked: \(created)"); return }
            _ = BookingConversation.reduce(&conversation, .calendlyReplied(bookingRequest, created, at: now))
            #expect(conversation.phase == .confirmed(invitee))
            let stored = await harness.model.inviteeDetails[invitee.uri]?.answers.map { "\($0.position):\($0.question)=\($0.answer)" }
            #expect(stored == ["0:What would you like to discuss?=Pricing for 40 seats"])
        }
    }
}
