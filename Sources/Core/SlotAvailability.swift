/// Whether a time Calendly listed under `/event_type_available_times` can be offered. Calendly marks
/// each with `status` "available"; a time listed without a status is offered too (the listing is of
/// available times, and a time that turns out taken is answered by the booking's "slot taken" and
/// re-offered), while any other stated status is not.
public enum SlotAvailability {
    public static func isOffered(status: String?) -> Bool {
        guard let status else { return true }
        return status == "available"
    }
}
