import Effects

/// A conversation or contact field the admin binds an invitee value to (e.g. `contact.email`).
public struct FieldRef: StringIdentifier { public let rawValue: String; public init(rawValue: String) { self.rawValue = rawValue } }

public struct QuestionMapping: Codable, Sendable, Hashable {
    public var question: String
    public var field: FieldRef
    public init(question: String, field: FieldRef) { self.question = question; self.field = field }
}

/// What the admin edits in the details form (S02). Nothing of it is persisted until it validates.
public struct ActionDraft: Codable, Sendable, Hashable {
    public var eventType: CalendlyURI?
    public var nameField: FieldRef?
    public var emailField: FieldRef?
    public var questionMappings: [QuestionMapping]
    public var trigger: String
    public var confirmationMessage: String
    public var enabled: Bool

    public init(eventType: CalendlyURI? = nil, nameField: FieldRef? = nil, emailField: FieldRef? = nil, questionMappings: [QuestionMapping] = [],
                trigger: String = "", confirmationMessage: String = "", enabled: Bool = true) {
        self.eventType = eventType; self.nameField = nameField; self.emailField = emailField; self.questionMappings = questionMappings
        self.trigger = trigger; self.confirmationMessage = confirmationMessage; self.enabled = enabled
    }
}

/// A validated, runnable booking action.
public struct SavedAction: Codable, Sendable, Hashable {
    public var draft: ActionDraft
    /// The event type as Calendly described it when saved (name, duration, scheduling link), updated
    /// when the list is read again (the 15-minute cache), so questions added in Calendly are asked.
    public var eventType: EventType
    public var savedAt: Instant
    /// Set when Calendly refused a booking for its answers, or a mapped question went away: the admin
    /// should look at the action. Cleared by saving it again.
    public var needsReview: ReviewNote?
    /// When `eventType` was last read from Calendly (nil on actions saved before it was kept: `savedAt`).
    public var eventTypeReadAt: Instant?

    public init(draft: ActionDraft, eventType: EventType, savedAt: Instant, needsReview: ReviewNote? = nil) {
        self.draft = draft; self.eventType = eventType; self.savedAt = savedAt; self.needsReview = needsReview
        eventTypeReadAt = savedAt
    }

    /// The saved event type is older than the cache lifetime: read it again before a booking relies on it.
    public func isStale(at now: Instant) -> Bool { now - (eventTypeReadAt ?? savedAt) >= ActionConfig.cacheLifetime }

    /// The required questions the chat will ask: those without a mapping always, mapped ones when the
    /// customer's contact has no value for the field.
    public var askedInChat: [AskedQuestion] {
        let mapped = Set(draft.questionMappings.map(\.question))
        return eventType.shownQuestions.filter(\.required).map {
            AskedQuestion(question: $0.name, type: $0.type, when: mapped.contains($0.name) ? .whenFieldEmpty : .always)
        }
    }
}

/// A required question of the saved action's event type, as the save answer and the agent view list it.
public struct AskedQuestion: Codable, Sendable, Hashable {
    public enum When: String, Codable, Sendable, Hashable {
        case always
        /// Mapped to a contact field: asked only when the contact has no value for it.
        case whenFieldEmpty = "when_field_empty"
    }
    public var question: String
    public var type: String
    public var when: When
}

/// Why a saved action needs the admin's review, and since when.
public struct ReviewNote: Codable, Sendable, Hashable {
    public var reason: String
    public var at: Instant
    public init(reason: String, at: Instant) { self.reason = reason; self.at = at }
}

/// The per-agent booking action configuration (S02): cached event types, validation, saving.
public struct ActionConfig: Codable, Sendable, Hashable {
    public static let cacheLifetime = Span.minutes(15)
    public static let confirmationLimit = 1000

    public enum ListStatus: Codable, Sendable, Hashable {
        case notLoaded
        case loading(RequestID)
        case loaded
        /// The account has no eligible types (PRD §10 Behavior 2).
        case empty
        /// The fetch failed; the cached list (≤15 min) is shown with "Couldn't refresh" + Retry.
        case refreshFailed
        /// The fetch failed with no usable cache: error empty state + Retry.
        case failedWithoutCache
        /// The plan or scopes do not allow it (S01 ERR-2): eligibility empty state.
        case planInsufficient
    }

