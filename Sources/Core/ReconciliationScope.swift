import Effects

/// Which scheduled events a reconciliation run reads the invitees of (`CalendlyCall.listScheduledInvitees`).
/// Each event's invitees cost a request, so a run about some event types reads only theirs; a run about
/// none (`nil`) reads every event. An event whose type Calendly left out is skipped by a run about some
/// types: its notices could carry no event type, and a booking reference is matched by its event type,
/// so reading it would cost a request and answer nothing.
public enum ReconciliationScope {
    public static func includes(eventType: CalendlyURI?, among eventTypes: [CalendlyURI]?) -> Bool {
        guard let eventTypes else { return true }
        guard let eventType else { return false }
        return eventTypes.contains(eventType)
    }
}
