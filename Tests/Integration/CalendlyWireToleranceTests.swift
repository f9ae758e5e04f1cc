import Core
import Effects
import Foundation
import Testing
@testable import Interpreters

/// Issue 6 item 6 on the API side: Calendly responses shaped like the real ones (new location kinds,
/// extra objects, nulls, fields of a surprising type) decode; what decides eligibility falls to the
/// safe side when it cannot be read; only the fields the product needs are required.
@Suite struct CalendlyWireToleranceTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    /// A real-shaped event type; each `(old, new)` replaces one field's text.
    static func eventType(_ replacements: [(String, String)] = []) -> String {
        replacements.reduce(template) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    static let template = #"""
        {"resource":{"uri":"https://api.calendly.com/event_types/ET1","name":"Intro call","active":true,"slug":"intro","scheduling_url":"https://calendly.com/acme/intro",
        "duration":30,"duration_options":null,"kind":"solo","pooling_type":null,"type":"StandardEventType","color":"#fff","created_at":"2026-01-01T00:00:00.000000Z",
        "updated_at":"2026-01-01T00:00:00.000000Z","internal_note":null,"description_plain":null,"description_html":null,
        "profile":{"type":"User","name":"Host","owner":"https://api.calendly.com/users/U1"},"secret":false,"booking_method":"instant",
        "custom_questions":[{"name":"Company","type":"string","position":0,"enabled":true,"required":true,"answer_choices":[],"include_other":false}],
        "locations":[{"kind":"zoom_conference"},{"kind":"holoportation","beam":{"power":9000}},{"kind":"physical","location":"Room 4","additional_info":"2nd floor"}],
        "deleted_at":null,"admin_managed":false,"is_paid":false,"position":0}}
        """#

    @Test func eventTypesWithNewLocationKindsAndExtrasDecode() throws {
        let model = try Self.decode(CalendlyWire.Resource<CalendlyWire.EventType>.self, Self.eventType()).resource.model
        #expect(model == EventType(uri: "https://api.calendly.com/event_types/ET1", name: "Intro call", durationMinutes: 30,
                                   schedulingURL: "https://calendly.com/acme/intro",
                                   customQuestions: [CustomQuestion(name: "Company", position: 0, required: true)],
                                   locations: [EventLocation(kind: "zoom_conference"), EventLocation(kind: "holoportation"),
                                               EventLocation(kind: "physical", location: "Room 4")]))
        #expect(EligibilityPolicy().ineligibility(model) == nil)
    }

    @Test func unreadableEligibilityFieldsLandOnTheIneligibleSide() throws {
        let unreadable: [((String, String), String)] = [
            ((#""is_paid":false"#, #""is_paid":"maybe""#), "paid"), ((#""pooling_type":null"#, #""pooling_type":{"v":2}"#), "multi_pool"),
            ((#""kind":"solo""#, #""kind":7"#), "group"), ((#""booking_method":"instant""#, #""booking_method":["instant"]"#), "poll"),
            ((#""active":true"#, #""active":"yes""#), "inactive"), ((#""secret":false"#, #""secret":"no""#), "secret"),
        ]
        for (replacement, reason) in unreadable {
            let model = try Self.decode(CalendlyWire.Resource<CalendlyWire.EventType>.self, Self.eventType([replacement])).resource.model
            #expect(EligibilityPolicy().ineligibility(model) == reason, "\(replacement.1)")
        }
        // Harmless fields of a surprising type are ignored.
        let odd = try Self.decode(CalendlyWire.Resource<CalendlyWire.EventType>.self, Self.eventType([
            (#""duration":30"#, #""duration":"thirty""#), (#""name":"Intro call""#, #""name":null"#), (#""locations":[{"kind":"zoom_conference"}"#, #""locations":"zoom","x":[{"kind":"zoom_conference"}"#)]))
        #expect(odd.resource.model.durationMinutes == 30 && odd.resource.model.name.isEmpty)
    }

    /// The decoder reports; `EventTypeDefaults` decides. A question whose `required` Calendly left out is
    /// asked: taken as optional, a question Calendly does require would make every booking fail.
    @Test func aQuestionWhoseRequiredIsUnknownIsAskedBecauseSkippingARequiredOneFailsEveryBooking() throws {
        let json = Self.eventType([(#""custom_questions":[{"name":"Company","type":"string","position":0,"enabled":true,"required":true,"answer_choices":[],"include_other":false}]"#,
                                    #""custom_questions":[{"name":"Company"},{"name":"Size","required":"no","enabled":"yes","position":"1","type":4},{"name":"Notes","required":false,"enabled":false,"position":7,"type":"text"}]"#)])
        let model = try Self.decode(CalendlyWire.Resource<CalendlyWire.EventType>.self, json).resource.model
        #expect(model.customQuestions == [CustomQuestion(name: "Company", type: "string", position: 0, enabled: true, required: true),
                                          CustomQuestion(name: "Size", type: "string", position: 1, enabled: true, required: true),
                                          CustomQuestion(name: "Notes", type: "text", position: 7, enabled: false, required: false)])
    }

    @Test func inviteesAndScheduledEventsNeedOnlyWhatTheProductUses() throws {
        let invitee = try Self.decode(CalendlyWire.Resource<CalendlyWire.Invitee>.self, #"""
        {"resource":{"uri":"https://api.calendly.com/scheduled_events/E1/invitees/I1","email":"a@example.com","event":"https://api.calendly.com/scheduled_events/E1",
        "status":{"unexpected":true},"cancel_url":17,"reschedule_url":"https://calendly.com/reschedulings/I1","rescheduled":false,"new_invitee":null,"old_invitee":null,
        "tracking":{"utm_campaign":null,"utm_source":"calendly-action","utm_medium":null,"utm_content":"3f9a1c0e5b7d2a4c6e8f0a1b","utm_term":null,"salesforce_uuid":null},
        "questions_and_answers":[],"payment":null,"no_show":null,"reconfirmation":null,"scheduling_method":"api","invitee_scheduled_by":null}}
        """#).resource
        #expect(invitee.model(start: Instant(iso8601: "2026-11-26T02:00:00Z")!) == Invitee(
            uri: "https://api.calendly.com/scheduled_events/E1/invitees/I1", eventURI: "https://api.calendly.com/scheduled_events/E1", email: "a@example.com",
            start: Instant(iso8601: "2026-11-26T02:00:00Z")!, cancelURL: "", rescheduleURL: "https://calendly.com/reschedulings/I1"))
        let events = try Self.decode(CalendlyWire.Collection<CalendlyWire.ScheduledEvent>.self, #"""
        {"collection":[{"uri":"https://api.calendly.com/scheduled_events/E1","name":"Intro","status":"active","start_time":"2026-11-26T02:00:00.000000Z",
        "end_time":"2026-11-26T02:30:00.000000Z","event_type":"https://api.calendly.com/event_types/ET1",
        "location":{"type":"zoom","status":"pushed","join_url":"https://zoom.us/j/1","data":{"id":1,"settings":{"global_dial_in_numbers":[]},"password":"x"}},
        "invitees_counter":{"total":1,"active":1,"limit":1},"event_memberships":[{"user":"https://api.calendly.com/users/U1"}],"event_guests":[],
        "calendar_event":null,"meeting_notes_plain":null}],"pagination":{"count":1,"next_page":null,"next_page_token":null,"previous_page":null}}
        """#)
        #expect(events.collection.map(\.uri) == ["https://api.calendly.com/scheduled_events/E1"])
        // What the product needs stays required: an invitee without an email is a malformed response, not a guess.
        #expect(throws: DecodingError.self) {
            try Self.decode(CalendlyWire.Resource<CalendlyWire.Invitee>.self, #"{"resource":{"uri":"u","event":"e"}}"#)
        }
    }
}
