import Core
import Effects

/// A webhook subscription as the model keeps it.
public struct WebhookSubscriptionRecord: Sendable, Hashable {
    public var subscription: WebhookSubscription
    public var organization: CalendlyURI
    /// Set for a user-scoped subscription.
    public var user: CalendlyURI? = nil
}

/// Calendly's `/webhook_subscriptions` in the model: one subscription per callback URL and scope (a second
/// create is 409), listed per organization, and disabled when deliveries keep failing.
extension SimCalendly {
    public mutating func createWebhookSubscription(url: String, events: [String], organization: CalendlyURI,
                                                   user: CalendlyURI? = nil) -> Result<WebhookSubscription, CalendlyFailure> {
        guard !url.isEmpty, !events.isEmpty else { return .failure(.rejected(message: "url and events are required")) }
        // Unique per URL within a scope: another organization may subscribe the same URL.
        guard !webhookSubscriptions.contains(where: { $0.subscription.callbackURL == url && $0.organization == organization && $0.user == user }) else {
            return .failure(.alreadyExists)
        }
        subscriptionSequence += 1
        let subscription = WebhookSubscription(uri: CalendlyURI("\(baseURL)/webhook_subscriptions/WH\(subscriptionSequence)"), callbackURL: url,
                                               active: true, events: events, scope: user == nil ? "organization" : "user")
        webhookSubscriptions.append(WebhookSubscriptionRecord(subscription: subscription, organization: organization, user: user))
        return .success(subscription)
    }

    /// `GET /webhook_subscriptions`: the organization's organization-scoped ones, or with `user` that user's.
    public func webhookSubscriptions(organization: CalendlyURI, user: CalendlyURI? = nil) -> [WebhookSubscription] {
        webhookSubscriptions.filter { $0.organization == organization && $0.user == user }.map(\.subscription)
    }

    @discardableResult
    public mutating func deleteWebhookSubscription(_ uri: CalendlyURI) -> Bool {
        guard let index = webhookSubscriptions.firstIndex(where: { $0.subscription.uri == uri }) else { return false }
        webhookSubscriptions.remove(at: index)
        return true
    }

    /// What Calendly does after 24 h of failed deliveries.
    public mutating func disableWebhookSubscription(_ uri: CalendlyURI) {
        for index in webhookSubscriptions.indices where webhookSubscriptions[index].subscription.uri == uri {
            webhookSubscriptions[index].subscription.active = false
        }
    }

    /// Disables every subscription of `organization` (organization- and user-scoped alike); true when one
    /// was active, i.e. deliveries for that organization stop now.
    @discardableResult
    public mutating func disableWebhookSubscriptions(organization: CalendlyURI) -> Bool {
        var stopped = false
        for index in webhookSubscriptions.indices where webhookSubscriptions[index].organization == organization {
            stopped = stopped || webhookSubscriptions[index].subscription.active
            webhookSubscriptions[index].subscription.active = false
        }
        return stopped
    }

    /// Whether Calendly sends a `kind` notice about a booking of `user` (in `organization`) to `url`: an
    /// active subscription to that URL covers the event and the organization, or that user alone.
    public func sendsWebhook(_ kind: InviteeNotice.Kind, organization: CalendlyURI, user: CalendlyURI, to url: String) -> Bool {
        webhookSubscriptions.contains { record in
            record.subscription.active && record.subscription.callbackURL == url && record.organization == organization
                && (record.user == nil || record.user == user) && record.subscription.events.contains(kind.rawValue)
        }
    }
}
