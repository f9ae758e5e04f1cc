/// The `calendly_*` events of PRD §13, with their properties. `bookingCanceled` is not in the PRD's
/// table but S04 counts cancellations, so it is emitted like the others.
public enum TelemetryEvent: Codable, Sendable, Hashable {
    case connected(agent: AgentID, accountEmail: String, organization: CalendlyURI, at: Instant)
    case connectFailed(agent: AgentID, reason: String, at: Instant)
    case eventTypesFetchFailed(agent: AgentID, reason: String, cacheUsed: Bool, at: Instant)
    case bookingOffered(agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, channel: Channel, at: Instant)
    case bookingCreated(agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, scheduledTime: Instant, at: Instant)
    case slotConflict(agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, at: Instant)
    case bookingFailed(agent: AgentID, conversation: ConversationID, reason: String, at: Instant)
    case webhookRejected(reason: String, at: Instant)
    case bookingCanceled(agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, at: Instant)
    /// Subscription care found the webhook subscription `missing` or `disabled` and created it again:
    /// webhooks may have been lost meanwhile (issue 6 item 1).
    case webhookSubscriptionRecreated(agent: AgentID, reason: String, at: Instant)
    /// A booking made here was moved to another time in Calendly (one per reschedule pair, never a cancellation).
    case bookingRescheduled(agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, at: Instant)
    /// The customer booked through the attributed static link this conversation fell back to.
    case fallbackBooked(agent: AgentID, conversation: ConversationID, eventType: CalendlyURI, at: Instant)
    /// A Calendly user's booking calls passed 80 % of their daily cap (`BookingQuota`): tell the admin.
    case bookingQuotaHigh(owner: CalendlyURI, used: Int, cap: Int, at: Instant)
    /// Calendly refused a booking for its answers (a question added or changed after the save): the
    /// saved action needs the admin's review (issue 12).
    case actionNeedsReview(agent: AgentID, reason: String, at: Instant)

    public var name: String {
        switch self {
        case .connected: return "calendly_connected"
        case .connectFailed: return "calendly_connect_failed"
        case .eventTypesFetchFailed: return "calendly_eventtypes_fetch_failed"
        case .bookingOffered: return "calendly_booking_offered"
        case .bookingCreated: return "calendly_booking_created"
        case .slotConflict: return "calendly_slot_conflict"
        case .bookingFailed: return "calendly_booking_failed"
        case .webhookRejected: return "calendly_webhook_rejected"
        case .bookingCanceled: return "calendly_booking_canceled"
        case .webhookSubscriptionRecreated: return "calendly_webhook_subscription_recreated"
        case .bookingRescheduled: return "calendly_booking_rescheduled"
        case .fallbackBooked: return "calendly_fallback_booked"
        case .bookingQuotaHigh: return "calendly_booking_quota_high"
        case .actionNeedsReview: return "calendly_action_needs_review"
        }
    }

    public var agent: AgentID? {
        switch self {
        case .connected(let agent, _, _, _), .connectFailed(let agent, _, _), .eventTypesFetchFailed(let agent, _, _, _),
             .bookingOffered(let agent, _, _, _, _), .bookingCreated(let agent, _, _, _, _), .slotConflict(let agent, _, _, _),
             .bookingFailed(let agent, _, _, _), .bookingCanceled(let agent, _, _, _),
             .bookingRescheduled(let agent, _, _, _), .fallbackBooked(let agent, _, _, _), .webhookSubscriptionRecreated(let agent, _, _),
             .actionNeedsReview(let agent, _, _):
            return agent
        case .webhookRejected, .bookingQuotaHigh: return nil
        }
    }

    public var at: Instant {
        switch self {
        case .connected(_, _, _, let at), .connectFailed(_, _, let at), .eventTypesFetchFailed(_, _, _, let at),
             .bookingOffered(_, _, _, _, let at), .bookingCreated(_, _, _, _, let at), .slotConflict(_, _, _, let at),
             .bookingFailed(_, _, _, let at), .webhookRejected(_, let at), .bookingCanceled(_, _, _, let at),
             .bookingRescheduled(_, _, _, let at), .fallbackBooked(_, _, _, let at), .bookingQuotaHigh(_, _, _, let at), .webhookSubscriptionRecreated(_, _, let at),
             .actionNeedsReview(_, _, let at):
            return at
        }
    }
}
