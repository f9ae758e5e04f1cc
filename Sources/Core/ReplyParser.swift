import Effects

/// What the customer meant by a free-text reply while an offer is open.
public enum ReplyMeaning: Equatable, Sendable {
    case slot(index: Int)
    /// "reschedule", "cancel", … — handled by pointing at Calendly (NEG-1).
    case manageBooking
    case unclear
}

/// Understands replies to a slot offer: "2", "#2", "option 2", "2.", a row id, or the time as shown
/// ("Thu 26 Nov, 09:30", "26 Nov 9:30", "9.30am" when unique).
public enum ReplyParser {
    public static func meaning(of reply: String, offer: SlotOffer, time: LocalTime) -> ReplyMeaning {
        let text = reply.trimmingWhitespace().lowercased()
        if let index = offer.index(ofRowID: text) { return .slot(index: index) }
        if let number = choiceNumber(text) {
            return (1...max(1, offer.slots.count)).contains(number) && number <= offer.slots.count ? .slot(index: number - 1) : .unclear
        }
        if let typed = TypedTime(text) {
            let matches = offer.slots.indices.filter { typed.matches(time.components(of: offer.slots[$0].start)) }
            if matches.count == 1 { return .slot(index: matches[0]) }
            return .unclear
        }
        if mentionsManaging(text) { return .manageBooking }
        return .unclear
    }

    /// Phrases (as whole words, in order) that ask to change an existing booking.
    static let managingPhrases: [[String]] = [
        ["reschedule"], ["rescheduling"], ["cancel"], ["canceling"], ["cancelling"],
        ["change", "my", "booking"], ["move", "my", "booking"], ["batal"], ["batalkan"], ["jadwal", "ulang"],
    ]
    /// A word right before the phrase that turns it around ("no cancel", "don't reschedule", "tidak batal").
    static let negations: Set<String> = ["no", "not", "don't", "dont", "never", "without", "tidak", "jangan", "nggak", "gak"]

    /// Whole words only: "cancellation" is not "cancel", so "no cancellation needed" asks for nothing.
    public static func mentionsManaging(_ text: String) -> Bool {
        let words = managingWords(text)
        for phrase in managingPhrases where phrase.count <= words.count {
            for start in 0...(words.count - phrase.count) where Array(words[start..<(start + phrase.count)]) == phrase {
                if start == 0 || !negations.contains(words[start - 1]) { return true }
            }
        }
        return false
    }

    /// Lowercased words: letters and digits, with an inner apostrophe kept ("don't").
    static func managingWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if (character == "'" || character == "\u{2019}"), !current.isEmpty {
                current.append("'")
            } else if !current.isEmpty {
                words.append(current); current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.hasSuffix("'") ? String($0.dropLast()) : $0 }
    }

    /// "2", "#2", "2.", "2)", "option 2", "number 2", "no. 2", "slot 2".
    static func choiceNumber(_ text: String) -> Int? {
        var rest = Substring(text)
        for prefix in ["option", "number", "no.", "no", "slot", "#"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
            break
        }
        rest = rest.drop { $0 == " " || $0 == "#" }
        while let last = rest.last, last == "." || last == ")" || last == " " { rest = rest.dropLast() }
        guard !rest.isEmpty, rest.count <= 3, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(rest)
    }
}

/// A time the customer typed, with whatever date parts they gave.
struct TypedTime {
    var hour: Int
    var minute: Int
    var day: Int?
    var month: Int?
    var weekday: Int?

    init?(_ text: String) {
        let tokens = TypedTime.tokens(text)
        var found: (Int, Int)?
        var day: Int?, month: Int?, weekday: Int?
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            let next = index + 1 < tokens.count ? tokens[index + 1] : ""
            if found == nil, let clock = TypedTime.clock(token, meridiem: next) {
                found = clock.time
                index += clock.consumedNext ? 2 : 1
                continue
            }
            // Month and weekday abbreviations share no three-letter prefix, so order does not matter.
            if token.count >= 3, let monthIndex = LocalTime.monthShort.firstIndex(where: { token.hasPrefix($0.lowercased()) }) {
                month = monthIndex + 1
            } else if token.count >= 3, let weekdayIndex = LocalTime.weekdayShort.firstIndex(where: { token.hasPrefix($0.lowercased()) }) {
                weekday = weekdayIndex
            } else if token.allSatisfy({ $0.isNumber }), let number = Int(token), (1...31).contains(number), day == nil {
                day = number
            } else if let stripped = TypedTime.ordinal(token) {
                day = stripped
            }
            index += 1
        }
        guard let (hour, minute) = found else { return nil }
        self.hour = hour; self.minute = minute; self.day = day; self.month = month; self.weekday = weekday
    }

    func matches(_ c: LocalTime.Components) -> Bool {
        c.hour == hour && c.minute == minute
            && (day.map { $0 == c.date.day } ?? true)
            && (month.map { $0 == c.date.month } ?? true)
            && (weekday.map { $0 == c.weekday } ?? true)
    }

    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text {
            if character.isLetter || character.isNumber || character == ":" || character == "." {
                current.append(character)
            } else if !current.isEmpty {
                tokens.append(current); current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens.map { $0.hasSuffix(".") && !$0.hasSuffix("..") && $0.count > 1 ? String($0.dropLast()) : $0 }
    }

    /// "09:30", "9.30", "9:30am", "9am", "9 pm" (meridiem in the next token).
    static func clock(_ token: String, meridiem next: String) -> (time: (Int, Int), consumedNext: Bool)? {
        var body = Substring(token)
        var meridiem: String?
        for suffix in ["am", "pm"] where body.hasSuffix(suffix) {
            meridiem = suffix
            body = body.dropLast(2)
        }
        var consumedNext = false
        if meridiem == nil, next == "am" || next == "pm" { meridiem = next; consumedNext = true }
        let parts = body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "." })
        var hour: Int, minute = 0
        if parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]), parts[0].count <= 2 {
            hour = h; minute = m
        } else if parts.count == 1, meridiem != nil, let h = Int(parts[0]), parts[0].count <= 2 {
            hour = h
        } else {
            return nil
        }
        if let meridiem {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (meridiem == "pm" ? 12 : 0)
        }
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        return ((hour, minute), consumedNext)
    }

    static func ordinal(_ token: String) -> Int? {
        for suffix in ["st", "nd", "rd", "th"] where token.hasSuffix(suffix) {
            if let number = Int(token.dropLast(2)), (1...31).contains(number) { return number }
        }
        return nil
    }
}