    public struct Cache: Codable, Sendable, Hashable {
        public var catalog: EventTypeCatalog
        public var fetchedAt: Instant
    }

    public struct PendingSave: Codable, Sendable, Hashable {
        public var draft: ActionDraft
        public var request: RequestID
    }

    /// The connected account as far as this aggregate needs it; handed in by the host.
    public struct Account: Codable, Sendable, Hashable {
        public var token: TokenReference
        public var user: CalendlyURI
        public var planInsufficient: Bool
        public init(token: TokenReference, user: CalendlyURI, planInsufficient: Bool = false) {
            self.token = token; self.user = user; self.planInsufficient = planInsufficient
        }
    }

    public enum Input: Codable, Sendable, Hashable {
        case opened(Account?, at: Instant)
        case refreshRequested(Account?, at: Instant)
        case saveRequested(ActionDraft, Account?, at: Instant)
        case calendlyReplied(RequestID, CalendlyReply, at: Instant)
        case policyChanged(EligibilityPolicy)
        /// The connection went away: drop the cache (no calendar contents beyond identity, S01 AC-3).
        case connectionLost
        /// A conversation's booking was refused by Calendly for its answers (`QuestionRefusal`).
        case bookingRefused(reason: String, at: Instant)
        /// A booking is about to be offered: re-read the saved event type when it is older than the cache
        /// lifetime, so questions added in Calendly since are asked (issue 12).
        case runtimeCheck(Account?, at: Instant)
    }

    public var agent: AgentID
    public var policy: EligibilityPolicy
    public var status: ListStatus
    public var cache: Cache?
    public var saved: SavedAction?
    public var pendingSave: PendingSave?
    public var requestsIssued: Int
    /// The re-read of the saved event type in flight (`runtimeCheck`), if any.
    public var rereading: RequestID?

    public init(agent: AgentID, policy: EligibilityPolicy = EligibilityPolicy()) {
        self.agent = agent; self.policy = policy; self.status = .notLoaded; self.requestsIssued = 0
    }

    /// The status line under the dropdown.
    public var statusLine: String? {
        switch status {
        case .notLoaded, .loading, .loaded: return nil
        case .empty: return Copy.noEligibleEventTypes
        case .refreshFailed: return Copy.couldNotRefresh
        case .failedWithoutCache: return Copy.eventTypesUnavailable
        case .planInsufficient: return Copy.planInsufficient
        }
    }

    /// The dropdown's page for `query` (≤25 items), from the cache.
    public func page(matching query: String = "") -> EventTypeCatalog.Page {
        cache?.catalog.page(matching: query) ?? EventTypeCatalog.Page(items: [], totalMatches: 0)
    }

    mutating func nextRequest() -> RequestID {
        requestsIssued += 1
        return RequestID("\(agent)/config/\(requestsIssued)")
    }

