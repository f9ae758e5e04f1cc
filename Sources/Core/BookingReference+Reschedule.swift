import Effects

/// Reschedule pairing (issue 6 item 3). Calendly reports a reschedule as `invitee.canceled`
/// (`rescheduled: true`, `new_invitee`) plus `invitee.created` (`old_invitee`), in either order and
/// possibly repeated. Both halves land on one `Reschedule` fact keyed by the old invitee: the first to
/// arrive creates it and is counted, later ones only fill in what is still unknown. Never a cancellation.
extension BookingReference {
    /// What one half of a reschedule says about the fact.
    public struct RescheduleHalf: Sendable, Hashable {
        public var from: CalendlyURI
        public var to: CalendlyURI?
        public var event: CalendlyURI?
        public var start: Instant?
    }

    /// Every invitee URI this booking has had: the booked one and both ends of each reschedule. The
    /// stores index all of them, so either half of a reschedule finds the reference.
    public var knownInvitees: [CalendlyURI] {
        var seen = Set<CalendlyURI>()
        let all = [invitee].compactMap { $0 } + (reschedules ?? []).flatMap { [$0.from] + [$0.to].compactMap { $0 } }
        return all.filter { seen.insert($0).inserted }
    }

    /// The booking as it stands now: the end of the reschedule chain (or the original when none).
    public var currentInvitee: CalendlyURI? {
        var current = invitee
        var steps = 0
        while let at = current, let next = (reschedules ?? []).first(where: { $0.from == at })?.to, steps <= (reschedules?.count ?? 0) {
            current = next
            steps += 1
        }
        return current
    }

    /// The start time of the current booking, when the `invitee.created` half has told it.
    public var currentStart: Instant {
        guard let current = currentInvitee, current != invitee else { return start }
        return (reschedules ?? []).first { $0.to == current }?.start ?? start
    }

    /// The half of a reschedule this notice is, if it is one about this booking.
    func rescheduleHalf(of notice: InviteeNotice) -> RescheduleHalf? {
        switch notice.kind {
        case .canceled:
            guard notice.rescheduled else { return nil }
            return RescheduleHalf(from: notice.invitee, to: notice.newInvitee, event: nil, start: nil)
        case .created:
            guard let old = notice.oldInvitee, knownInvitees.contains(old) else { return nil }
            return RescheduleHalf(from: old, to: notice.invitee, event: notice.event, start: notice.start)
        }
    }

    /// Applies one half; idempotent, and the final value is the same whichever half comes first.
    mutating func record(_ half: RescheduleHalf, at now: Instant) -> [Effect] {
        var facts = reschedules ?? []
        var effects: [Effect] = []
        if let index = facts.firstIndex(where: { $0.from == half.from }) {
            facts[index].to = facts[index].to ?? half.to
            facts[index].event = facts[index].event ?? half.event
            facts[index].start = facts[index].start ?? half.start
        } else {
            facts.append(Reschedule(from: half.from, to: half.to, event: half.event, start: half.start))
            effects.append(.emit(.bookingRescheduled(agent: agent, conversation: conversation, eventType: eventType, at: now)))
        }
        reschedules = facts.sorted { $0.from < $1.from }
        // A booking that was moved certainly existed (the reply said so, the webhook was lost).
        if status == .created { status = .confirmed }
        // A reference still matched by email (its reply not in yet) learns its invitee from the old half.
        if invitee == nil { invitee = half.from }
        return effects
    }
}
