import Core
import Effects
import Foundation
import Testing
@testable import Interpreters

/// Issue 11 defect 6: the wire decoder keeps what Calendly said about each eligibility field (absent,
/// unreadable, or the value as sent) and Core decides what it means, once. Each missing, unknown and
/// unreadable value of each field is pinned here, through the real decoder and the policy.
@Suite struct EligibilityDefaultsTests {
    static func decoded(_ replacements: [(String, String)]) throws -> EventType {
        try CalendlyWireToleranceTests.decode(CalendlyWire.Resource<CalendlyWire.EventType>.self,
                                              CalendlyWireToleranceTests.eventType(replacements)).resource.model
    }

    static func reason(_ replacements: [(String, String)]) throws -> String? {
        EligibilityPolicy().ineligibility(try decoded(replacements))
    }

    @Test func missingFieldsTakeCalendlysDefaults() throws {
        let kindless = try Self.decoded([(#""kind":"solo","#, "")])
        #expect(kindless.facts.kind == nil && kindless.facts.unreadable.isEmpty, "the decoder decides nothing")
        #expect(kindless.kind == .solo)
        #expect(try Self.reason([(#""kind":"solo","#, "")]) == nil, "no kind: one-on-one")
        #expect(try Self.reason([(#""is_paid":false,"#, "")]) == nil, "no is_paid: unpaid")
        #expect(try Self.reason([(#""secret":false,"#, "")]) == nil, "no secret: public")
        #expect(try Self.reason([(#""booking_method":"instant","#, "")]) == nil, "no booking_method: instant")
        #expect(try Self.reason([(#""pooling_type":null,"#, "")]) == nil, "no pooling_type: none")
        #expect(try Self.reason([(#""active":true,"#, "")]) == "inactive", "no active: not offered")
    }

    @Test func unknownValuesAreIneligible() throws {
        #expect(try Self.reason([(#""kind":"solo""#, #""kind":"duo""#)]) == "group")
        #expect(try Self.reason([(#""pooling_type":null"#, #""pooling_type":"lottery""#)]) == "multi_pool")
        #expect(try Self.reason([(#""booking_method":"instant""#, #""booking_method":"auction""#)]) == "poll")
        let unknown = try Self.decoded([(#""kind":"solo""#, #""kind":"duo""#)])
        #expect(unknown.facts.kind == "duo", "kept as sent")
    }

    @Test func unreadableValuesAreRecordedAsSuchAndIneligible() throws {
        let paid = try Self.decoded([(#""is_paid":false"#, #""is_paid":"maybe""#)])
        #expect(paid.facts.isPaid == nil && paid.facts.unreadable == [.isPaid])
        #expect(paid.isPaid && EligibilityPolicy().ineligibility(paid) == "paid")
        let several = try Self.decoded([(#""kind":"solo""#, #""kind":7"#), (#""secret":false"#, #""secret":"no""#)])
        #expect(several.facts.unreadable == [.kind, .secret], "in field order")
        #expect(several.kind == .group && several.secret)
    }

    @Test func factsSurviveStorageAndSettingADecidedFieldMakesItKnown() throws {
        var type = try Self.decoded([(#""is_paid":false"#, #""is_paid":"maybe""#), (#""kind":"solo","#, "")])
        let stored = try JSONDecoder().decode(EventType.self, from: JSONEncoder().encode(type))
        #expect(stored == type)
        #expect(stored.isPaid && stored.kind == .solo)
        type.isPaid = false
        #expect(type.facts.isPaid == false && type.facts.unreadable.isEmpty && !type.isPaid)
        // A value stored before facts existed (every field known) reads back the same.
        let legacy = #"{"uri":"u","name":"n","active":true,"durationMinutes":30,"kind":"group","secret":false,"bookingMethod":"instant","isPaid":false,"schedulingURL":"s","customQuestions":[]}"#
        let old = try JSONDecoder().decode(EventType.self, from: Data(legacy.utf8))
        #expect(old == EventType(uri: "u", name: "n", kind: .group, schedulingURL: "s"))
    }
}
