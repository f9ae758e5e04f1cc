import Core
import Effects
import Foundation
import Interpreters
import Testing

/// What `replay` says about steps the golden incidents do not cover: a WhatsApp row choice in the
/// customer's zone, a webhook on a booking reference, a divergence named field by field.
@Suite struct JournalTimelineTests {
    typealias F = JournalFormatGoldenTests
    static let id: ConversationID = "acme:chat-1"

    /// The journal of a real run of the reducer: trigger on WhatsApp, availability, the customer taps row 2.
    static func conversationRecords() -> [JournalRecord] {
        var state = BookingConversation(id: id)
        var records: [JournalRecord] = []
        func step(_ input: BookingConversation.Input, _ at: Instant) {
            let before = state
            let effects = BookingConversation.reduce(&state, input)
            var record = JournalRecord(stream: "conversation:\(id)", at: at, aggregate: .conversation, id: id.rawValue, input: input, effects: effects,
                                       stateBefore: before)
            record.seq = records.count + 1
            records.append(record)
        }
        let at = Instant(iso8601: "2026-11-30T08:00:00Z")!
        step(.triggerMet(BookingConversation.Trigger(setup: .ready(F.setup), channel: .whatsapp, timeZone: "Asia/Jakarta"), at: at), at)
        guard case .checkingAvailability(let request) = state.phase else { return records }
        let slots = (0..<300).map { Slot(start: Instant(iso8601: "2026-12-01T08:15:00Z")! + .minutes(30 * Int64($0))) }
        step(.calendlyReplied(request, .availableTimes(slots), at: at), at)
        step(.customerChoseRow("o1s2", at: at + .seconds(30)), at + .seconds(30))
        return records
    }

    @Test func aRowChoiceReadsAsTheTimeTheCustomerSaw() throws {
        let steps = try Replayer.replay(Self.conversationRecords())
        #expect(steps.count == 3 && steps.allSatisfy { $0.matches })
        let timeline = JournalTimeline.render(steps)
        #expect(timeline.contains("Calendly answered acme:chat-1/1: 300 available times, first 10: Tue 1 Dec, 15:15; Tue 1 Dec, 15:45;"))
        #expect(timeline.contains("customer chose row o1s2 = Tue 1 Dec, 15:45 Asia/Jakarta [slotsShown → "))
        #expect(timeline.contains("→ customer sees a list [") && timeline.contains("      [o1s2] Tue 1 Dec, 15:45 — "))
        // The reply is 300 starts 30 minutes apart: one run in the record.
        #expect(steps[1].input.journalValue["reply"]?["runs"] == .array([.object(["first": "2026-12-01T08:15:00Z", "count": .int(300), "step_ms": .int(1_800_000)])]))
    }

    @Test func aWebhookOnABookingReferenceIsNamed() throws {
        var state: BookingReference? = nil
        var records: [JournalRecord] = []
        for input in [BookingReference.Input.intentRecorded(F.intent), .intentSettled(.booked(F.invitee), at: F.at), .notice(F.notice, at: F.later)] {
            let before = state
            let effects = BookingReference.reduce(&state, input)
            var record = JournalRecord(stream: "conversation:acme:chat-1", at: F.at, aggregate: .reference, id: F.intent.key.rawValue, input: input,
                                       effects: effects, stateBefore: before)
            record.seq = records.count + 1
            records.append(record)
        }
        let steps = try Replayer.replay(records)
        #expect(steps.allSatisfy { $0.matches })
        let timeline = JournalTimeline.render(steps)
        #expect(timeline.contains("reference acme:chat-1#1: webhook invitee.canceled for EV1 (reschedule) [created → "), "\(timeline)")
    }

    @Test func aDivergenceIsNamedFieldByField() throws {
        var records = Self.conversationRecords()
        // As if an older core had asked Calendly for a different window and sent one message fewer.
        records[0].effects[1] = try JournalValue.parse(records[0].effects[1].json.replacingOccurrences(of: "ET-1", with: "ET-2"))
        records[2].effects.removeLast()
        let steps = try Replayer.replay(records)
        #expect(steps.map(\.matches) == [false, true, false])
        #expect(JournalTimeline.differences(recorded: steps[0].recordedEffects, now: steps[0].effects).map(\.description)
                    == [#"effects[1].call.event_type: recorded "https://api.calendly.com/event_types/ET-2", now "https://api.calendly.com/event_types/ET-1""#])
        let missing = JournalTimeline.differences(recorded: steps[2].recordedEffects, now: steps[2].effects)
        #expect(missing.count == 1 && missing[0].path == "effects[\(steps[2].effects.count - 1)]" && missing[0].recorded == "(absent)")
        #expect(JournalTimeline.render(steps).contains("    DIVERGES from the recorded effects:\n      effects[1].call.event_type: recorded"))
    }
}
