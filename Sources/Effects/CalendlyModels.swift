/// The Calendly resources the product reads, reduced to the fields it needs (calendly-api.md).
/// Decoding is tolerant: unknown fields are ignored, optional fields may be absent.

public enum EventTypeKind: String, Codable, Sendable, Hashable { case solo, group }
public enum PoolingType: String, Codable, Sendable, Hashable { case roundRobin = "round_robin", collective, multiPool = "multi_pool" }
public enum BookingMethod: String, Codable, Sendable, Hashable { case instant, poll }

/// What a custom question asks for, from Calendly's `custom_questions[].type`. A type Calendly adds
/// later is `.other`: it is answered like one line of text, which Calendly may still refuse (then the
/// action is marked for review rather than failing silently).
public enum QuestionKind: String, Codable, Sendable, Hashable, CaseIterable {
    case string, text
    case phoneNumber = "phone_number"
    case singleSelect = "single_select"
    case multiSelect = "multi_select"
    case other
}

public struct CustomQuestion: Codable, Sendable, Hashable {
    public var name: String
    /// Calendly's type string as received (`string`, `text`, `phone_number`, `single_select`, `multi_select`).
    public var type: String
    public var position: Int
    public var enabled: Bool
    public var required: Bool
    /// The choices of a select question, in Calendly's order.
    public var answerChoices: [String]
    /// A select question that also takes the invitee's own words besides the choices.
    public var includeOther: Bool

    public init(name: String, type: String = "string", position: Int, enabled: Bool = true, required: Bool = false,
                answerChoices: [String] = [], includeOther: Bool = false) {
        self.name = name; self.type = type; self.position = position; self.enabled = enabled; self.required = required
        self.answerChoices = answerChoices; self.includeOther = includeOther
    }

    public var kind: QuestionKind { QuestionKind(rawValue: type) ?? .other }

    enum CodingKeys: String, CodingKey { case name, type, position, enabled, required, answerChoices, includeOther }

    /// Questions stored before choices were kept decode with none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        type = try c.decode(String.self, forKey: .type)
        position = try c.decode(Int.self, forKey: .position)
        enabled = try c.decode(Bool.self, forKey: .enabled)
        required = try c.decode(Bool.self, forKey: .required)
        answerChoices = try c.decodeIfPresent([String].self, forKey: .answerChoices) ?? []
        includeOther = try c.decodeIfPresent(Bool.self, forKey: .includeOther) ?? false
    }
}

/// Calendly's `locations[].kind` values the product treats apart; a kind Calendly adds later is `.other`
/// (shown with the host's text, never asked about).
public enum LocationKind: String, Sendable, Hashable, CaseIterable {
    case zoom = "zoom_conference"
    case googleMeet = "google_conference"
    case teams = "microsoft_teams_conference"
    case webex = "webex_conference"
    case goToMeeting = "gotomeeting_conference"
    /// The host calls the invitee: the invitee's phone number is needed.
    case outboundCall = "outbound_call"
    /// The invitee calls the host's number (`location`).
    case inboundCall = "inbound_call"
    /// "Invitee specifies location": the invitee writes where.
    case askInvitee = "ask_invitee"
    case physical
    case other
}

/// One of the event type's locations (`locations[]`). `location` is the host-set address or number, when any.
public struct EventLocation: Codable, Sendable, Hashable {
    public var kind: String
    public var location: String?
    public init(kind: String, location: String? = nil) { self.kind = kind; self.location = location }

    /// `kind` as the product knows it (the wire string is kept as sent, so a booking names it exactly).
    public var known: LocationKind { LocationKind(rawValue: kind) ?? .other }

    /// Locations whose `POST /invitees` `location` must carry the invitee's own input.
    public var needsInviteeInput: Bool {
        switch known {
        case .outboundCall, .askInvitee: return true
        case .zoom, .googleMeet, .teams, .webex, .goToMeeting, .inboundCall, .physical, .other: return false
        }
    }
}

