import Core
import Effects
import Foundation
import PropertyBased
import Testing

/// Issue 12: what the customer types in answer to a question is read safely whatever it is, and a
/// booking only leaves with every required question answered, in Calendly's order.
@Suite struct QuestionProperties {
    static let separators = [" ", "-", ".", "(", ")", "/", ""]
    static let zones = ["Asia/Jakarta", "America/New_York", "Europe/London", "UTC", "Mars/Olympus_Mons", ""]

    /// The shape every normalized number has: `+`, 8–15 ASCII digits, no leading zero.
    static func isE164(_ number: String) -> Bool {
        let digits = number.dropFirst()
        return number.first == "+" && (PhoneNumber.minDigits...PhoneNumber.maxDigits).contains(digits.count)
            && digits.allSatisfy { $0.isASCII && $0.isNumber } && digits.first != "0"
    }

    /// Extremes: the largest integers, empty and huge strings, invalid UTF-8 made text, other scripts' digits.
    static let extremes: [String] = [
        "", " ", "+", "00", "\(Int64.max)", "+\(Int64.max)", "-\(Int64.min)", String(repeating: "9", count: 100_000),
        String(repeating: "+1 ", count: 40_000), String(decoding: [0xFF, 0xFE, 0x31, 0xC3, 0x28, 0x32], as: UTF8.self),
        "٠٨١٢٣٤٥٦٧٨٩", "＋６２８１２３４５６７８", "+62 812\u{0000}3456789", "1, 3, 1, 3", "yes", "q1a1",
    ]

