import Effects

/// A custom question as Calendly described it (`custom_questions[]`), field by field: absent, present
/// but unreadable, or the value. The wire decoder fills it and decides nothing; `EventTypeDefaults`
/// turns it into the question the product asks.
public struct ReportedQuestion {
    public var name: String
    public var type: LenientField<String>
    public var position: LenientField<Int>
    public var enabled: LenientField<Bool>
    public var required: LenientField<Bool>
    /// The choices that were strings, in Calendly's order; nil when the field was absent or not a list.
    public var answerChoices: [String]?
    public var includeOther: LenientField<Bool>

    public init(name: String, type: LenientField<String> = .absent, position: LenientField<Int> = .absent,
                enabled: LenientField<Bool> = .absent, required: LenientField<Bool> = .absent, answerChoices: [String]? = nil,
                includeOther: LenientField<Bool> = .absent) {
        self.name = name; self.type = type; self.position = position; self.enabled = enabled; self.required = required
        self.answerChoices = answerChoices; self.includeOther = includeOther
    }
}

/// What an event type's details default to when Calendly leaves them out or sends them unreadable
/// (issue 11: the wire decoder used to decide them). Eligibility's defaults live with the policy
/// (EventTypeCatalog.swift); these are the rest. Each lands on the side where the product asks the
/// customer more rather than letting Calendly refuse the booking.
public enum EventTypeDefaults {
    /// Calendly's default meeting length, shown on each offered slot when the event type states none.
    public static let durationMinutes = 30

    /// The stated length when it is a length at all (at least a minute); else the default.
    public static func durationMinutes(_ reported: Int?) -> Int {
        guard let reported, reported > 0 else { return durationMinutes }
        return reported
    }

    /// The question the product asks for what Calendly reported:
    /// - `type` missing or unreadable: "string" (one line of text, the most permissive answer);
    /// - `position` missing or unreadable: its place in the list, so Calendly's order is kept;
    /// - `enabled` missing or unreadable: shown — a question we skip may be one Calendly insists on;
    /// - `required` missing or unreadable: **required**. Taken as optional, a question Calendly does
    ///   require goes unanswered and Calendly refuses every booking of the event type (issue 11, "a
    ///   required Calendly question makes every booking fail"); taken as required, the customer is at
    ///   worst asked one question more. The cheap mistake is the safe one.
    /// - `include_other` missing or unreadable: false (only the listed choices are accepted, which Calendly always takes);
    /// - `answer_choices` missing: none.
    public static func question(_ reported: ReportedQuestion, index: Int) -> CustomQuestion {
        CustomQuestion(name: reported.name, type: reported.type.value ?? QuestionKind.string.rawValue,
                       position: reported.position.value ?? index, enabled: reported.enabled.value ?? true,
                       required: reported.required.value ?? true, answerChoices: reported.answerChoices ?? [],
                       includeOther: reported.includeOther.value ?? false)
    }

    /// Every reported question, in the order listed (`index` is its place there).
    public static func questions(_ reported: [ReportedQuestion]) -> [CustomQuestion] {
        reported.enumerated().map { question($1, index: $0) }
    }
}