/// What Calendly said about the fields eligibility rests on, exactly as it said it (issue 11 defect 6):
/// a field it left out is nil, a field whose value had an unexpected type is nil and listed in
/// `unreadable`, an unknown string is kept as sent. Nothing is decided here: the defaults (a missing
/// `kind` is solo, an unreadable one a group…) are Core's, in one place (`EventType`'s eligibility
/// fields in EventTypeCatalog.swift), next to the policy that uses them.
public struct EligibilityFacts: Codable, Sendable, Hashable {
    public enum Field: String, Codable, Sendable, Hashable, CaseIterable {
        case active, kind, poolingType, secret, bookingMethod, isPaid
    }

    public var active: Bool?
    public var kind: String?
    public var poolingType: String?
    public var secret: Bool?
    public var bookingMethod: String?
    public var isPaid: Bool?
    /// Present with a value of an unexpected type, in `Field` order.
    public var unreadable: [Field]

    public init(active: Bool? = nil, kind: String? = nil, poolingType: String? = nil, secret: Bool? = nil, bookingMethod: String? = nil,
                isPaid: Bool? = nil, unreadable: [Field] = []) {
        self.active = active; self.kind = kind; self.poolingType = poolingType; self.secret = secret
        self.bookingMethod = bookingMethod; self.isPaid = isPaid
        self.unreadable = Field.allCases.filter(unreadable.contains)
    }

    public func isUnreadable(_ field: Field) -> Bool { unreadable.contains(field) }
}

public struct EventType: Codable, Sendable, Hashable {
    public var uri: CalendlyURI
    public var name: String
    public var durationMinutes: Int
    /// Whether it is active, its kind, pooling, booking method, payment and secrecy, as reported.
    public var facts: EligibilityFacts
    public var schedulingURL: String
    public var customQuestions: [CustomQuestion]
    /// Where the meeting happens; empty when Calendly listed none (or it was stored before locations were kept).
    public var locations: [EventLocation]

    /// An event type whose eligibility fields are all known (fixtures, the simulator, the emulator's seed).
    public init(
        uri: CalendlyURI, name: String, active: Bool = true, durationMinutes: Int = 30, kind: EventTypeKind = .solo,
        poolingType: PoolingType? = nil, secret: Bool = false, bookingMethod: BookingMethod = .instant,
        isPaid: Bool = false, schedulingURL: String, customQuestions: [CustomQuestion] = [], locations: [EventLocation] = []
    ) {
        let facts = EligibilityFacts(active: active, kind: kind.rawValue, poolingType: poolingType?.rawValue, secret: secret,
                                     bookingMethod: bookingMethod.rawValue, isPaid: isPaid)
        self.init(uri: uri, name: name, durationMinutes: durationMinutes, facts: facts, schedulingURL: schedulingURL,
                  customQuestions: customQuestions, locations: locations)
    }

    /// An event type as Calendly described it (the wire decoder): eligibility facts undecided.
    public init(uri: CalendlyURI, name: String, durationMinutes: Int, facts: EligibilityFacts, schedulingURL: String,
                customQuestions: [CustomQuestion], locations: [EventLocation]) {
        self.uri = uri; self.name = name; self.durationMinutes = durationMinutes; self.facts = facts
        self.schedulingURL = schedulingURL; self.customQuestions = customQuestions; self.locations = locations
    }

    /// The stored form keeps the facts flat under their old keys (a value stored before facts existed is a
    /// fully known fact), plus `unreadable` when some were.
    enum CodingKeys: String, CodingKey {
        case uri, name, active, durationMinutes, kind, poolingType, secret, bookingMethod, isPaid, unreadable, schedulingURL, customQuestions, locations
    }