    @Test func phoneNumbersAreE164OrRefusedWithAReason() async {
        let typed = zip(Gen.int(in: 0...9).array(of: 0...20), Gen.int(in: 0...(Self.separators.count - 1)).array(of: 0...20))
        await propertyCheck(count: 500, input: typed, Gen.int(in: 0...3), Gen.int(in: 0...(Self.zones.count - 1))) { parts, prefix, zoneIndex in
            let (digits, seps) = parts
            let zone = Self.zones[zoneIndex]
            var text = ["", "+", "00", "0"][prefix]
            for (index, digit) in digits.enumerated() { text += "\(digit)" + (index < seps.count ? Self.separators[seps[index]] : "") }
            switch PhoneNumber.normalized(text, zone: zone) {
            case .success(let number): #expect(Self.isE164(number), "\(text) → \(number)")
            case .failure: break
            }
        }
        for text in Self.extremes {
            for zone in Self.zones {
                if case .success(let number) = PhoneNumber.normalized(text, zone: zone) { #expect(Self.isE164(number), "\(text.prefix(40)) → \(number)") }
            }
        }
    }

    @Test func anInternationalNumberSurvivesAnyFormatting() async {
        await propertyCheck(count: 300, input: Gen.int(in: 1...9), Gen.int(in: 0...9).array(of: 7...14), Gen.int(in: 0...(Self.separators.count - 1)),
                            Gen.int(in: 0...(Self.zones.count - 1))) { first, rest, separator, zoneIndex in
            let zone = Self.zones[zoneIndex]
            let digits = ([first] + rest).map(String.init).joined()
            let formatted = "+" + ([first] + rest).map(String.init).joined(separator: Self.separators[separator])
            #expect(PhoneNumber.normalized(formatted, zone: zone) == .success("+" + digits), "\(formatted)")
            #expect(PhoneNumber.normalized("00" + digits, zone: zone) == .success("+" + digits))
        }
    }

    static let choices = ["Just me", "2-10", "11-50", "More than 50"]
    static func step(_ type: String, includeOther: Bool = false, choices: [String] = choices) -> QuestionStep {
        QuestionStep(ask: .question(CustomQuestion(name: "Q", type: type, position: 0, required: true, answerChoices: choices,
                                                   includeOther: includeOther)), number: 1)
    }

    /// Any reply to any ask: an answer within the limits and, for a select without "other", made only of its choices.
    @Test func everyReadingRespectsTheQuestion() async {
        let vocabulary = ["1", "2", "3", "4", "9", "0", ",", "and", "yes", "no", "Just me", "2-10", "more than 50", "🙂", "\n", " "]
        let words = Gen.int(in: 0...(vocabulary.count - 1)).array(of: 0...8)
        let types = ["string", "text", "phone_number", "single_select", "multi_select", "rating"]
        await propertyCheck(count: 600, input: words, Gen.int(in: 0...(types.count - 1)), Gen.bool) { picked, type, other in
            let text = picked.map { vocabulary[$0] }.joined(separator: " ")
            Self.check(text, Self.step(types[type], includeOther: other))
        }
        for text in Self.extremes {
            for type in types {
                Self.check(text, Self.step(type))
                Self.check(text, Self.step(type, includeOther: true))
                Self.check(text, Self.step(type, choices: ["I agree"]))
            }
        }
    }

    static func check(_ text: String, _ step: QuestionStep) {
        guard case .question(let question) = step.ask else { return }
        switch AnswerReader.read(text, step: step, zone: "Asia/Jakarta") {
        case .answer(let answer):
            #expect(!answer.isEmpty)
            switch question.kind {
            case .string, .other: #expect(answer.count <= AnswerReader.lineLimit)
            case .text: #expect(answer.count <= AnswerReader.textLimit)
            case .phoneNumber: #expect(isE164(answer), "\(answer)")
            case .singleSelect:
                if !question.includeOther { #expect(question.answerChoices.contains(answer), "\(text) → \(answer)") }
            case .multiSelect:
                let lines = answer.split(separator: "\n").map(String.init)
                if !question.includeOther { #expect(lines.allSatisfy(question.answerChoices.contains), "\(text) → \(answer)") }
                #expect(Set(lines).count == lines.count, "a pick twice: \(answer)")
            }
        case .unclear, .location:
            break
        }
    }

    /// The property below is not vacuous: scripted conversations do reach bookings of the questioned type.
    @Test func scriptsReachBookingsThatNeedAnswers() {
        var state: UInt64 = 42
        var booked = 0
        for _ in 0..<300 {
            let codes = (0..<60).map { _ -> Int in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int(state >> 33) % 1001
            }
            for step in ConversationScript.run(codes) where step.state.setup?.eventType == ConversationScript.questioned {
                booked += step.effects.filter { if case .calendly(_, .createInvitee) = $0 { return true } else { return false } }.count
            }
        }
        #expect(booked > 10, "only \(booked) bookings of the questioned event type")
    }

    /// Whatever the customer does, a booking leaves only with every required, shown question answered, once
    /// each, in position order, and no answer to a question the event type does not show.
    @Test func aBookingCarriesEveryRequiredAnswerInCalendlysOrder() async {
        await propertyCheck(count: 300, input: ConversationProperties.scripts) { codes in
            for step in ConversationScript.run(codes) {
                for effect in step.effects {
                    guard case .calendly(_, .createInvitee(_, _, let request)) = effect, let eventType = step.state.setup?.eventType else { continue }
                    let shown = eventType.shownQuestions
                    for question in shown where question.required {
                        #expect(request.answers.contains { $0.question == question.name && !$0.answer.isEmpty }, "\(question.name) unanswered")
                    }
                    #expect(request.answers.allSatisfy { answer in shown.contains { $0.name == answer.question } })
                    let positions = request.answers.compactMap(\.position)
                    #expect(positions.count == request.answers.count && positions == positions.sorted())
                    #expect(Set(request.answers.map(\.question)).count == request.answers.count)
                    if eventType.locations.count > 1 { #expect(request.location != nil, "several locations, none chosen") }
                    if let location = request.location, location.kind == LocationKind.outboundCall.rawValue {
                        #expect(location.location.map(Self.isE164) == true)
                    }
                }
            }
        }
    }
}
