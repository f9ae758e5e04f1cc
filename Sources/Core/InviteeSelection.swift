import Effects

/// Which of the invitees a lookup found is *the* answer (issue 11 defect 5): used by the live Calendly
/// performer and the simulator alike, so both answer `findInvitee` by one rule.
public enum InviteeSelection {
    /// An active invitee (no `canceledAt`) wins, the first one listed; else the one canceled last — of
    /// several canceled at the same instant, the one listed last, so a listing read in Calendly's order
    /// gives the same answer every time. Nil when there is none. A canceled booking must be returned
    /// rather than nothing: "never booked" would make the conversation book again.
    public static func select(_ candidates: [Invitee]) -> Invitee? {
        if let active = candidates.first(where: isActive) { return active }
        var lastCanceled: Invitee?
        for candidate in candidates {
            if let last = lastCanceled?.canceledAt, let this = candidate.canceledAt, this < last { continue }
            lastCanceled = candidate
        }
        return lastCanceled
    }

    /// Still booked: a lookup marks a canceled invitee with when it was canceled.
    public static func isActive(_ invitee: Invitee) -> Bool { invitee.canceledAt == nil }
}
