import Core
import Effects
import Foundation
import Interpreters
import PropertyBased
import Testing

/// The journal's own coders read back exactly what they wrote, for extreme values too: any instant
/// (Int64.min…max), any slot list (gaps, repeats, out of order, overflowing steps), any text (empty,
/// 100k characters, control characters, what invalid UTF-8 decodes to) — and the parser fails cleanly
/// on anything that is not JSON.
@Suite struct JournalCodingProperties {
    static let extremes: [Int64] = [.min, .min + 1, -62_167_219_200_001, -62_167_219_200_000, -1, 0, 1, 1_795_000_000_000,
                                    253_402_300_799_999, 253_402_300_800_000, .max - 1, .max]
    /// An extreme about half the time, else anything.
    static let millisecond = zip(Gen.int(in: 0...(2 * extremes.count)), Gen.int64(in: .min ... .max)).map { (index: Int, any: Int64) -> Int64 in
        index < extremes.count ? extremes[index] : any
    }
    static func text(_ index: Int) -> String { texts[index % texts.count] }

    static let texts: [String] = [
        "", String(repeating: "é", count: 100_000), String(decoding: [0xFF, 0xFE, 0x41, 0xC3, 0x28, 0xED, 0xA0, 0x80] as [UInt8], as: UTF8.self),
        "\u{0}\u{1}\u{1F}\"\\/\n\r\t", "👩‍👩‍👧 Jakarta", "\\u0041", "{\"kind\":\"x\"}", "ana@example.com",
    ]

    static func roundTrips<T: JournalCodable & Equatable>(_ value: T) -> Bool {
        (try? T.fromJournal(value.journal.json)) == value
    }

    @Test func availableTimesRoundTripExactly() async {
        await propertyCheck(count: 300, input: Self.millisecond.array(of: 0...40)) { starts in
            let reply = CalendlyReply.availableTimes(starts.map { Slot(start: Instant(millisecondsSince1970: $0)) })
            #expect(Self.roundTrips(reply), "\(starts)")
        }
    }

    @Test func evenlySpacedTimesAreOneRun() async {
        await propertyCheck(count: 200, input: Gen.int64(in: 1_795_000_000_000...1_796_000_000_000), Gen.int64(in: 1...86_400_000), Gen.int(in: 1...500)) { first, step, count in
            let slots = (0..<count).map { Slot(start: Instant(millisecondsSince1970: first + step * Int64($0))) }
            guard case .array(let runs)? = CalendlyReply.availableTimes(slots).journal["runs"] else { Issue.record("no runs"); return }
            #expect(runs.count == 1)
            #expect(Self.roundTrips(CalendlyReply.availableTimes(slots)))
        }
    }

    @Test func anyInstantRoundTrips() async {
        await propertyCheck(count: 300, input: Self.millisecond) { milliseconds in
            let input = BookingConversation.Input.recovered(at: Instant(millisecondsSince1970: milliseconds))
            #expect(Self.roundTrips(input), "\(milliseconds)")
        }
    }

    @Test func anyTextRoundTrips() async {
        await propertyCheck(count: 100, input: Gen.int(in: 0...100), Gen.int(in: 0...100)) { one, two in
            let (first, second) = (Self.text(one), Self.text(two))
            let text = first + second
            #expect(Self.roundTrips(BookingConversation.Input.customerReplied(text, at: Instant(millisecondsSince1970: 0))))
            #expect(Self.roundTrips(Effect.send(ChannelMessage(conversation: ConversationID(first), content: .text(second)))))
            // The writer's escaping agrees with Foundation's reader.
            let parsed = try? JSONSerialization.jsonObject(with: Data(JournalValue.string(text).json.utf8), options: [.fragmentsAllowed]) as? String
            #expect(parsed == text)
        }
    }

    @Test func theParserFailsCleanlyOnArbitraryBytes() async {
        let pieces: [String] = ["{", "}", "[", "]", "\"", "\\", "u", "D800", ":", ",", "1", "-", "e", "9223372036854775808", "null", "tru", " ", "\u{FFFD}"]
        await propertyCheck(count: 500, input: Gen.int(in: 0...(pieces.count - 1)).array(of: 0...30)) { indices in
            let text = indices.map { pieces[$0] }.joined()
            // Either an error or a value that writes back to text parsing to the same value.
            if let value = try? JournalValue.parse(text) { #expect((try? JournalValue.parse(value.json)) == value, "\(text)") }
        }
        #expect(throws: JournalValue.SyntaxError.self) { try JournalValue.parse(String(repeating: "[", count: 100_000)) }
    }

    @Test func aRunThatPassesTheEndOfTimeIsRefused() {
        let hostile = #"{"kind":"available_times","count":2,"runs":[{"first":9223372036854775807,"count":2,"step_ms":1}]}"#
        #expect(throws: JournalDecodingError.self) { try CalendlyReply.fromJournal(hostile) }
        let huge = #"{"kind":"available_times","count":1000000000,"runs":[{"first":0,"count":1000000000,"step_ms":1}]}"#
        #expect(throws: JournalDecodingError.self) { try CalendlyReply.fromJournal(huge) }
        let lying = #"{"kind":"available_times","count":3,"runs":[{"first":0,"count":2,"step_ms":1}]}"#
        #expect(throws: JournalDecodingError.self) { try CalendlyReply.fromJournal(lying) }
    }
}
