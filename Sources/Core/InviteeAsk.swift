import Effects

/// One thing the conversation must learn from the customer before `POST /invitees` can succeed: a
/// required custom question of the event type, the choice among its locations, or the invitee's part of
/// a location (their number for an outbound call, the place for "invitee specifies location").
public enum InviteeAsk: Codable, Sendable, Hashable {
    case question(CustomQuestion)
    case locationChoice([EventLocation])
    case locationDetail(EventLocation)
}

/// The ask on screen. `number` counts the asks of the conversation, so the row ids of an earlier ask
/// (`q<number>a<choice>`) are recognisably stale; `unclear` counts the answers that did not fit.
public struct QuestionStep: Codable, Sendable, Hashable {
    public var ask: InviteeAsk
    public var number: Int
    public var unclear: Int
    public init(ask: InviteeAsk, number: Int, unclear: Int = 0) { self.ask = ask; self.number = number; self.unclear = unclear }

    public func rowID(_ choice: Int) -> String { "q\(number)a\(choice + 1)" }

    public func choice(ofRowID id: String) -> Int? {
        choices.indices.first { rowID($0) == id }
    }

    /// The options a tap or a number picks from: a select's choices, the locations, or the one thing a
    /// checkbox-style question confirms.
    public var choices: [String] {
        switch ask {
        case .question(let question):
            switch question.kind {
            case .singleSelect, .multiSelect: return question.answerChoices
            case .string, .text, .phoneNumber, .other: return []
            }
        case .locationChoice(let locations): return locations.map(Copy.locationLabel)
        case .locationDetail: return []
        }
    }
}

/// What the customer has told the conversation for this booking; kept across re-offers, so a slot
/// conflict never asks the same question twice.
public struct InviteeDetails: Codable, Sendable, Hashable {
    public var answers: [QuestionAnswer]
    /// The location chosen among several (its detail may still be missing).
    public var chosenLocation: EventLocation?
    /// The location as `POST /invitees` takes it, once complete.
    public var location: InviteeLocation?
    public init(answers: [QuestionAnswer] = [], chosenLocation: EventLocation? = nil, location: InviteeLocation? = nil) {
        self.answers = answers; self.chosenLocation = chosenLocation; self.location = location
    }
}

/// Why an answer was not taken; each has its own re-ask wording in `Copy`.
public enum AnswerProblem: Equatable, Sendable {
    case empty
    case tooLong(limit: Int)
    case phone(PhoneNumber.Problem)
    case noSuchChoice(count: Int)
    case notConfirmed
}

/// Reads the customer's reply to an ask, by question type.
public enum AnswerReader {
    /// One-line answers (`string`, the place of "invitee specifies location"): Calendly's location fields
    /// cap at 255 characters; we hold one-line answers to the same.
    public static let lineLimit = 255
    /// Multi-line answers (`text`): our chat cap, far above any answer typed in chat, below a pasted file.
    public static let textLimit = 1000
    /// Words that confirm a checkbox-style question.
    static let yesWords: Set<String> = ["yes", "y", "yeah", "yep", "ok", "okay", "sure", "agree", "i agree", "confirm", "confirmed",
                                        "accept", "i accept", "ya", "iya", "setuju", "1"]

    public enum Reading: Equatable, Sendable {
        case answer(String)
        /// The index of the location chosen among several.
        case location(Int)
        case unclear(AnswerProblem)
    }

    /// A select question with one choice reads as a checkbox: "I agree to …" confirmed with yes.
    public static func isConfirmation(_ question: CustomQuestion) -> Bool {
        question.answerChoices.count == 1 && !question.includeOther
    }

    public static func read(_ reply: String, step: QuestionStep, zone: String) -> Reading {
        let text = reply.trimmingWhitespace()
        switch step.ask {
        case .question(let question):
            switch question.kind {
            case .string, .other: return line(text, limit: lineLimit)
            case .text: return line(text, limit: textLimit)
            case .phoneNumber: return phone(text, zone: zone)
            case .singleSelect: return single(text, question: question, step: step)
            case .multiSelect: return multi(text, question: question, step: step)
            }
        case .locationChoice(let locations):
            guard let index = pick(text, step.choices) else { return .unclear(.noSuchChoice(count: locations.count)) }
            return .location(index)
        case .locationDetail(let location):
            if location.known == .outboundCall { return phone(text, zone: zone) }
            return line(text, limit: lineLimit)
        }
    }

