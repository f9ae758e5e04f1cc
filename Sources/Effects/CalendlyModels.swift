/// The Calendly resources the product reads, reduced to the fields it needs (calendly-api.md).
/// Decoding is tolerant: unknown fields are ignored, optional fields may be absent.

public enum EventTypeKind: String, Codable, Sendable, Hashable { case solo, group }
public enum PoolingType: String, Codable, Sendable, Hashable { case roundRobin = "round_robin", collective, multiPool = "multi_pool" }
public enum BookingMethod: String, Codable, Sendable, Hashable { case instant, poll }

public struct CustomQuestion: Codable, Sendable, Hashable {
    public var name: String
    public var type: String
    public var position: Int
    public var enabled: Bool
    public var required: Bool

    public init(name: String, type: String = "string", position: Int, enabled: Bool = true, required: Bool = false) {
        self.name = name; self.type = type; self.position = position; self.enabled = enabled; self.required = required
    }
}

public struct EventType: Codable, Sendable, Hashable {
    public var uri: CalendlyURI
    public var name: String
    public var active: Bool
    public var durationMinutes: Int
    public var kind: EventTypeKind
    public var poolingType: PoolingType?
    public var secret: Bool
    public var bookingMethod: BookingMethod
    public var isPaid: Bool
    public var schedulingURL: String
    public var customQuestions: [CustomQuestion]

    public init(
        uri: CalendlyURI, name: String, active: Bool = true, durationMinutes: Int = 30, kind: EventTypeKind = .solo,
        poolingType: PoolingType? = nil, secret: Bool = false, bookingMethod: BookingMethod = .instant,
        isPaid: Bool = false, schedulingURL: String, customQuestions: [CustomQuestion] = []
    ) {
        self.uri = uri; self.name = name; self.active = active; self.durationMinutes = durationMinutes; self.kind = kind
        self.poolingType = poolingType; self.secret = secret; self.bookingMethod = bookingMethod; self.isPaid = isPaid
        self.schedulingURL = schedulingURL; self.customQuestions = customQuestions
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

    public init(token: TokenReference, owner: CalendlyURI, organization: CalendlyURI, scopes: [String], expiresAt: Instant) {
        self.token = token; self.owner = owner; self.organization = organization; self.scopes = scopes; self.expiresAt = expiresAt
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

    public init(eventType: CalendlyURI, start: Instant, email: String, name: String?, timeZone: String, answers: [QuestionAnswer] = []) {
        self.eventType = eventType; self.start = start; self.email = email; self.name = name; self.timeZone = timeZone; self.answers = answers
    }
}

public struct QuestionAnswer: Codable, Sendable, Hashable {
    public var question: String
    public var answer: String
    public init(question: String, answer: String) { self.question = question; self.answer = answer }
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