    /// Event types stored before locations were kept decode with none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        uri = try c.decode(CalendlyURI.self, forKey: .uri)
        name = try c.decode(String.self, forKey: .name)
        durationMinutes = try c.decode(Int.self, forKey: .durationMinutes)
        facts = EligibilityFacts(active: try c.decodeIfPresent(Bool.self, forKey: .active), kind: try c.decodeIfPresent(String.self, forKey: .kind),
                                 poolingType: try c.decodeIfPresent(String.self, forKey: .poolingType),
                                 secret: try c.decodeIfPresent(Bool.self, forKey: .secret),
                                 bookingMethod: try c.decodeIfPresent(String.self, forKey: .bookingMethod),
                                 isPaid: try c.decodeIfPresent(Bool.self, forKey: .isPaid),
                                 unreadable: try c.decodeIfPresent([EligibilityFacts.Field].self, forKey: .unreadable) ?? [])
        schedulingURL = try c.decode(String.self, forKey: .schedulingURL)
        customQuestions = try c.decode([CustomQuestion].self, forKey: .customQuestions)
        locations = try c.decodeIfPresent([EventLocation].self, forKey: .locations) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(uri, forKey: .uri)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(facts.active, forKey: .active)
        try c.encode(durationMinutes, forKey: .durationMinutes)
        try c.encodeIfPresent(facts.kind, forKey: .kind)
        try c.encodeIfPresent(facts.poolingType, forKey: .poolingType)
        try c.encodeIfPresent(facts.secret, forKey: .secret)
        try c.encodeIfPresent(facts.bookingMethod, forKey: .bookingMethod)
        try c.encodeIfPresent(facts.isPaid, forKey: .isPaid)
        if !facts.unreadable.isEmpty { try c.encode(facts.unreadable, forKey: .unreadable) }
        try c.encode(schedulingURL, forKey: .schedulingURL)
        try c.encode(customQuestions, forKey: .customQuestions)
        try c.encode(locations, forKey: .locations)
    }

    /// The questions Calendly shows the invitee, in its order (`position`, then as listed).
    public var shownQuestions: [CustomQuestion] {
        customQuestions.enumerated().filter { $0.element.enabled }
            .sorted { ($0.element.position, $0.offset) < ($1.element.position, $1.offset) }.map(\.element)
    }
}

/// One bookable start time as Calendly returned it (always UTC on the wire).
public struct Slot: Codable, Sendable, Hashable, Comparable {
    public var start: Instant
    public init(start: Instant) { self.start = start }
    public static func < (lhs: Slot, rhs: Slot) -> Bool { lhs.start < rhs.start }
}

/// The invitee Calendly created (the booking), as returned by `POST /invitees` or found by lookup.
public struct Invitee: Codable, Sendable, Hashable {
    public var uri: CalendlyURI
    public var eventURI: CalendlyURI
    public var email: String
    public var start: Instant
    public var cancelURL: String
    public var rescheduleURL: String
    /// Set only by a lookup that found the booking already canceled (the customer can cancel from
    /// Calendly's email before our reply lands); optional so invitees stored before it still decode.
    public var canceledAt: Instant?

    public init(uri: CalendlyURI, eventURI: CalendlyURI, email: String, start: Instant, cancelURL: String, rescheduleURL: String,
                canceledAt: Instant? = nil) {
        self.uri = uri; self.eventURI = eventURI; self.email = email; self.start = start
        self.cancelURL = cancelURL; self.rescheduleURL = rescheduleURL; self.canceledAt = canceledAt
    }
}

/// `GET /users/me`, reduced to connection identity.
public struct CalendlyUser: Codable, Sendable, Hashable {
    public var uri: CalendlyURI
    public var email: String
    public var organization: CalendlyURI
    public var schedulingURL: String

    public init(uri: CalendlyURI, email: String, organization: CalendlyURI, schedulingURL: String) {
        self.uri = uri; self.email = email; self.organization = organization; self.schedulingURL = schedulingURL
    }
}

