/// A call to Calendly, described as data. The interpreter performs it and returns a `CalendlyReply`
/// with the same `RequestID` as an input to the aggregate that asked.
public enum CalendlyCall: Codable, Sendable, Hashable {
    /// `verifier` names the PKCE verifier (the OAuth state it is kept under); `agent` owns the granted
    /// tokens in the vault, so a disconnect finds every one of them.
    case exchangeCode(code: String, verifier: String, agent: AgentID)
    case currentUser(TokenReference)
    case refreshToken(TokenReference)
    case revokeToken(TokenReference)
    case listEventTypes(TokenReference, user: CalendlyURI)
    case getEventType(TokenReference, CalendlyURI)
    case availableTimes(TokenReference, eventType: CalendlyURI, from: Instant, to: Instant)
    case createInvitee(TokenReference, key: BookingKey, InviteeRequest)
    /// Reconciliation: the booking of `email` at `start` for this event type — the active one, else the one
    /// canceled last (with its `canceledAt`), so a booking the customer canceled before our lost reply could
    /// be told apart from one never made. Nil when there is neither.
    case findInvitee(TokenReference, eventType: CalendlyURI, email: String, start: Instant)
    /// `POST /webhook_subscriptions`, organization scope, for `events` delivered to `url`.
    /// `user` set: a user-scoped subscription (that user's own events) — what a user who is not an
    /// organization admin may create.
    case createWebhookSubscription(TokenReference, organization: CalendlyURI, url: String, events: [String], user: CalendlyURI? = nil)
    /// `GET /webhook_subscriptions?organization=…&scope=organization` (every page).
    case listWebhookSubscriptions(TokenReference, organization: CalendlyURI, user: CalendlyURI? = nil)
    /// `DELETE /webhook_subscriptions/{uuid}`.
    case deleteWebhookSubscription(TokenReference, CalendlyURI)
    /// Reconciliation after a webhook gap: `user`'s scheduled events starting in [from, to), active and
    /// canceled, with their invitees — answered as the notices Calendly's webhooks would have carried.
    /// `eventTypes` narrows the events whose invitees are read (nil: all of them).
    case listScheduledInvitees(TokenReference, user: CalendlyURI, from: Instant, to: Instant, eventTypes: [CalendlyURI]? = nil)

    /// The latency budget of PRD §6 for this call; the interpreter times out after it.
    public var budget: Span {
        switch self {
        case .listEventTypes, .getEventType: return .seconds(2)
        case .availableTimes: return .seconds(3)
        case .createInvitee: return .seconds(5)
        case .exchangeCode, .currentUser, .refreshToken, .revokeToken, .findInvitee: return .seconds(5)
        case .createWebhookSubscription, .listWebhookSubscriptions, .deleteWebhookSubscription: return .seconds(5)
        // Background work, several pages: no customer is waiting on it.
        case .listScheduledInvitees: return .seconds(30)
        }
    }

    /// True when a lost reply leaves the outcome unknown (the call may have changed Calendly).
    public var changesCalendly: Bool {
        switch self {
        case .createInvitee, .refreshToken, .exchangeCode, .revokeToken, .createWebhookSubscription, .deleteWebhookSubscription: return true
        case .currentUser, .listEventTypes, .getEventType, .availableTimes, .findInvitee, .listWebhookSubscriptions, .listScheduledInvitees: return false
        }
    }
}

/// What came back from a Calendly call.
public enum CalendlyReply: Codable, Sendable, Hashable {
    case tokenGranted(TokenGrant)
    case user(CalendlyUser)
    case revoked
    case eventTypes([EventType])
    case eventType(EventType)
    case availableTimes([Slot])
    case inviteeCreated(Invitee)
    case inviteeFound(Invitee?)
    case webhookSubscription(WebhookSubscription)
    case webhookSubscriptions([WebhookSubscription])
    case webhookSubscriptionDeleted
    /// What Calendly holds now for a reconciliation window, as the notices its webhooks carried: per
    /// invitee an `invitee.created`, and an `invitee.canceled` too when it was canceled.
    case scheduledInvitees([InviteeNotice])
    case failed(CalendlyFailure)
    /// The request may have reached Calendly but no reply came (timeout after send, connection reset,
    /// process crash). Distinct from failure: the exactly-once rules hinge on it.
    case outcomeUnknown
}

/// Calendly errors classified into what the core must decide on.
public enum CalendlyFailure: Error, Codable, Sendable, Hashable {
    /// 401: the access token is expired or revoked.
    case unauthorized
    /// 403 "Insufficient scope" or a plan that lacks the feature.
    case forbidden(requiredScopes: [String])
    case notFound
    /// The chosen start time is no longer bookable (400 with details / 409).
    case slotUnavailable
    /// 400 for any other reason (bad email, bad question answer, …).
    case rejected(message: String)
    case rateLimited(retryAfter: Span?)
    case serverError(status: Int)
    /// Timed out before the request was sent, or the connection could not be made.
    case unreachable
    case malformedResponse
    /// `invalid_grant`-class OAuth errors: the refresh token or code will never work again.
    case invalidGrant
    /// The user denied consent (OAuth `error=access_denied`).
    case accessDenied
    /// 409 that is not about a slot: e.g. a webhook subscription for that URL exists already.
    case alreadyExists

    /// A short machine reason for telemetry (`calendly_booking_failed.reason`).
    public var reason: String {
        switch self {
        case .unauthorized: return "unauthorized"
        case .forbidden: return "forbidden"
        case .notFound: return "not_found"
        case .slotUnavailable: return "slot_unavailable"
        case .rejected: return "rejected"
        case .rateLimited: return "rate_limited"
        case .serverError(let status): return "server_error_\(status)"
        case .unreachable: return "timeout"
        case .malformedResponse: return "malformed_response"
        case .invalidGrant: return "invalid_grant"
        case .accessDenied: return "access_denied"
        case .alreadyExists: return "already_exists"
        }
    }
}

extension CalendlyCall {
    /// The call's kind, for logs and metrics (never its arguments: they carry tokens and emails).
    public var name: String {
        switch self {
        case .exchangeCode: return "exchangeCode"
        case .currentUser: return "currentUser"
        case .refreshToken: return "refreshToken"
        case .revokeToken: return "revokeToken"
        case .listEventTypes: return "listEventTypes"
        case .getEventType: return "getEventType"
        case .availableTimes: return "availableTimes"
        case .createInvitee: return "createInvitee"
        case .findInvitee: return "findInvitee"
        case .createWebhookSubscription: return "createWebhookSubscription"
        case .listWebhookSubscriptions: return "listWebhookSubscriptions"
        case .deleteWebhookSubscription: return "deleteWebhookSubscription"
        case .listScheduledInvitees: return "listScheduledInvitees"
        }
    }
}
