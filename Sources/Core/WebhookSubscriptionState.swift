/// Whether a webhook subscription Calendly listed delivers (`state`: "active" or "disabled"). Only a
/// stated "active" does: anything else, or no state at all, is taken as not delivering, so the
/// subscription check (`WebhookSubscriptionCare`) re-creates it rather than trusting it — a needless
/// re-creation costs a request, a trusted dead subscription loses every webhook until the next check.
public enum WebhookSubscriptionState {
    public static func isDelivering(state: String?) -> Bool { state == "active" }
}
