import Core
import Effects
import PropertyBased
import Testing

/// `ReplyParser.mentionsManaging` reads whole words and phrases, never substrings.
@Suite struct ReplyParserProperties {
    /// Words that contain a managing word as a substring but ask for nothing.
    static let lookalikes = ["cancellation", "cancellations", "cancelled", "uncancel", "rescheduled", "batalyon", "pembatalan", "reschedules"]
    static let filler = ["thanks", "see", "you", "then", "great", "the", "meeting", "is", "fine", "needed", "no", "my", "booking", "ok"]
    static let asks = ["reschedule", "cancel", "change my booking", "move my booking", "batal", "jadwal ulang"]

    @Test func substringsOfManagingWordsAskForNothing() async {
        let vocabulary = Self.lookalikes + Self.filler
        await propertyCheck(count: 300, input: Gen.int(in: 0...(vocabulary.count - 1)).array(of: 1...8)) { picks in
            let text = picks.map { vocabulary[$0] }.joined(separator: " ")
            #expect(!ReplyParser.mentionsManaging(text), "\(text)")
        }
    }

    @Test func aManagingPhraseAnywhereAsksToManage() async {
        // "no" is left out: right before the phrase it negates it.
        let neutral = Self.filler.filter { $0 != "no" }
        let words = Gen.int(in: 0...(neutral.count - 1)).array(of: 0...5)
        await propertyCheck(count: 300, input: words, Gen.int(in: 0...(Self.asks.count - 1)), words) { before, ask, after in
            let parts: [String] = before.map { neutral[$0] } + [Self.asks[ask]] + after.map { neutral[$0] }
            let text = parts.joined(separator: " ")
            #expect(ReplyParser.mentionsManaging(text), "\(text)")
            #expect(ReplyParser.mentionsManaging(text.uppercased() + "?"), "\(text)")
        }
    }

    @Test func examples() {
        #expect(!ReplyParser.mentionsManaging("no cancellation needed"))
        #expect(!ReplyParser.mentionsManaging("don't cancel, it's perfect"))
        #expect(ReplyParser.mentionsManaging("Can I reschedule to Friday?"))
        #expect(ReplyParser.mentionsManaging("please cancel my booking"))
        #expect(ReplyParser.mentionsManaging("bisa jadwal ulang?"))
        #expect(ReplyParser.mentionsManaging("batal saja"))
    }
}
