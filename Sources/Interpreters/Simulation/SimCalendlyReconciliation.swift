import Core
import Effects

extension SimCalendly {
    /// `GET /scheduled_events` (+ invitees) for a start-time window, as reconciliation reads it: every
    /// booking, active or canceled, as the notices its webhooks carried (`invitee.created`, then
    /// `invitee.canceled` when it was canceled). A booking moved out of the window is followed to its
    /// new time (`new_invitee`), so a reschedule seen only here is complete. One host, so no user filter.
    public func scheduledInvitees(from: Instant, to: Instant, eventTypes: [CalendlyURI]? = nil) -> [InviteeNotice] {
        var listed = bookings.filter { $0.invitee.start >= from && $0.invitee.start < to && ReconciliationScope.includes(eventType: $0.eventType, among: eventTypes) }
        var seen = Set(listed.map(\.invitee.uri))
        var index = 0
        while index < listed.count {
            if let next = listed[index].rescheduledTo, !seen.contains(next), let moved = booking(of: next) {
                listed.append(moved)
                seen.insert(next)
            }
            index += 1
        }
        return listed.flatMap(Self.notices)
    }

    static func notices(_ booking: Booking) -> [InviteeNotice] {
        InviteeNotice.reconciled(booking.invitee, eventType: booking.eventType, createdAt: booking.createdAt,
                                 canceledAt: booking.canceled ? ListedInviteeTimes.canceledAtForNotice(stated: booking.canceledAt, createdAt: booking.createdAt) : nil,
                                 rescheduled: booking.rescheduledTo != nil, newInvitee: booking.rescheduledTo,
                                 oldInvitee: booking.rescheduledFrom, tracking: booking.tracking)
    }
}