    public static func reduce(_ state: inout ActionConfig, _ input: Input) -> [Effect] {
        switch input {
        case .opened(let account, let now):
            guard let account else { return [.reject(notConnected)] }
            if account.planInsufficient { state.status = .planInsufficient; return [] }
            if let cache = state.cache, now - cache.fetchedAt < cacheLifetime {
                state.status = cache.catalog.eventTypes.isEmpty ? .empty : .loaded
                return []
            }
            return state.fetch(account)

        case .refreshRequested(let account, _):
            guard let account else { return [.reject(notConnected)] }
            if account.planInsufficient { state.status = .planInsufficient; return [] }
            return state.fetch(account)

        case .saveRequested(let draft, let account, _):
            guard let account else { return [.reject(notConnected)] }
            if let rejection = state.validate(draft) { return [.reject(rejection)] }
            guard let uri = draft.eventType else { return [.reject(Rejection(code: "validation", field: "eventType", message: Copy.missingEventType))] }
            // Re-read the event type: it may have been deleted or changed since the list was fetched
            // (S02 concurrency). Nothing is persisted until Calendly confirms it.
            let request = state.nextRequest()
            state.pendingSave = PendingSave(draft: draft, request: request)
            return [.calendly(request, .getEventType(account.token, uri))]

        case .calendlyReplied(let request, let reply, let now):
            // A 401 also tells the agent's connection, which refreshes or disconnects (issue 11 defect 2).
            let refused: [Effect] = reply == .failed(.unauthorized) ? [.notify(.grantRejected(state.agent, at: now))] : []
            if case .loading(let expected) = state.status, expected == request {
                return state.listReplied(reply, now) + refused
            }
            if let pending = state.pendingSave, pending.request == request {
                state.pendingSave = nil
                return state.saveReplied(pending.draft, reply, now) + refused
            }
            if state.rereading == request {
                state.rereading = nil
                return state.rereadReplied(reply, now) + refused
            }
            return []

        case .policyChanged(let policy):
            state.policy = policy
            if let cache = state.cache {
                state.cache = Cache(catalog: EventTypeCatalog(from: cache.catalog.eventTypes, policy: policy), fetchedAt: cache.fetchedAt)
            }
            return []

        case .connectionLost:
            state.cache = nil
            state.status = .notLoaded
            state.pendingSave = nil
            state.rereading = nil
            return []

        case .runtimeCheck(let account, let now):
            guard let account, !account.planInsufficient, let saved = state.saved, saved.isStale(at: now) else { return [] }
            // A newer check supersedes one whose reply never came (e.g. across a restart).
            let request = state.nextRequest()
            state.rereading = request
            return [.calendly(request, .getEventType(account.token, saved.eventType.uri))]

        case .bookingRefused(let reason, let now):
            guard state.saved != nil else { return [] }
            // The first refusal is the news; later ones of the same kind change nothing.
            if state.saved?.needsReview == nil { state.saved?.needsReview = ReviewNote(reason: reason, at: now) }
            return [.log(LogEntry(.warning, "calendly action of \(state.agent) needs review: \(reason)"))]
        }
    }

    static let notConnected = Rejection(code: "not_connected", message: Copy.connectPrompt)

    mutating func fetch(_ account: Account) -> [Effect] {
        let request = nextRequest()
        status = .loading(request)
        return [.calendly(request, .listEventTypes(account.token, user: account.user))]
    }

    mutating func listReplied(_ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        switch reply {
        case .eventTypes(let fetched):
            let catalog = EventTypeCatalog(from: fetched, policy: policy)
            cache = Cache(catalog: catalog, fetchedAt: now)
            status = catalog.eventTypes.isEmpty ? .empty : .loaded
            return refreshSaved(from: fetched, now)
        case .failed(.forbidden):
            status = .planInsufficient
            return [.emit(.eventTypesFetchFailed(agent: agent, reason: "forbidden", cacheUsed: false, at: now))]
        case .failed(let failure):
            return fetchFailed(failure.reason, now)
        case .outcomeUnknown:
            return fetchFailed("timeout", now)
        case .tokenGranted, .user, .revoked, .eventType, .availableTimes, .inviteeCreated, .inviteeFound, .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            return fetchFailed("unexpected_reply", now)
        }
    }

    mutating func fetchFailed(_ reason: String, _ now: Instant) -> [Effect] {
        // S02 ERR-1: serve the last list if it is at most 15 minutes old.
        let cacheUsed: Bool
        if let cache, now - cache.fetchedAt <= ActionConfig.cacheLifetime {
            status = .refreshFailed
            cacheUsed = true
        } else {
            cache = nil
            status = .failedWithoutCache
            cacheUsed = false
        }
        return [.emit(.eventTypesFetchFailed(agent: agent, reason: reason, cacheUsed: cacheUsed, at: now))]
    }

    /// Local checks, in the order the form shows them (S02 ERR-2).
    func validate(_ draft: ActionDraft) -> Rejection? {
        guard let eventType = draft.eventType, !eventType.rawValue.isEmpty else {
            return Rejection(code: "validation", field: "eventType", message: Copy.missingEventType)
        }
        guard let email = draft.emailField, !email.rawValue.trimmingWhitespace().isEmpty else {
            return Rejection(code: "validation", field: "emailField", message: Copy.missingEmailMapping)
        }
        if draft.confirmationMessage.count > ActionConfig.confirmationLimit {
            return Rejection(code: "validation", field: "confirmationMessage", message: Copy.confirmationTooLong)
        }
        return nil
    }

