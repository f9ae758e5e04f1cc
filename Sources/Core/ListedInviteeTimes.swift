import Effects

/// When an invitee read from a Calendly listing (a lookup, reconciliation) was created and canceled, for
/// the times the listing leaves out or sends unreadable. The webhook carries its own times; a listing may
/// not, and what stands in decides how a cancellation is ordered against our own booking.
public enum ListedInviteeTimes {
    /// When it was canceled, as the `invitee.canceled` webhook would say: the cancellation's own time, else
    /// the row's last update (a canceled row's last change is its cancellation).
    public static func stated(cancellation: Instant?, updatedAt: Instant?) -> Instant? {
        cancellation ?? updatedAt
    }

    /// A canceled invitee found by a lookup: without any stated time, the meeting's start stands in —
    /// later than any booking request, so the conversation takes the cancellation as of its own booking
    /// and does not book again.
    public static func canceledAtForLookup(stated: Instant?, start: Instant) -> Instant {
        stated ?? start
    }

    /// Created, for reconciliation's notices: as stated, else at the meeting's start (the latest it can have been).
    public static func createdAt(stated: Instant?, start: Instant) -> Instant {
        stated ?? start
    }

    /// Canceled, for reconciliation's notices: as stated, else when it was created — the earliest it can
    /// have been, so the counts never show it canceled before it existed.
    public static func canceledAtForNotice(stated: Instant?, createdAt: Instant) -> Instant {
        stated ?? createdAt
    }
}
