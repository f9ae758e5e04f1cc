/// What Calendly's `status` of a scheduled event or an invitee means ("active" or "canceled"), read the
/// same way by a lookup after a lost booking reply (`InviteeLookup`) and by reconciliation's notices
/// (`CalendlyWire`'s invitee): only a stated "canceled" is canceled. A missing status, or a word Calendly
/// may add, is a booking that exists — taken as canceled, it would cancel a booking on a guess, or make
/// a lookup report our own booking gone.
public enum CalendlyStatus {
    public static let canceled = "canceled"

    public static func isCanceled(_ status: String?) -> Bool { status == canceled }
}
