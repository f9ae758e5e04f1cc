import Effects

/// The one way an `InviteeNotice` is built (issue 11 defect 5): from a Calendly webhook body
/// (`WebhookPayload`), from Calendly's listing during reconciliation (`LiveCalendly` via `CalendlyWire`),
/// and from the simulator's model of Calendly (`SimCalendly`). All three go through here, so a notice
/// about the same fact looks the same whoever read it, and delivery ids follow one scheme.
extension InviteeNotice {
    /// Who told us.
    public enum Source: Sendable, Hashable {
        /// A webhook delivery (deduplicated by `WebhookIntake` on its delivery id).
        case webhook
        /// Read back from Calendly's record by reconciliation (never deduplicated: every reducer it
        /// reaches is idempotent).
        case reconciliation
    }

    /// The delivery id scheme. Calendly's webhook bodies carry no delivery id, so one is derived from the
    /// fact itself: kind and invitee URI (a retried delivery of the same fact is the same id). A reconciled
    /// notice carries the same fact under its own prefix, so the journal tells them apart and a webhook
    /// arriving after reconciliation is still taken (and changes nothing, the reducers being idempotent).
    public static func deliveryID(_ kind: Kind, invitee: CalendlyURI, source: Source) -> DeliveryID {
        switch source {
        case .webhook: return DeliveryID("\(kind.rawValue)|\(invitee.rawValue)")
        case .reconciliation: return DeliveryID("reconcile:\(kind.rawValue):\(invitee.rawValue)")
        }
    }

    /// One notice about `invitee` (its URI, event, email, start and links), as Calendly's `kind` webhook
    /// would carry it. Tracking without any UTM value is no tracking.
    public init(_ kind: Kind, of invitee: Invitee, eventType: CalendlyURI, sentAt: Instant, source: Source, rescheduled: Bool = false,
                newInvitee: CalendlyURI? = nil, oldInvitee: CalendlyURI? = nil, tracking: BookingTracking? = nil) {
        self.init(kind: kind, delivery: InviteeNotice.deliveryID(kind, invitee: invitee.uri, source: source), invitee: invitee.uri,
                  event: invitee.eventURI, eventType: eventType, email: invitee.email, start: invitee.start, cancelURL: invitee.cancelURL,
                  rescheduleURL: invitee.rescheduleURL, rescheduled: rescheduled, sentAt: sentAt, newInvitee: newInvitee, oldInvitee: oldInvitee,
                  tracking: tracking.flatMap { $0.utmSource == nil && $0.utmContent == nil ? nil : $0 })
    }

    /// What Calendly's webhooks said about one invitee, for reconciliation: `invitee.created` at
    /// `createdAt`, then — when it was canceled — `invitee.canceled` at `canceledAt`. The reschedule
    /// fields go where Calendly puts them: `old_invitee` on the created half, `rescheduled`/`new_invitee`
    /// on the canceled half.
    public static func reconciled(_ invitee: Invitee, eventType: CalendlyURI, createdAt: Instant, canceledAt: Instant?,
                                  rescheduled: Bool, newInvitee: CalendlyURI?, oldInvitee: CalendlyURI?,
                                  tracking: BookingTracking?) -> [InviteeNotice] {
        let created = InviteeNotice(.created, of: invitee, eventType: eventType, sentAt: createdAt, source: .reconciliation,
                                    oldInvitee: oldInvitee, tracking: tracking)
        guard let canceledAt else { return [created] }
        return [created, InviteeNotice(.canceled, of: invitee, eventType: eventType, sentAt: canceledAt, source: .reconciliation,
                                       rescheduled: rescheduled, newInvitee: newInvitee, tracking: tracking)]
    }
}
