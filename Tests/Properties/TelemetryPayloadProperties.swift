import Effects
import Foundation
import Interpreters
import Testing

/// The telemetry row's hand-written payload (`TelemetryPayload`, issue 16 round 4) must be byte for byte
/// what Foundation's encoder wrote before (`JSONEncoder`, sorted keys, slashes unescaped): for every case
/// of `TelemetryEvent`, with strings full of controls, quotes, backslashes, slashes, non-ASCII and
/// emails, and numbers and instants at their extremes.
@Suite struct TelemetryPayloadProperties {
    static func foundation(_ event: TelemetryEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(event), as: UTF8.self)
    }

    /// Texts that exercise every escaping rule: each control byte, the two escaped printables, a slash
    /// (not escaped), DEL and U+2028 (not escaped either), multi-byte scalars, an email, empty.
    static let awkwardTexts: [String] = [
        "", "plain", "a/b\\c\"d", String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) }), "\u{7f}\u{2028}\u{2029}",
        "é 😀 中文 e\u{301}", "Casey@Example.com wrote", "\"\"\\\\//", String(repeating: "x\n", count: 500),
    ]
    static let instants: [Instant] = [
        Instant(millisecondsSince1970: 0), Instant(millisecondsSince1970: 1_764_547_200_123), Instant(millisecondsSince1970: -1),
        Instant(millisecondsSince1970: 253_402_300_799_999), Instant(millisecondsSince1970: -62_135_596_800_000),
    ]
    static let numbers: [Int] = [0, 1, -1, 80, Int.max, Int.min]

    static func event(_ draw: inout SeededGenerator) -> TelemetryEvent {
        func text() -> String { awkwardTexts.randomElement(using: &draw)! }
        func at() -> Instant { instants.randomElement(using: &draw)! }
        func number() -> Int { numbers.randomElement(using: &draw)! }
        let agent = AgentID(text()), conversation = ConversationID(text()), uri = CalendlyURI(text())
        switch Int.random(in: 0..<14, using: &draw) {
        case 0: return .connected(agent: agent, accountEmail: text(), organization: uri, at: at())
        case 1: return .connectFailed(agent: agent, reason: text(), at: at())
        case 2: return .eventTypesFetchFailed(agent: agent, reason: text(), cacheUsed: Bool.random(using: &draw), at: at())
        case 3: return .bookingOffered(agent: agent, conversation: conversation, eventType: uri, channel: Channel.allCases.randomElement(using: &draw)!, at: at())
        case 4: return .bookingCreated(agent: agent, conversation: conversation, eventType: uri, scheduledTime: at(), at: at())
        case 5: return .slotConflict(agent: agent, conversation: conversation, eventType: uri, at: at())
        case 6: return .bookingFailed(agent: agent, conversation: conversation, reason: text(), at: at())
        case 7: return .webhookRejected(reason: text(), at: at())
        case 8: return .bookingCanceled(agent: agent, conversation: conversation, eventType: uri, at: at())
        case 9: return .webhookSubscriptionRecreated(agent: agent, reason: text(), at: at())
        case 10: return .bookingRescheduled(agent: agent, conversation: conversation, eventType: uri, at: at())
        case 11: return .fallbackBooked(agent: agent, conversation: conversation, eventType: uri, at: at())
        case 12: return .bookingQuotaHigh(owner: uri, used: number(), cap: number(), at: at())
        default: return .actionNeedsReview(agent: agent, reason: text(), at: at())
        }
    }

    @Test func sameBytesAsFoundationsEncoderOnGeneratedEvents() {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("TelemetryPayloadProperties seed \(seed)")
        var draw = SeededGenerator(seed: seed)
        var casesSeen = Set<String>()
        for _ in 0..<3_000 {
            let event = Self.event(&draw)
            casesSeen.insert(event.name)
            #expect(TelemetryPayload.json(event) == Self.foundation(event), "seed \(seed): \(event)")
        }
        #expect(casesSeen.count == 14, "seed \(seed): every case drawn")
    }

    /// Every control byte alone, so no escape depends on what a draw happened to pick.
    @Test func everyControlByteEscapesAsFoundationDoes() {
        for byte in UInt8(0)...0x7f {
            let event = TelemetryEvent.webhookRejected(reason: "<\(Character(Unicode.Scalar(byte)))>", at: Instant(millisecondsSince1970: 0))
            #expect(TelemetryPayload.json(event) == Self.foundation(event), "byte \(byte)")
        }
    }

    /// The stored payload still has its emails replaced (the overload takes the redaction with it).
    @Test func storedPayloadIsRedacted() {
        let event = TelemetryEvent.connected(agent: "agent-1", accountEmail: "owner@example.com", organization: "https://api.calendly.com/organizations/O1",
                                             at: Instant(millisecondsSince1970: 0))
        let stored = Redaction.json(event)
        #expect(!stored.contains("owner@example.com"))
        #expect(stored == Redaction.redactEmails(Self.foundation(event)))
    }
}
