import Effects

/// The static scheduling link handed out when booking in chat is not possible, with UTM parameters so
/// that a booking made through it comes back attributed (`invitee.created` → `tracking.utm_content`).
public enum FallbackLink {
    /// `utm_source` of every link this service hands out; a webhook without it is not ours to attribute.
    public static let source = "calendly-action"
    /// How long a handed-out link is remembered for attribution (PRD §6.7 keeps failure data as long).
    public static let offerLifetime = Span.days(90)

    /// `link` with `utm_source` and, when the reference is well formed, `utm_content` appended. The
    /// reference is opaque and URL-safe by construction; anything else is left out rather than escaped.
    public static func attributed(_ link: String, reference: ConversationReference?) -> String {
        var parameters = "utm_source=\(source)"
        if let reference, reference.isWellFormed { parameters += "&utm_content=\(reference.rawValue)" }
        let base: Substring
        let fragment: Substring
        if let hash = link.firstIndex(of: "#") {
            base = link[..<hash]; fragment = link[hash...]
        } else {
            base = link[...]; fragment = ""
        }
        let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
        return "\(base)\(separator)\(parameters)\(fragment)"
    }

    /// The conversation reference a webhook's tracking points at, when the booking came through our link.
    public static func reference(in tracking: BookingTracking?) -> ConversationReference? {
        guard let tracking, tracking.utmSource == source, let content = tracking.utmContent else { return nil }
        let reference = ConversationReference(content)
        return reference.isWellFormed ? reference : nil
    }

    /// The key of the reference a booking made through a conversation's link gets (one per invitee).
    public static func bookingKey(_ offer: FallbackOffer, invitee: CalendlyURI) -> BookingKey {
        BookingKey("\(offer.conversation)#link:\(invitee.rawValue)")
    }

    /// Where a verified notice goes: the reference the store matched; else, for an `invitee.created`
    /// that came through a conversation's attributed link, a new "created via fallback" reference;
    /// else nowhere (the reference reducer then reports the unknown event). The new half of a reschedule
    /// (`old_invitee`) is never a new booking: attributed on its own, it would make a second reference
    /// (and count) once the original booking's notice is seen — that notice attributes it, this half follows.
    public static func route(_ notice: InviteeNotice, at now: Instant, matched: BookingKey?,
                             offer: (ConversationReference) -> FallbackOffer?) -> (key: BookingKey?, input: BookingReference.Input) {
        if let matched { return (matched, .notice(notice, at: now)) }
        if notice.kind == .created, notice.oldInvitee == nil, let reference = reference(in: notice.tracking), let offer = offer(reference) {
            return (bookingKey(offer, invitee: notice.invitee), .bookedViaFallback(offer, notice, at: now))
        }
        return (nil, .notice(notice, at: now))
    }
}
