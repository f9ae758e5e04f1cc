import Effects

/// Everything a conversation needs to run a booking, resolved when the trigger fires. Built by
/// `BookingSetup.resolve`, so "is the agent allowed to offer?" is decided in one place.
public struct BookingSetup: Codable, Sendable, Hashable {
    public var agent: AgentID
    public var eventType: EventType
    public var token: TokenReference
    public var confirmationMessage: String
    /// Custom-question answers resolved from the mapped contact fields.
    public var answers: [QuestionAnswer]
    /// The invitee's email and name from the mapped fields, when the contact already has them.
    public var knownEmail: String?
    public var knownName: String?

    public init(agent: AgentID, eventType: EventType, token: TokenReference, confirmationMessage: String, answers: [QuestionAnswer] = [],
                knownEmail: String? = nil, knownName: String? = nil) {
        self.agent = agent; self.eventType = eventType; self.token = token; self.confirmationMessage = confirmationMessage; self.answers = answers
        self.knownEmail = knownEmail; self.knownName = knownName
    }

    /// The static Calendly link every fallback ends with.
    public var staticLink: String { eventType.schedulingURL }
}

/// Why an agent does not offer booking (S03 permission model: action or flag off, disconnected…).
public enum NotOfferedReason: String, Codable, Sendable, Hashable {
    case flagOff = "flag_off"
    case notEntitled = "not_entitled"
    case notConnected = "not_connected"
    case notConfigured = "not_configured"
    case actionDisabled = "action_disabled"
    case planInsufficient = "plan_insufficient"
    case eventTypeIneligible = "event_type_ineligible"
}

/// Whether the agent may offer booking now, and with what.
public enum BookingReadiness: Codable, Sendable, Hashable {
    case ready(BookingSetup)
    case notOffered(NotOfferedReason)
}

/// The account's entitlements as the runtime sees them.
public struct AccountEntitlements: Codable, Sendable, Hashable {
    public var hasAIAgent: Bool
    public var hasNativeIntegrations: Bool
    public var calendlyFlagOn: Bool
    public init(hasAIAgent: Bool, hasNativeIntegrations: Bool, calendlyFlagOn: Bool) {
        self.hasAIAgent = hasAIAgent; self.hasNativeIntegrations = hasNativeIntegrations; self.calendlyFlagOn = calendlyFlagOn
    }
    public static let all = AccountEntitlements(hasAIAgent: true, hasNativeIntegrations: true, calendlyFlagOn: true)
}

extension BookingSetup {
    /// The one definition of "runnable" (issue 11 defect 6): why the agent would not offer booking now,
    /// or nil when it would. The runtime (`resolve`, at every trigger) and the admin API (`runnable` and
    /// `notRunnableReason` of the action) both ask this, so the admin never sees "runnable" for an agent
    /// whose offers end in "not offered".
    public static func notRunnableReason(entitlements: AccountEntitlements, connection: Connection, config: ActionConfig) -> NotOfferedReason? {
        guard entitlements.calendlyFlagOn else { return .flagOff }
        guard entitlements.hasAIAgent, entitlements.hasNativeIntegrations else { return .notEntitled }
        guard let account = connection.account else { return .notConnected }
        guard !account.planInsufficient else { return .planInsufficient }
        guard let saved = config.saved else { return .notConfigured }
        guard saved.draft.enabled else { return .actionDisabled }
        // NEG-4: a type that became paid (or otherwise ineligible) after saving is never offered.
        guard config.policy.isEligible(saved.eventType) else { return .eventTypeIneligible }
        return nil
    }

    public static func resolve(
        entitlements: AccountEntitlements, connection: Connection, config: ActionConfig, contactFields: [String: String]
    ) -> BookingReadiness {
        if let reason = notRunnableReason(entitlements: entitlements, connection: connection, config: config) { return .notOffered(reason) }
        // Both hold once `notRunnableReason` found nothing; the guards only unwrap.
        guard let account = connection.account else { return .notOffered(.notConnected) }
        guard let saved = config.saved else { return .notOffered(.notConfigured) }
        let answers = saved.draft.questionMappings.compactMap { mapping -> QuestionAnswer? in
            guard let value = contactFields[mapping.field.rawValue], !value.trimmingWhitespace().isEmpty else { return nil }
            return QuestionAnswer(question: mapping.question, answer: value)
        }
        let message = saved.draft.confirmationMessage.trimmingWhitespace().isEmpty ? Copy.defaultConfirmation : saved.draft.confirmationMessage
        let email = saved.draft.emailField.flatMap { contactFields[$0.rawValue] }.flatMap(EmailAddress.normalized)
        let name = saved.draft.nameField.flatMap { contactFields[$0.rawValue] }.map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        return .ready(BookingSetup(agent: config.agent, eventType: saved.eventType, token: account.token, confirmationMessage: message,
                                     answers: answers, knownEmail: email, knownName: name))
    }
}
