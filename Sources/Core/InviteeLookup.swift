import Effects

/// What a lookup after a lost booking reply reads (`CalendlyCall.findInvitee`): which scheduled events
/// are candidates, in which order they are read, and which of their invitees count. The live performer
/// and the simulator both ask here, so Calendly's listing and the model answer by one rule; which
/// candidate is *the* answer is `InviteeSelection`'s.
public enum InviteeLookup {
    /// Whether a listed event or invitee is still booked: anything but a stated "canceled"
    /// (`CalendlyStatus`) — a missing status must not hide our own booking, or the conversation would book twice.
    public static func isActive(status: String?) -> Bool { !CalendlyStatus.isCanceled(status) }

    /// A scheduled event is a candidate when it starts exactly at `start` (Calendly's window bounds are
    /// exclusive, so the request widens them and the exact start is judged here) and is of the booked
    /// event type. An event whose type Calendly left out matches any type, for the same reason a missing
    /// status is active: missing our own booking would book it again.
    public static func isCandidate(eventStart: Instant, eventType listed: CalendlyURI?, start: Instant, booked: CalendlyURI) -> Bool {
        guard eventStart == start else { return false }
        guard let listed else { return true }
        return listed == booked
    }

    /// The order the candidate events are read in: the active ones first, then the others, each group as
    /// listed. An active invitee ends the search, so the canceled events usually cost no request.
    public static func readingOrder<Event>(_ events: [Event], status: (Event) -> String?) -> [Event] {
        events.filter { isActive(status: status($0)) } + events.filter { !isActive(status: status($0)) }
    }

    /// A listed invitee is the one looked up when its address has the same matching key
    /// (`BookingReference.emailKey`): Calendly keeps the address as the customer typed it.
    public static func isSameInvitee(listedEmail: String, lookedUp: String) -> Bool {
        BookingReference.emailKey(listedEmail) == BookingReference.emailKey(lookedUp)
    }
}