    mutating func saveReplied(_ draft: ActionDraft, _ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        switch reply {
        case .eventType(let eventType):
            if policy.ineligibility(eventType) != nil {
                return [.reject(Rejection(code: "validation", field: "eventType", message: Copy.eventTypeIneligible))]
            }
            if let stray = ActionConfig.strayMapping(draft, eventType) {
                return [.reject(Rejection(code: "validation", field: "questionMappings", message: Copy.notAQuestion(stray.question)))]
            }
            saved = SavedAction(draft: draft, eventType: eventType, savedAt: now)
            return [.log(LogEntry(.info, "calendly action saved for \(agent)"))]
        case .failed(.notFound):
            return [.reject(Rejection(code: "validation", field: "eventType", message: Copy.eventTypeGone))]
        case .failed, .outcomeUnknown, .tokenGranted, .user, .revoked, .eventTypes, .availableTimes, .inviteeCreated, .inviteeFound, .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            return [.reject(Rejection(code: "calendly_unavailable", message: "Couldn't check the event type with Calendly. Try saving again."))]
        }
    }

    /// A mapping to a question the event type does not show (never sent: Calendly would refuse it).
    static func strayMapping(_ draft: ActionDraft, _ eventType: EventType) -> QuestionMapping? {
        let known = Set(eventType.shownQuestions.map(\.name))
        return draft.questionMappings.first { !known.contains($0.question) }
    }

    /// The list was read again: the saved action follows Calendly's current event type (its questions and
    /// locations). A mapped question that went away marks the action for review.
    mutating func refreshSaved(from fetched: [EventType], _ now: Instant) -> [Effect] {
        guard var action = saved, let current = fetched.first(where: { $0.uri == action.eventType.uri }) else { return [] }
        saved?.eventTypeReadAt = now
        action.eventTypeReadAt = now
        guard current != action.eventType else { return [] }
        action.eventType = current
        var effects: [Effect] = [.log(LogEntry(.info, "calendly action of \(agent) follows its event type's changes"))]
        if action.needsReview == nil, ActionConfig.strayMapping(action.draft, current) != nil {
            action.needsReview = ReviewNote(reason: "mapped_question_removed", at: now)
            effects.append(.emit(.actionNeedsReview(agent: agent, reason: "mapped_question_removed", at: now)))
        }
        saved = action
        return effects
    }

    /// The runtime re-read came back. A failure keeps the saved type and waits out another cache lifetime
    /// (no customer waits on Calendly twice for it); a deleted type needs the admin.
    mutating func rereadReplied(_ reply: CalendlyReply, _ now: Instant) -> [Effect] {
        switch reply {
        case .eventType(let current):
            return refreshSaved(from: [current], now)
        case .failed(.notFound):
            saved?.eventTypeReadAt = now
            guard saved?.needsReview == nil else { return [] }
            saved?.needsReview = ReviewNote(reason: "event_type_gone", at: now)
            return [.emit(.actionNeedsReview(agent: agent, reason: "event_type_gone", at: now))]
        case .failed, .outcomeUnknown, .tokenGranted, .user, .revoked, .eventTypes, .availableTimes, .inviteeCreated, .inviteeFound, .webhookSubscription, .webhookSubscriptions, .webhookSubscriptionDeleted, .scheduledInvitees:
            saved?.eventTypeReadAt = now
            return [.log(LogEntry(.info, "event type re-read failed for \(agent); the saved one stays"))]
        }
    }

    public func checkInvariants() -> [Violation] {
        var violations: [Violation] = []
        if let saved {
            if saved.draft.eventType != saved.eventType.uri { violations.append(Violation("config \(agent): saved event type mismatch")) }
            if saved.draft.emailField == nil { violations.append(Violation("config \(agent): saved without email mapping")) }
            if !policy.isEligible(saved.eventType) && saved.eventType.isPaid { violations.append(Violation("config \(agent): paid event type saved")) }
        }
        if let cache, cache.catalog.eventTypes.contains(where: { !policy.isEligible($0) }) {
            violations.append(Violation("config \(agent): ineligible event type in catalog"))
        }
        return violations
    }
}
