/// A verified, parsed Calendly webhook about one invitee.
public struct InviteeNotice: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable { case created = "invitee.created", canceled = "invitee.canceled" }

    public var kind: Kind
    public var delivery: DeliveryID
    public var invitee: CalendlyURI
    public var event: CalendlyURI
    public var eventType: CalendlyURI
    public var email: String
    public var start: Instant
    public var cancelURL: String
    public var rescheduleURL: String
    /// On `invitee.canceled`: the cancellation is one half of a reschedule.
    public var rescheduled: Bool
    public var sentAt: Instant
    /// On `invitee.canceled` of a reschedule: the invitee that replaces this one (may be absent).
    public var newInvitee: CalendlyURI?
    /// On `invitee.created` of a reschedule: the invitee this one replaces.
    public var oldInvitee: CalendlyURI?
    /// The UTM parameters the booking page carried (`tracking`), when any.
    public var tracking: BookingTracking?

    public init(kind: Kind, delivery: DeliveryID, invitee: CalendlyURI, event: CalendlyURI, eventType: CalendlyURI, email: String, start: Instant,
                cancelURL: String, rescheduleURL: String, rescheduled: Bool, sentAt: Instant,
                newInvitee: CalendlyURI? = nil, oldInvitee: CalendlyURI? = nil, tracking: BookingTracking? = nil) {
        self.kind = kind; self.delivery = delivery; self.invitee = invitee; self.event = event; self.eventType = eventType
        self.email = email; self.start = start; self.cancelURL = cancelURL; self.rescheduleURL = rescheduleURL
        self.rescheduled = rescheduled; self.sentAt = sentAt
        self.newInvitee = newInvitee; self.oldInvitee = oldInvitee; self.tracking = tracking
    }

    /// Every invitee URI this notice speaks about: its own, then the other half of a reschedule.
    public var relatedInvitees: [CalendlyURI] {
        [invitee] + [oldInvitee, newInvitee].compactMap { $0 }
    }

    public var asInvitee: Invitee {
        Invitee(uri: invitee, eventURI: event, email: email, start: start, cancelURL: cancelURL, rescheduleURL: rescheduleURL)
    }
}

/// A message from one aggregate to another, delivered by the runtime in the same step's transaction.
public enum AggregateMessage: Codable, Sendable, Hashable {
    /// To the booking reference the notice matches (by invitee URI, else by event type + start + email).
    case inviteeNotice(InviteeNotice)
    /// Calendly's current state of an invitee, read during reconciliation: applied like a webhook
    /// notice, except that a booking that is not ours is no event at all (no `unknown_event`).
    case reconciledNotice(InviteeNotice)
    /// To the conversation waiting on this booking key.
    case bookingSeen(ConversationID, BookingKey, Invitee)
    /// To the agent's action config: its connection is gone, so the cached event types go too (S01 AC-3/4).
    case connectionLost(AgentID)
    /// To the agent's action config: Calendly refused a booking for its answers, so the saved action needs review.
    case actionNeedsReview(AgentID, reason: String, at: Instant)
    /// To the agent's connection: Calendly answered one of its calls with 401 (the access token was refused),
    /// so the connection refreshes now — and a refused refresh disconnects it (issue 11 defect 2).
    case grantRejected(AgentID, at: Instant)
}
