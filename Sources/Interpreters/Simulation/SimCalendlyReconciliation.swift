import Effects

extension SimCalendly {
    /// `GET /scheduled_events` (+ invitees) for a start-time window, as reconciliation reads it: every
    /// booking, active or canceled, as the notice its latest webhook carried. One host, so no user filter.
    public func scheduledInvitees(from: Instant, to: Instant) -> [InviteeNotice] {
        bookings.filter { $0.invitee.start >= from && $0.invitee.start < to }.map { booking in
            let kind: InviteeNotice.Kind = booking.canceled ? .canceled : .created
            let invitee = booking.invitee
            return InviteeNotice(kind: kind, delivery: DeliveryID("reconcile:\(kind.rawValue):\(invitee.uri)"), invitee: invitee.uri, event: invitee.eventURI,
                                 eventType: booking.eventType, email: invitee.email, start: invitee.start, cancelURL: invitee.cancelURL,
                                 rescheduleURL: invitee.rescheduleURL, rescheduled: booking.canceled && booking.rescheduledTo != nil,
                                 sentAt: booking.canceled ? booking.canceledAt ?? booking.createdAt : booking.createdAt,
                                 newInvitee: booking.canceled ? booking.rescheduledTo : nil, oldInvitee: booking.canceled ? nil : booking.rescheduledFrom,
                                 tracking: booking.tracking)
        }
    }
}