    /// A tapped row: only rows of the ask on screen count.
    public static func read(rowID: String, step: QuestionStep) -> Reading? {
        guard let index = step.choice(ofRowID: rowID) else { return nil }
        switch step.ask {
        case .locationChoice: return .location(index)
        case .question, .locationDetail: return .answer(step.choices[index])
        }
    }

    static func line(_ text: String, limit: Int) -> Reading {
        guard !text.isEmpty else { return .unclear(.empty) }
        guard text.count <= limit else { return .unclear(.tooLong(limit: limit)) }
        return .answer(text)
    }

    static func phone(_ text: String, zone: String) -> Reading {
        switch PhoneNumber.normalized(text, zone: zone) {
        case .success(let number): return .answer(number)
        case .failure(let problem): return .unclear(.phone(problem))
        }
    }

    static func single(_ text: String, question: CustomQuestion, step: QuestionStep) -> Reading {
        let choices = question.answerChoices
        if isConfirmation(question) {
            let said = text.lowercased().trimmingCharacters(of: ".!")
            if yesWords.contains(said) || said == choices[0].lowercased() { return .answer(choices[0]) }
            return .unclear(.notConfirmed)
        }
        if let index = pick(text, choices) { return .answer(choices[index]) }
        // "Other": the customer's own words stand as the answer.
        if question.includeOther, !text.isEmpty, ReplyParser.choiceNumber(text.lowercased()) == nil { return line(text, limit: lineLimit) }
        return .unclear(text.isEmpty ? .empty : .noSuchChoice(count: choices.count))
    }

    /// Several picks: "1, 3", "1 and 3", "1 3", or the choices' words separated by commas. Calendly shows
    /// a multi-select answer one choice per line, in the choices' order.
    static func multi(_ text: String, question: CustomQuestion, step: QuestionStep) -> Reading {
        let choices = question.answerChoices
        if isConfirmation(question) { return single(text, question: question, step: step) }
        guard !text.isEmpty else { return .unclear(.empty) }
        guard text.count <= lineLimit * 4 else { return .unclear(.tooLong(limit: lineLimit * 4)) }
        if let whole = pick(text, choices) { return .answer(choices[whole]) }
        var picked = Set<Int>()
        var others: [String] = []
        for part in splitPicks(text, choices) {
            if let index = pick(part, choices) { picked.insert(index); continue }
            guard question.includeOther, ReplyParser.choiceNumber(part.lowercased()) == nil else { return .unclear(.noSuchChoice(count: choices.count)) }
            if !others.contains(part) { others.append(part) }
        }
        guard !picked.isEmpty || !others.isEmpty else { return .unclear(.noSuchChoice(count: choices.count)) }
        let answer = (picked.sorted().map { choices[$0] } + others).joined(separator: "\n")
        return answer.count <= lineLimit * 4 ? .answer(answer) : .unclear(.tooLong(limit: lineLimit * 4))
    }

    /// A choice by its number ("2", "#2", "option 2") or by its words (case-insensitive, whole).
    static func pick(_ text: String, _ choices: [String]) -> Int? {
        let lowered = text.lowercased()
        if let number = ReplyParser.choiceNumber(lowered) { return (1...max(1, choices.count)).contains(number) && number <= choices.count ? number - 1 : nil }
        return choices.firstIndex { $0.trimmingWhitespace().lowercased() == lowered }
    }

    static func splitPicks(_ text: String, _ choices: [String]) -> [String] {
        var parts: [String] = []
        for chunk in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" }) {
            let whole = String(chunk).trimmingWhitespace()
            if pick(whole, choices) != nil { parts.append(whole); continue }
            let words = chunk.split(separator: " ").map(String.init)
            // "1 3" or "1 and 3": numbers separated by spaces; words stay together ("Answer 1").
            if words.allSatisfy({ ReplyParser.choiceNumber($0) != nil || $0.lowercased() == "and" || $0 == "&" }) {
                parts += words.filter { ReplyParser.choiceNumber($0) != nil }
            } else {
                // Phrases separated by "and": "Pricing and Support" is two picks unless it is one choice (checked before).
                var phrase: [String] = []
                for word in words + ["and"] {
                    if word.lowercased() == "and" || word == "&" {
                        if !phrase.isEmpty { parts.append(phrase.joined(separator: " ")) }
                        phrase = []
                    } else {
                        phrase.append(word)
                    }
                }
            }
        }
        return parts.filter { !$0.isEmpty }
    }
}

extension String {
    /// Drops the given characters from both ends.
    func trimmingCharacters(of set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