/// What the core learns from a token exchange or refresh. The tokens themselves stay in the vault
/// (interpreter side); the core only holds a reference to them.
public struct TokenGrant: Codable, Sendable, Hashable {
    public var token: TokenReference
    public var owner: CalendlyURI
    public var organization: CalendlyURI
    public var scopes: [String]
    public var expiresAt: Instant
    /// Whether the vault holds a refresh token for it (`TokenRotation`): what a grant without one means
    /// is `Connection`'s to decide.
    public var refreshable: Bool

    public init(token: TokenReference, owner: CalendlyURI, organization: CalendlyURI, scopes: [String], expiresAt: Instant,
                refreshable: Bool = true) {
        self.token = token; self.owner = owner; self.organization = organization; self.scopes = scopes; self.expiresAt = expiresAt
        self.refreshable = refreshable
    }

    enum CodingKeys: String, CodingKey { case token, owner, organization, scopes, expiresAt, refreshable }

    /// A grant stored before `refreshable` was kept had a refresh token (every grant Calendly gave did).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(token: try c.decode(TokenReference.self, forKey: .token), owner: try c.decode(CalendlyURI.self, forKey: .owner),
                  organization: try c.decode(CalendlyURI.self, forKey: .organization), scopes: try c.decode([String].self, forKey: .scopes),
                  expiresAt: try c.decode(Instant.self, forKey: .expiresAt), refreshable: try c.decodeIfPresent(Bool.self, forKey: .refreshable) ?? true)
    }

    /// `refreshable` is written only when false, so a stored grant reads as it did before it was kept.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(token, forKey: .token)
        try c.encode(owner, forKey: .owner)
        try c.encode(organization, forKey: .organization)
        try c.encode(scopes, forKey: .scopes)
        try c.encode(expiresAt, forKey: .expiresAt)
        if !refreshable { try c.encode(refreshable, forKey: .refreshable) }
    }
}

/// What a booking request sends to `POST /invitees`.
public struct InviteeRequest: Codable, Sendable, Hashable {
    public var eventType: CalendlyURI
    public var start: Instant
    public var email: String
    public var name: String?
    public var timeZone: String
    public var answers: [QuestionAnswer]
    /// `location` of the body: the chosen location, with the invitee's number or address when it needs one.
    public var location: InviteeLocation?

    public init(eventType: CalendlyURI, start: Instant, email: String, name: String?, timeZone: String, answers: [QuestionAnswer] = [],
                location: InviteeLocation? = nil) {
        self.eventType = eventType; self.start = start; self.email = email; self.name = name; self.timeZone = timeZone; self.answers = answers
        self.location = location
    }
}

/// One entry of `questions_and_answers`. `position` is the question's own position on the event type
/// (nil on answers stored before it was kept: the body then numbers them in order).
public struct QuestionAnswer: Codable, Sendable, Hashable {
    public var question: String
    public var answer: String
    public var position: Int?
    public init(question: String, answer: String, position: Int? = nil) { self.question = question; self.answer = answer; self.position = position }
}

/// `POST /invitees` `location`: `kind` as the event type lists it; `location` the invitee's phone number
/// (`outbound_call`) or address (`ask_invitee`), else the host-set value, else absent.
public struct InviteeLocation: Codable, Sendable, Hashable {
    public var kind: String
    public var location: String?
    public init(kind: String, location: String? = nil) { self.kind = kind; self.location = location }
}

/// A Calendly webhook subscription (`/webhook_subscriptions`), reduced to what subscription care needs.
public struct WebhookSubscription: Codable, Sendable, Hashable {
    public var uri: CalendlyURI
    public var callbackURL: String
    /// Calendly disables a subscription after 24 h of failed deliveries; it then delivers nothing.
    public var active: Bool
    public var events: [String]
    public var scope: String

    public init(uri: CalendlyURI, callbackURL: String, active: Bool, events: [String], scope: String) {
        self.uri = uri; self.callbackURL = callbackURL; self.active = active; self.events = events; self.scope = scope
    }
}
